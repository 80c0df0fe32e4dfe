package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/golden"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// TestHelp: every command documents itself with examples, and --help succeeds.
func TestHelp(t *testing.T) {
	h := newHarness(t, nil)
	var walk func(c *cobra.Command)
	var paths [][]string
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && c.Name() != "completion" {
			paths = append(paths, strings.Fields(c.CommandPath())[1:])
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk((&app{}).root())
	require.Len(t, paths, 19)
	for _, p := range paths {
		r := h.run(append(p, "--help")...)
		require.Equal(t, ExitOK, r.code, "%s", r)
		require.Contains(t, r.out, "Examples:\n", "sessionkit %s --help has no examples", strings.Join(p, " "))
		require.Empty(t, r.err)
	}
	golden.Check(t, "help.txt", h.run("--help").out)
	require.Equal(t, h.run("--help").out, h.run().out, "no arguments prints the help")
}

// TestConfigFile: like the solana CLI, sessionkit takes the cluster, keypair and
// commitment from ~/.config/solana/cli/config.yml, and flags override it.
func TestConfigFile(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	auth := h.fundedAuthority(authFunds)
	keyPath := filepath.Join(h.home, "elsewhere", "wallet.json")
	writeKeypair(t, keyPath, auth)
	require.NoError(t, os.Remove(filepath.Join(h.home, ".config", "solana", "id.json")))
	cfg := "---\njson_rpc_url: \"" + h.net.RPCURL() + "\"\nwebsocket_url: \"\"\nkeypair_path: " + keyPath + "\ncommitment: confirmed\n"
	cfgPath := filepath.Join(h.home, ".config", "solana", "cli", "config.yml")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfgPath), 0o700))
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))

	// No -u, no -k, no --authority: all from the config file.
	r := h.run("list").ok(t)
	require.Contains(t, r.out, "Authority:    "+auth.PublicKey().String()+"\n")

	// -u overrides the file.
	r = h.run("-u", "http://127.0.0.1:1", "list")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.err, "cannot reach the cluster at http://127.0.0.1:1")

	// Several endpoints, comma-separated and repeated: the dead one is failed over.
	r = h.run("-u", "http://127.0.0.1:1,"+h.net.RPCURL(), "-u", "http://127.0.0.1:2", "list").ok(t)
	require.Contains(t, r.out, "Authority:    "+auth.PublicKey().String()+"\n")

	// -C names another file; a missing one named explicitly is an error.
	alt := filepath.Join(h.home, "alt.yml")
	require.NoError(t, os.WriteFile(alt, []byte("json_rpc_url: http://127.0.0.1:1\nkeypair_path: "+keyPath+"\n"), 0o600))
	r = h.run("-C", alt, "list")
	require.Equal(t, ExitError, r.code)
	require.Contains(t, r.err, "cannot reach the cluster at http://127.0.0.1:1")
	r = h.run("-C", filepath.Join(h.home, "none.yml"), "list")
	require.Equal(t, ExitUsage, r.code)
	require.Equal(t, "Error: reading the Solana CLI config: open "+filepath.Join(h.home, "none.yml")+": no such file or directory\n"+
		"Hint: run 'sessionkit list --help' for usage\n", r.err)

	bad := filepath.Join(h.home, "bad.yml")
	require.NoError(t, os.WriteFile(bad, []byte("json_rpc_url: \"http://x\n"), 0o600))
	r = h.run("-C", bad, "list")
	require.Equal(t, ExitUsage, r.code)
	require.Equal(t, "Error: reading the Solana CLI config: "+bad+": line 1 (json_rpc_url): unterminated double-quoted string\n"+
		"Hint: run 'sessionkit list --help' for usage\n", r.err)

	// A URL the file gets wrong is the file's error, not -u's.
	require.NoError(t, os.WriteFile(bad, []byte("json_rpc_url: ftp://x\n"), 0o600))
	r = h.run("-C", bad, "list")
	require.Equal(t, ExitUsage, r.code)
	require.True(t, strings.HasPrefix(r.err, "Error: the Solana CLI config "+bad+": json_rpc_url "), r.err)
	require.Contains(t, r.err, "\nHint: fix json_rpc_url in "+bad+", or pass -u m, d, t, l or an http(s) URL\n")
}

// TestErrors pins the one-line errors, hints and exit codes of bad input that needs
// no fixed cluster state.
func TestErrors(t *testing.T) {
	h := newHarness(t, localnettest.ForTest(t))
	unfunded := filepath.Join(h.home, "unfunded.json")
	writeKeypair(t, unfunded, fixedKey(50))
	fundedKey, err := h.net.NewFundedKey(context.Background(), authFunds)
	require.NoError(t, err)
	funded := filepath.Join(h.home, "funded.json")
	writeKeypair(t, funded, fundedKey)
	game := gameID.String()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"unknown-command", []string{"frobnicate"}},
		{"unknown-flag", []string{"list", "--frobnicate"}},
		{"extra-argument", []string{"list", "extra"}},
		{"missing-argument", []string{"revoke"}},
		{"bad-output", []string{"--output", "yaml", "list"}},
		{"bad-url", []string{"-u", "mainnet", "list"}},
		{"bad-commitment", []string{"--commitment", "processed", "list"}},
		{"bad-program-id", []string{"--program-id", "KeyspM2ss", "list"}},
		{"no-keypair", []string{"list"}},
		{"create-no-target", []string{"create"}},
		{"create-top-up-without-store", []string{"create", "--target", game}},
		{"create-too-long", []string{"create", "--target", game, "--valid-for", "8d", "--top-up", "0"}},
		{"create-bad-validity", []string{"create", "--target", game, "--valid-for", "soon", "--top-up", "0"}},
		{"create-no-keypair", []string{"create", "--target", game, "--top-up", "0"}},
		{"create-unfunded", []string{"-k", unfunded, "create", "--target", game, "--top-up", "0"}},
		{"create-not-executable", []string{"-k", funded, "create", "--target", fixedKey(51).PublicKey().String(), "--top-up", "0"}},
		{"keys-no-store", []string{"keys", "list"}},
		{"export-no-store", []string{"keys", "export", game}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.onNet(tc.args...)
			require.NotEqual(t, ExitOK, r.code)
			require.Empty(t, r.out)
			golden.Check(t, "errors/"+tc.name+".txt", normalize(strings.ReplaceAll(r.String(), h.home, "$HOME"), fixedKey(50).PublicKey().String(), fixedKey(51).PublicKey().String()))
		})
	}
}
