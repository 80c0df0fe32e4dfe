package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// TestFirstHourKeygenAirdropBalance is a newcomer's first steps without the solana CLI:
// a keypair at the default path, an airdrop to it, its balance, then a session.
func TestFirstHourKeygenAirdropBalance(t *testing.T) {
	t.Parallel()
	h := newHarness(t, localnettest.ForTest(t))
	path := filepath.Join(h.home, ".config", "solana", "id.json")

	gen := h.run("keygen").ok(t)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	key, err := solana.PrivateKeyFromSolanaKeygenFile(path)
	require.NoError(t, err)
	addr := key.PublicKey().String()
	require.Equal(t, "pubkey: "+addr+"\n", gen.out)
	require.Equal(t, "Wrote a new keypair to "+path+"\n", gen.err)

	zero := h.onNet("balance").ok(t)
	require.Equal(t, "0 SOL (0 lamports)\n", zero.out)

	drop := h.onNet("airdrop", "2").ok(t)
	require.Contains(t, drop.out, "Airdropped: 2 SOL (2000000000 lamports) to "+addr+"\n")
	require.Contains(t, drop.out, "Balance:    2 SOL (2000000000 lamports)\n")
	require.Regexp(t, `^Signature: +[1-9A-HJ-NP-Za-km-z]{64,88}\n`, drop.out)

	var bal balanceOut
	require.NoError(t, json.Unmarshal([]byte(h.onNet("balance", "--output", "json").ok(t).out), &bal))
	require.Equal(t, balanceOut{Address: addr, Lamports: 2 * solana.LAMPORTS_PER_SOL, SOL: "2"}, bal)

	other := fixedKey(43).PublicKey().String()
	var f funded
	require.NoError(t, json.Unmarshal([]byte(h.onNet("airdrop", "0.5", other, "--output", "json").ok(t).out), &f))
	require.Equal(t, other, f.Address)
	require.Equal(t, solana.LAMPORTS_PER_SOL/2, f.Balance)
	require.Equal(t, "0.5 SOL (500000000 lamports)\n", h.onNet("balance", other).ok(t).out)

	// The keypair signs a session at once.
	h.onNet("create", "--target", gameID.String(), "--top-up", "0", "--output", "json").ok(t)
}

func TestKeygenRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	path := filepath.Join(h.home, "player.json")
	first := h.run("keygen", "--outfile", path, "--output", "json").ok(t)
	var g generated
	require.NoError(t, json.Unmarshal([]byte(first.out), &g))
	require.Equal(t, path, g.Outfile)
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	again := h.run("keygen", "--outfile", path)
	require.Equal(t, ExitError, again.code)
	require.Equal(t, "Error: file already exists: "+path+"\n"+
		"Hint: choose another file with --outfile, or pass --force to replace it (its key is then lost)\n", again.err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)

	// --force replaces the file, still with mode 0600 where the old one was wider.
	require.NoError(t, os.Chmod(path, 0o644))
	forced := h.run("keygen", "--outfile", path, "--force").ok(t)
	after, err = os.ReadFile(path)
	require.NoError(t, err)
	require.NotEqual(t, before, after)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	key, err := solana.PrivateKeyFromSolanaKeygenFile(path)
	require.NoError(t, err)
	require.Equal(t, "pubkey: "+key.PublicKey().String()+"\n", forced.out)
}

// TestKeygenConfigPath: without --outfile the file is the config file's keypair_path,
// as -k resolves it.
func TestKeygenConfigPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	cfg := filepath.Join(h.home, "config.yml")
	want := filepath.Join(h.home, "keys", "me.json")
	require.NoError(t, os.WriteFile(cfg, []byte("keypair_path: "+want+"\n"), 0o600))
	h.run("-C", cfg, "keygen").ok(t)
	_, err := solana.PrivateKeyFromSolanaKeygenFile(want)
	require.NoError(t, err)
}

func TestAirdropRefused(t *testing.T) {
	t.Parallel()
	// As mainnet-beta answers: requestAirdrop is not served.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}`))
	}))
	t.Cleanup(srv.Close)
	h := newHarness(t, nil)
	r := h.run("-u", srv.URL, "airdrop", "1", fixedKey(44).PublicKey().String())
	require.Equal(t, ExitError, r.code)
	require.Equal(t, "Error: the cluster at "+srv.URL+" refused the airdrop: JSON-RPC error -32601: Method not found\n"+
		"Hint: local clusters serve airdrops ('sessionkit localnet up'), devnet and testnet a little; on mainnet-beta send SOL from a wallet\n", r.err)

	bad := h.run("airdrop", "lots")
	require.Equal(t, ExitUsage, bad.code)
	require.True(t, strings.HasPrefix(bad.err, `Error: invalid amount "lots"`), bad.err)
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := newHarness(t, nil).run("--version").ok(t)
	require.Regexp(t, `^sessionkit \S+`, r.out)
	require.Equal(t, "sessionkit "+version()+"\n", r.out)
}
