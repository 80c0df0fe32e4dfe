package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
)

// EnvStorePassphrase is the environment variable that holds a token store's passphrase
// for non-interactive use.
const EnvStorePassphrase = "SESSIONKIT_STORE_PASSPHRASE"

// storeFlags locate a token store and say how to unlock it. Secrets never come from a
// flag's value (other users see command lines): a passphrase comes from a file, the
// environment or the terminal, a master key from a file.
type storeFlags struct {
	dir      string
	keyFile  string
	passFile string
}

func (s *storeFlags) register(cmd *cobra.Command, dirUsage string) {
	f := cmd.Flags()
	f.StringVar(&s.dir, "store", "", dirUsage+"; or a postgres://user@host/db?search_path=schema URL")
	f.StringVar(&s.keyFile, "store-key-file", "", "file with the store's 32-byte master key (raw, or 64 hex digits) instead of a passphrase")
	f.StringVar(&s.passFile, "store-passphrase-file", "", "file whose first line is the store's passphrase (default: $"+EnvStorePassphrase+", else a prompt on the terminal)")
}

// cliStore is what the commands use of a store: a tokenstore.Dir, or a
// postgres.Store for a --store postgres://… URL.
type cliStore interface {
	tokenstore.Store
	tokenstore.Leaser
	tokenstore.Reserver
	tokenstore.Attacher
}

// isPostgres reports whether --store names a PostgreSQL database, not a directory.
func isPostgres(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// name is how messages refer to the store: the directory, or the URL without its
// password.
func (s storeFlags) name() string {
	if !isPostgres(s.dir) {
		return s.dir
	}
	u, err := url.Parse(s.dir)
	if err != nil {
		return "the PostgreSQL store"
	}
	return u.Redacted()
}

// open opens the store, creating it first when create is set and the directory (or the
// database schema) holds none.
func (a *app) openStore(ctx context.Context, s storeFlags, create bool) (cliStore, error) {
	exists := true
	if isPostgres(s.dir) {
		var err error
		if exists, err = postgres.Exists(ctx, s.dir); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(filepath.Join(s.dir, "store.json")); errors.Is(err, fs.ErrNotExist) {
		exists = false
	}
	if !exists && !create {
		return nil, failure("create a store with 'sessionkit create --store DIR ...'", fmt.Errorf("no token store in %s", s.name()))
	}
	secret, isKey, err := a.storeSecret(s, !exists)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	cred := tokenstore.Passphrase(secret)
	if isKey {
		cred = tokenstore.MasterKey(secret)
	}
	var st cliStore
	switch {
	case isPostgres(s.dir) && exists:
		st, err = postgres.Open(ctx, s.dir, cred)
	case isPostgres(s.dir):
		st, err = postgres.Create(ctx, s.dir, cred)
	case exists:
		st, err = tokenstore.Open(ctx, s.dir, cred)
	default:
		st, err = tokenstore.Create(ctx, s.dir, cred)
	}
	if errors.Is(err, tokenstore.ErrWrongKey) {
		return nil, failure("use the passphrase or key file the store was created with", err)
	}
	if err != nil {
		return nil, err // no typed nil inside the interface
	}
	return st, nil
}

// storeSecret returns the master key (isKey) or the passphrase; confirm asks twice on a
// terminal, for a new store.
func (a *app) storeSecret(s storeFlags, confirm bool) (secret []byte, isKey bool, err error) {
	switch {
	case s.keyFile != "":
		key, err := readMasterKey(s.keyFile)
		return key, true, err
	case s.passFile != "":
		data, err := os.ReadFile(s.passFile)
		if err != nil {
			return nil, false, fmt.Errorf("reading the store passphrase: %w", err)
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		pass := bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
		clear(data)
		return pass, false, nonEmpty(pass)
	case a.io.Getenv(EnvStorePassphrase) != "":
		pass := []byte(a.io.Getenv(EnvStorePassphrase))
		return pass, false, nil
	case a.io.ReadPassword != nil:
		fmt.Fprint(a.io.Err, "Token store passphrase: ")
		pass, err := a.io.ReadPassword()
		fmt.Fprintln(a.io.Err)
		if err != nil {
			return nil, false, err
		}
		if confirm {
			fmt.Fprint(a.io.Err, "Repeat the passphrase: ")
			again, err := a.io.ReadPassword()
			fmt.Fprintln(a.io.Err)
			if err != nil {
				return nil, false, err
			}
			same := bytes.Equal(pass, again)
			clear(again)
			if !same {
				clear(pass)
				return nil, false, usageError("", "the passphrases differ")
			}
		}
		return pass, false, nonEmpty(pass)
	}
	return nil, false, usageError("set "+EnvStorePassphrase+", pass --store-passphrase-file or --store-key-file, or run on a terminal",
		"the token store needs a passphrase or a master key")
}

func nonEmpty(pass []byte) error {
	if len(pass) == 0 {
		return usageError("", "the store passphrase is empty")
	}
	return nil
}

// readMasterKey reads 32 raw bytes, or 64 hex digits with optional surrounding space.
func readMasterKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the store key: %w", err)
	}
	if len(data) == 32 {
		return data, nil
	}
	defer clear(data)
	trimmed := bytes.TrimSpace(data)
	key := make([]byte, hex.DecodedLen(len(trimmed)))
	if n, err := hex.Decode(key, trimmed); err != nil || n != 32 {
		clear(key)
		return nil, usageError("", "store key file %s: want 32 raw bytes or 64 hex digits", path)
	}
	return key, nil
}
