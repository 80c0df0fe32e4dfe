package cli

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// TestKeysPrune deletes a stored key only when nothing is lost with it.
func TestKeysPrune(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds)
	store := h.storeFlags()
	create := func(validFor string) created {
		return decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--valid-for", validFor,
			"--output", "json"}, store...)...).ok(t))
	}
	unswept, swept, open, live := create("1m"), create("1m"), create("1m"), create("1h")
	// Revoked without the store: the token is gone but its signer keeps the top-up.
	h.onNet("revoke", unswept.Token).ok(t)
	// Revoked with the store, keeping the key: nothing is left behind.
	h.onNet(append([]string{"revoke", swept.Token, "--keep-key"}, store...)...).ok(t)
	// Nothing has expired yet, and the store is not empty: prune says which.
	require.Equal(t, "No expired session keys in "+store[1]+": nothing would be deleted\n",
		h.onNet(append([]string{"keys", "prune", "--dry-run"}, store...)...).ok(t).out)
	h.warpBy(2 * time.Minute)

	type pruned struct {
		Sessions []keyRecord `json:"sessions"`
	}
	actions := func(p pruned) map[string]string {
		m := map[string]string{}
		for _, r := range p.Sessions {
			require.True(t, r.Expired)
			m[r.Token] = r.Action
		}
		return m
	}
	kept := map[string]string{
		unswept.Token: "kept: session signer holds 0.01 SOL",
		open.Token:    "kept: token still exists: revoke it to recover rent and top-up",
	}
	dry := decode[pruned](t, h.onNet(append([]string{"keys", "prune", "--dry-run", "--output", "json"}, store...)...).ok(t))
	require.Equal(t, map[string]string{unswept.Token: kept[unswept.Token], open.Token: kept[open.Token],
		swept.Token: "would delete"}, actions(dry))

	done := decode[pruned](t, h.onNet(append([]string{"keys", "prune", "--output", "json"}, store...)...).ok(t))
	require.Equal(t, map[string]string{unswept.Token: kept[unswept.Token], open.Token: kept[open.Token],
		swept.Token: "deleted"}, actions(done))

	left := decode[pruned](t, h.onNet(append([]string{"keys", "list", "--output", "json"}, store...)...).ok(t))
	var tokens []string
	for _, r := range left.Sessions {
		tokens = append(tokens, r.Token)
	}
	require.ElementsMatch(t, []string{unswept.Token, open.Token, live.Token}, tokens)

	// --force judges by this machine's clock, which is behind the warped cluster: only a
	// record already past by local time goes, whatever the chain holds.
	st, err := tokenstore.Open(context.Background(), store[1], tokenstore.MasterKey(mustRead(t, store[3])))
	require.NoError(t, err)
	old, err := txn.GenerateSessionKey(rand.Reader)
	require.NoError(t, err)
	stale := tokenstore.Record{ProgramID: pda.MagicBlockProgramID, Version: pda.V1, Token: fixedKey(30).PublicKey(),
		Authority: auth.PublicKey(), TargetProgram: gameID, SessionSigner: old.PublicKey(), ValidUntil: time.Now().Add(-time.Hour).Unix()}
	require.NoError(t, st.Put(context.Background(), stale, old))
	require.NoError(t, st.Close())
	forced := decode[pruned](t, h.run(append([]string{"-u", "http://127.0.0.1:1", "keys", "prune", "--force", "--output", "json"}, store...)...).ok(t))
	require.Equal(t, map[string]string{stale.Token.String(): "deleted"}, actions(forced))
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestKeysExport writes a session key only behind the explicit flag.
func TestKeysExport(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--output", "json"}, store...)...).ok(t))

	refused := h.run(append([]string{"keys", "export", c.Token}, store...)...)
	require.Equal(t, ExitUsage, refused.code)
	require.Empty(t, refused.out)
	require.Equal(t, "Error: refusing to export a secret key without --unsafe-export-secret-key\n"+
		"Hint: add --unsafe-export-secret-key if you mean to write the secret key in clear\n", refused.err)

	out := h.run(append([]string{"keys", "export", c.Token, "--unsafe-export-secret-key"}, store...)...).ok(t)
	key, err := tokenstore.ImportSolanaKeypair([]byte(out.out))
	require.NoError(t, err)
	require.Equal(t, c.SessionSigner, key.PublicKey().String())

	file := filepath.Join(h.home, "signer.json")
	args := append([]string{"keys", "export", c.Token, "--unsafe-export-secret-key", "--outfile", file}, store...)
	w := h.run(args...).ok(t)
	require.Empty(t, w.out)
	require.Equal(t, "Wrote the secret key of session signer "+c.SessionSigner+" to "+file+"\n", w.err)
	fi, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	// The exported key is a Solana CLI keypair: solana-go reads it as such.
	pk, err := solana.PrivateKeyFromSolanaKeygenFile(file)
	require.NoError(t, err)
	require.Equal(t, c.SessionSigner, pk.PublicKey().String())

	again := h.run(args...)
	require.Equal(t, ExitError, again.code)
	require.Equal(t, "Error: file already exists: "+file+"\n"+
		"Hint: export never overwrites a file (it may hold another key): choose another --outfile, or move the file away\n", again.err)

	missing := h.run(append([]string{"keys", "export", fixedKey(31).PublicKey().String(), "--unsafe-export-secret-key"}, store...)...)
	require.Equal(t, ExitNegative, missing.code)
}

