package solanacfg

import (
	"bufio"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// writeConfig writes c with every value through quote, one `key: value` line each, the
// shape of the file the Solana CLI writes.
func writeConfig(c Config, quote func(string) string) string {
	return "---\njson_rpc_url: " + quote(c.JSONRPCURL) + "\nwebsocket_url: " + quote(c.WebsocketURL) +
		"\nkeypair_path: " + quote(c.KeypairPath) + "\ncommitment: " + quote(c.Commitment) + "\n"
}

func singleQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var lineError = regexp.MustCompile(`^line [1-9][0-9]*[ :]`)

func FuzzParseConfig(f *testing.F) {
	file, err := os.ReadFile(filepath.Join("testdata", "config.yml"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(file))
	f.Add(writeConfig(Config{JSONRPCURL: Localhost, WebsocketURL: "ws://127.0.0.1:8900", KeypairPath: "/it's/id.json", Commitment: "confirmed"}, singleQuote))
	f.Add(writeConfig(Config{JSONRPCURL: Devnet, KeypairPath: "C:\\keys\\\"id\".json"}, strconv.Quote))
	f.Add("json_rpc_url: http://127.0.0.1:8899 # local\r\ncommitment: ~\r\n")
	f.Add("json_rpc_url: \"http://x\n")
	f.Add("keypair_path: 'x\n")
	f.Add("address_labels:\n\t\"x\": y\njson_rpc_url\n")
	f.Fuzz(func(t *testing.T, in string) {
		cfg, err := Parse(strings.NewReader(in))
		if err != nil {
			if !lineError.MatchString(err.Error()) && !errors.Is(err, bufio.ErrTooLong) {
				t.Fatalf("error %q names no line", err)
			}
			return
		}
		// Whatever was read survives being written back in either quoting style.
		quotes := map[string]func(string) string{"double": strconv.Quote}
		if !strings.ContainsAny(cfg.JSONRPCURL+cfg.WebsocketURL+cfg.KeypairPath+cfg.Commitment, "\r\n") {
			quotes["single"] = singleQuote
		}
		for name, quote := range quotes {
			text := writeConfig(cfg, quote)
			again, err := Parse(strings.NewReader(text))
			if err != nil {
				t.Fatalf("%s-quoted %q: %v", name, text, err)
			}
			if again != cfg {
				t.Fatalf("%s-quoted %q parsed as %+v, want %+v", name, text, again, cfg)
			}
		}
	})
}

func FuzzResolveURL(f *testing.F) {
	for _, s := range []string{"m", "mainnet-beta", "d", "t", "l", "localhost", "mainnet", Localhost, Devnet,
		"https://solana-mainnet.g.alchemy.com/v2/KEY", "https://mainnet.helius-rpc.com/?api-key=KEY",
		"https://user:KEY@rpc.example.com", "https://", "ftp://x", "not a url/KEY", "http://[::1]:8899", "%"} {
		f.Add(s, "KEY")
	}
	monikers := map[string]string{"m": MainnetBeta, "mainnet-beta": MainnetBeta, "d": Devnet, "devnet": Devnet,
		"t": Testnet, "testnet": Testnet, "l": Localhost, "localhost": Localhost}
	f.Fuzz(func(t *testing.T, s, key string) {
		got, err := ResolveURL(s)
		switch {
		case err != nil:
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("%q: error %v is not ErrBadURL", s, err)
			}
			if want := strconv.Quote(Redact(s)) + ": " + ErrBadURL.Error(); err.Error() != want {
				t.Fatalf("%q: error %q, want %q", s, err, want)
			}
			if _, ok := monikers[s]; ok {
				t.Fatalf("moniker %q refused", s)
			}
		case monikers[s] != "":
			if got != monikers[s] {
				t.Fatalf("%q resolved to %q, want %q", s, got, monikers[s])
			}
		default:
			u, perr := url.Parse(got)
			if got != s || perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("%q resolved to %q, not an http(s) URL with a host", s, got)
			}
		}
		IsLoopback(s)

		// A key in the user info, path, query or fragment of a URL is never printed, whether
		// the URL is valid or not. A key that the fixed text around it contains proves nothing,
		// and one with a delimiter is no longer inside its component ("user:0/@h" is host user,
		// port 0).
		if key == "" || strings.ContainsAny(key, "/?#@\\") ||
			strings.Contains(`"https://rpc.example.com/…" "<url>": `+ErrBadURL.Error(), key) {
			return
		}
		for _, raw := range []string{
			"https://rpc.example.com/v2/" + key,
			"https://rpc.example.com/?api-key=" + key,
			"https://user:" + key + "@rpc.example.com",
			"https://" + key + "@rpc.example.com/",
			"https://rpc.example.com#" + key,
		} {
			if r := Redact(raw); strings.Contains(r, key) {
				t.Fatalf("Redact(%q) = %q shows the key", raw, r)
			}
			if _, err := ResolveURL(raw); err != nil && strings.Contains(err.Error(), key) {
				t.Fatalf("ResolveURL(%q) error %q shows the key", raw, err)
			}
		}
	})
}
