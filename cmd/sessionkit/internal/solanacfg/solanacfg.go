// Package solanacfg reads the Solana CLI's config file and resolves its cluster monikers,
// so that sessionkit starts from the same defaults as the `solana` command.
package solanacfg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config holds the keys of ~/.config/solana/cli/config.yml that sessionkit uses. Empty
// fields were absent or empty in the file.
type Config struct {
	JSONRPCURL   string
	WebsocketURL string
	KeypairPath  string
	Commitment   string
}

// Cluster URLs of the Solana CLI's monikers.
const (
	MainnetBeta = "https://api.mainnet-beta.solana.com"
	Devnet      = "https://api.devnet.solana.com"
	Testnet     = "https://api.testnet.solana.com"
	Localhost   = "http://127.0.0.1:8899"
)

// ErrBadURL means a --url value that is neither a moniker nor an http(s) URL.
var ErrBadURL = errors.New("not a cluster URL or moniker (m, d, t, l)")

// DefaultPath is where the Solana CLI keeps its config under home.
func DefaultPath(home string) string {
	return filepath.Join(home, ".config", "solana", "cli", "config.yml")
}

// DefaultKeypairPath is the Solana CLI's default keypair under home.
func DefaultKeypairPath(home string) string {
	return filepath.Join(home, ".config", "solana", "id.json")
}

// Load reads the config file at path. A missing file yields an error wrapping
// fs.ErrNotExist.
func Load(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, err
	}
	defer f.Close()
	cfg, err := Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads the Solana CLI's YAML config. The file is a flat map written by serde_yaml,
// so only top-level `key: scalar` lines matter; nested maps (address_labels) are skipped.
// A full YAML parser would be a dependency for four scalar keys.
func Parse(r io.Reader) (Config, error) {
	var cfg Config
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || text == "---" || text == "..." || text[0] == ' ' || text[0] == '\t' || text[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(text, ":")
		if !ok {
			return Config{}, fmt.Errorf("line %d: not a `key: value` line", line)
		}
		val, err := scalar(strings.TrimSpace(raw))
		if err != nil {
			return Config{}, fmt.Errorf("line %d (%s): %w", line, strings.TrimSpace(key), err)
		}
		switch strings.TrimSpace(key) {
		case "json_rpc_url":
			cfg.JSONRPCURL = val
		case "websocket_url":
			cfg.WebsocketURL = val
		case "keypair_path":
			cfg.KeypairPath = val
		case "commitment":
			cfg.Commitment = val
		}
	}
	return cfg, sc.Err()
}

// scalar decodes a YAML flow scalar: double-quoted, single-quoted or plain.
func scalar(s string) (string, error) {
	switch {
	case s == "" || s == "~" || s == "null":
		return "", nil
	case s[0] == '"':
		end := closingQuote(s)
		if end < 0 {
			return "", errors.New("unterminated double-quoted string")
		}
		return strconv.Unquote(s[:end+1])
	case s[0] == '\'':
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '\'' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), nil
		}
		return "", errors.New("unterminated single-quoted string")
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s, nil
}

func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// ResolveURL turns a --url value into a JSON-RPC URL, expanding the Solana CLI's
// monikers: m or mainnet-beta, d or devnet, t or testnet, l or localhost.
func ResolveURL(s string) (string, error) {
	switch s {
	case "m", "mainnet-beta":
		return MainnetBeta, nil
	case "d", "devnet":
		return Devnet, nil
	case "t", "testnet":
		return Testnet, nil
	case "l", "localhost":
		return Localhost, nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q: %w", Redact(s), ErrBadURL)
	}
	return s, nil
}

// Redact keeps a URL's scheme and host and elides everything else, so the URL can be
// printed: RPC providers put API keys in the user info, the query or the path
// (…/v2/<key>).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if !strings.ContainsAny(raw, "/?@#:") {
			return raw // a mistyped moniker, not a URL that could hold a key
		}
		return "<url>"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/…"
	}
	return out
}

// IsLoopback reports whether the URL's host is this machine.
func IsLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
