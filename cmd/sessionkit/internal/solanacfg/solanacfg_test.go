package solanacfg

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "config.yml"))
	require.NoError(t, err)
	require.Equal(t, Config{JSONRPCURL: Devnet, KeypairPath: "/home/alice/.config/solana/id.json", Commitment: "finalized"}, cfg)

	_, err = Load(filepath.Join("testdata", "missing.yml"))
	require.True(t, errors.Is(err, fs.ErrNotExist))
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Config
		err      string
	}{
		{name: "empty", in: "", want: Config{}},
		{name: "plain scalars and comments", in: "# c\njson_rpc_url: http://127.0.0.1:8899 # local\ncommitment: confirmed\n",
			want: Config{JSONRPCURL: "http://127.0.0.1:8899", Commitment: "confirmed"}},
		{name: "single quotes", in: "keypair_path: '/it''s/id.json'\n", want: Config{KeypairPath: "/it's/id.json"}},
		{name: "double quotes with escapes", in: `keypair_path: "/a \"b\"/id.json"` + "\n", want: Config{KeypairPath: `/a "b"/id.json`}},
		{name: "null", in: "websocket_url: ~\njson_rpc_url: null\n", want: Config{}},
		{name: "nested maps skipped", in: "address_labels:\n  \"x\": y\n\tz: w\ncommitment: processed\n", want: Config{Commitment: "processed"}},
		{name: "unknown keys ignored", in: "foo: bar\n", want: Config{}},
		{name: "not a mapping", in: "json_rpc_url\n", err: "line 1: not a `key: value` line"},
		{name: "unterminated", in: "json_rpc_url: \"http://x\n", err: "line 1 (json_rpc_url): unterminated double-quoted string"},
		{name: "unterminated single", in: "keypair_path: 'x\n", err: "line 1 (keypair_path): unterminated single-quoted string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.in))
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestResolveURL(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "m", want: "https://api.mainnet-beta.solana.com"},
		{in: "mainnet-beta", want: "https://api.mainnet-beta.solana.com"},
		{in: "d", want: "https://api.devnet.solana.com"},
		{in: "devnet", want: "https://api.devnet.solana.com"},
		{in: "t", want: "https://api.testnet.solana.com"},
		{in: "testnet", want: "https://api.testnet.solana.com"},
		{in: "l", want: "http://127.0.0.1:8899"},
		{in: "localhost", want: "http://127.0.0.1:8899"},
		{in: "http://10.1.2.3:8899", want: "http://10.1.2.3:8899"},
		{in: "https://rpc.example.com/v2/KEY", want: "https://rpc.example.com/v2/KEY"},
		{in: "mainnet", err: `"mainnet": not a cluster URL or moniker (m, d, t, l)`},
		{in: "ftp://x", err: `"ftp://x": not a cluster URL or moniker (m, d, t, l)`},
		{in: "https://", err: `"<url>": not a cluster URL or moniker (m, d, t, l)`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ResolveURL(tc.in)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				require.ErrorIs(t, err, ErrBadURL)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8899", "http://127.0.0.1:8899"},
		{"http://127.0.0.1:8899/", "http://127.0.0.1:8899"},
		{"https://solana-mainnet.g.alchemy.com/v2/SECRET", "https://solana-mainnet.g.alchemy.com/…"},
		{"https://mainnet.helius-rpc.com/?api-key=SECRET", "https://mainnet.helius-rpc.com/…"},
		{"https://user:SECRET@rpc.example.com", "https://rpc.example.com/…"},
		{"mainnet", "mainnet"},
		{"not a url/SECRET", "<url>"},
	} {
		require.Equal(t, tc.want, Redact(tc.in), tc.in)
	}
}

func TestIsLoopback(t *testing.T) {
	for in, want := range map[string]bool{
		"http://127.0.0.1:8899":         true,
		"http://127.0.0.2:8899":         true,
		"http://localhost:8899":         true,
		"http://[::1]:8899":             true,
		"https://api.devnet.solana.com": false,
		"http://10.0.0.1:8899":          false,
		"%":                             false,
	} {
		require.Equal(t, want, IsLoopback(in), in)
	}
}

func TestDefaultPaths(t *testing.T) {
	require.Equal(t, "/home/a/.config/solana/cli/config.yml", DefaultPath("/home/a"))
	require.Equal(t, "/home/a/.config/solana/id.json", DefaultKeypairPath("/home/a"))
}