// TestStorePassphrase opens a passphrase store from the environment or a file and
// refuses a wrong passphrase before reading any record.
func TestStorePassphrase(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	dir := filepath.Join(h.home, "pw-store")
	h.env[EnvStorePassphrase] = "correct horse battery staple"
	c := decode[created](t, h.onNet("create", "--target", gameID.String(), "--top-up", "0.001", "--store", dir, "--output", "json").ok(t))
	require.Equal(t, dir, c.Store)

	passFile := filepath.Join(h.home, "pass.txt")
	require.NoError(t, os.WriteFile(passFile, []byte("correct horse battery staple\n"), 0o600))
	delete(h.env, EnvStorePassphrase)
	list := decode[map[string][]keyRecord](t, h.run("keys", "list", "--store", dir, "--store-passphrase-file", passFile, "--output", "json").ok(t))
	require.Len(t, list["sessions"], 1)

	h.env[EnvStorePassphrase] = "wrong"
	wrong := h.run("keys", "list", "--store", dir)
	require.Equal(t, ExitError, wrong.code)
	require.Equal(t, "Error: tokenstore: wrong key: wrong passphrase for store "+dir+"\n"+
		"Hint: use the passphrase or key file the store was created with\n", wrong.err)

	delete(h.env, EnvStorePassphrase)
	none := h.run("keys", "list", "--store", dir)
	require.Equal(t, ExitUsage, none.code)
	require.Equal(t, "Error: the token store needs a passphrase or a master key\n"+
		"Hint: set SESSIONKIT_STORE_PASSPHRASE, pass --store-passphrase-file or --store-key-file, or run on a terminal\n", none.err)

	// On a terminal a new store's passphrase is asked twice, an existing one's once.
	typedDir := filepath.Join(h.home, "typed-store")
	h.typed = []string{"secret one", "secret two"}
	mismatch := h.run("keys", "list", "--store", dir+"-missing")
	require.Equal(t, ExitError, mismatch.code)
	h.typed = []string{"secret one", "secret two"}
	differ := h.onNet("create", "--target", gameID.String(), "--top-up", "0.001", "--store", typedDir)
	require.Equal(t, ExitUsage, differ.code)
	require.Equal(t, "Token store passphrase: \nRepeat the passphrase: \nError: the passphrases differ\n"+
		"Hint: run 'sessionkit create --help' for usage\n", differ.err)
	h.typed = []string{"secret one", "secret one"}
	h.onNet("create", "--target", gameID.String(), "--top-up", "0.001", "--store", typedDir).ok(t)
	h.typed = []string{"secret one"}
	require.Contains(t, h.run("keys", "list", "--store", typedDir).ok(t).out, "1 stored session")
	require.Empty(t, h.typed)
	h.typed = nil

	noStore := h.run("keys", "list", "--store", filepath.Join(h.home, "nowhere"), "--store-key-file", passFile)
	require.Equal(t, ExitError, noStore.code)
	require.Equal(t, "Error: no token store in "+filepath.Join(h.home, "nowhere")+"\n"+
		"Hint: create a store with 'sessionkit create --store DIR ...'\n", noStore.err)
}

// The hardening issue's reproduction: one truncated record made keys list and keys
// prune show only the error. Both now show the sound records and the unreadable file,
// then exit 1.
func TestKeysListShowsSoundRecordsBesideACorruptOne(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	store := h.storeFlags()
	create := func() created {
		return decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--output", "json"}, store...)...).ok(t))
	}
	good, bad := create(), create()
	path := filepath.Join(store[1], "sessions", bad.Token+".rec")
	data := mustRead(t, path)
	require.NoError(t, os.WriteFile(path, data[:len(data)/2], 0o600))

	type listing struct {
		Sessions   []keyRecord `json:"sessions"`
		Unreadable []string    `json:"unreadable"`
	}
	for _, args := range [][]string{{"keys", "list"}, {"keys", "prune", "--dry-run"}} {
		res := h.onNet(append(append(args, "--output", "json"), store...)...)
		require.Equal(t, ExitError, res.code, "%s", res)
		got := decode[listing](t, res)
		if args[1] == "list" {
			require.Len(t, got.Sessions, 1)
			require.Equal(t, good.Token, got.Sessions[0].Token)
		}
		require.Len(t, got.Unreadable, 1)
		require.Contains(t, got.Unreadable[0], bad.Token)
		require.Contains(t, res.err, bad.Token)
	}
	text := h.onNet(append([]string{"keys", "list"}, store...)...)
	require.Equal(t, ExitError, text.code)
	require.Contains(t, text.out, good.Token)
	require.Contains(t, text.err, "Unreadable: ")
}

// keys list shows who holds each session by the store's lease.
func TestKeysListShowsLeases(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	h.fundedAuthority(authFunds)
	store := h.storeFlags()
	c := decode[created](t, h.onNet(append([]string{"create", "--target", gameID.String(), "--output", "json"}, store...)...).ok(t))
	st, err := tokenstore.Open(context.Background(), store[1], tokenstore.MasterKey(mustRead(t, store[3])))
	require.NoError(t, err)
	l, err := st.Acquire(context.Background(), solana.MustPublicKeyFromBase58(c.Token), "replica-7", time.Hour, false)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	got := decode[struct {
		Sessions []keyRecord `json:"sessions"`
	}](t, h.onNet(append([]string{"keys", "list", "--output", "json"}, store...)...).ok(t))
	require.Len(t, got.Sessions, 1)
	require.Equal(t, "replica-7", got.Sessions[0].HeldBy)
	require.Equal(t, l.Expires.UTC().Format(time.RFC3339), got.Sessions[0].HeldUntilUTC)
	text := h.onNet(append([]string{"keys", "list"}, store...)...).ok(t)
	require.Contains(t, text.out, "HELD BY")
	require.Contains(t, text.out, "replica-7 until ")
}
