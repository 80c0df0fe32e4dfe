package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// The package's commands run in-process against one shared embedded cluster with the
// session program at the MagicBlock id and the example game; TestGolden starts its own,
// whose clock it sets to fixed times. Tests that warp the clock run one at a time (no
// t.Parallel) and only move it forward from wherever it is.
func TestMain(m *testing.M) { os.Exit(localnettest.RunMain(m, clusterConfig()...)) }

var gameID = examplegame.ProgramID

// legacyID runs a stand-in for the 2023 session builds (V1 only, the lamports argument
// ignored), so that the CLI's answers to such a deployment are tested too.
var legacyID = fixedKey(77).PublicKey()

const legacyELF = "../../../../program/gplsession/testdata/gpl_session_legacy_v1.so"

func clusterConfig() []localnet.Option {
	legacy, err := os.ReadFile(legacyELF)
	if err != nil {
		panic(err)
	}
	return []localnet.Option{localnet.WithPrograms(
		localnettest.SessionProgram(),
		localnet.Program{ID: gameID, ELF: examplegame.ELF()},
		localnet.Program{ID: legacyID, ELF: legacy},
	)}
}

// fixedKey is a deterministic keypair: the ed25519 key whose seed is n repeated.
func fixedKey(n byte) solana.PrivateKey {
	return solana.PrivateKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{n}, 32)))
}

func fixedSeed(n byte) *session.Seed {
	var s session.Seed
	copy(s[:], bytes.Repeat([]byte{n}, 32))
	return &s
}

// harness runs the command line in-process with its own HOME.
type harness struct {
	t    *testing.T
	net  *localnet.Net
	home string
	env  map[string]string
	in   *os.File
	// typed are what ReadPassword returns, in order, as if typed on a terminal; nil
	// means stdin is not a terminal.
	typed []string
}

func newHarness(t *testing.T, n *localnet.Net) *harness {
	home := t.TempDir()
	return &harness{t: t, net: n, home: home, env: map[string]string{"HOME": home}}
}

type result struct {
	args     []string
	code     int
	out, err string
}

// run runs sessionkit with args exactly.
func (h *harness) run(args ...string) result {
	h.t.Helper()
	var out, errb bytes.Buffer
	stdio := IO{In: strings.NewReader(""), Out: &out, Err: &errb, Getenv: func(k string) string { return h.env[k] }}
	if h.in != nil {
		stdio.In = h.in
	}
	if h.typed != nil {
		stdio.ReadPassword = func() ([]byte, error) {
			require.NotEmpty(h.t, h.typed, "unexpected passphrase prompt")
			p := h.typed[0]
			h.typed = h.typed[1:]
			return []byte(p), nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := Main(ctx, args, stdio)
	return result{args: args, code: code, out: out.String(), err: errb.String()}
}

// onNet runs sessionkit against the harness's cluster.
func (h *harness) onNet(args ...string) result {
	h.t.Helper()
	r := h.run(append([]string{"-u", h.net.RPCURL()}, args...)...)
	r.args = args
	return r
}

// String is the golden form of a run: command, exit status, stdout, stderr.
func (r result) String() string {
	return fmt.Sprintf("$ sessionkit %s\nexit status %d\n--- stdout\n%s--- stderr\n%s", strings.Join(r.args, " "), r.code, r.out, r.err)
}

func (r result) ok(t *testing.T) result {
	t.Helper()
	require.Equal(t, 0, r.code, "%s", r)
	return r
}

// writeKeypair stores key as a Solana CLI keypair file at path.
func writeKeypair(t *testing.T, path string, key solana.PrivateKey) {
	sk, err := txn.NewSessionKey(key[:32])
	require.NoError(t, err)
	data, err := tokenstore.ExportSolanaKeypair(sk)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

// fundedAuthority makes a funded key the harness's default keypair
// (~/.config/solana/id.json, as the Solana CLI has it).
func (h *harness) fundedAuthority(lamports uint64) solana.PrivateKey {
	h.t.Helper()
	key, err := h.net.NewFundedKey(context.Background(), lamports)
	require.NoError(h.t, err)
	writeKeypair(h.t, filepath.Join(h.home, ".config", "solana", "id.json"), key)
	return key
}

// storeKey writes a master key file for a token store and returns the flags that use it.
func (h *harness) storeFlags() []string {
	h.t.Helper()
	keyFile := filepath.Join(h.home, "store.key")
	if _, err := os.Stat(keyFile); err != nil {
		require.NoError(h.t, os.WriteFile(keyFile, bytes.Repeat([]byte{7}, 32), 0o600))
	}
	return []string{"--store", filepath.Join(h.home, "sessions"), "--store-key-file", keyFile}
}

func (h *harness) balance(pk solana.PublicKey) uint64 {
	h.t.Helper()
	bal, err := h.net.RPC().GetBalance(context.Background(), pk, "confirmed")
	require.NoError(h.t, err)
	return bal.Value
}

func (h *harness) warpBy(d time.Duration) {
	h.t.Helper()
	now, err := h.net.ClusterTime(context.Background())
	require.NoError(h.t, err)
	warp(h.t, h.net, now.Add(d))
}

// warp moves the cluster clock to t, skipping the test on a backend that cannot.
func warp(t *testing.T, n *localnet.Net, to time.Time) {
	t.Helper()
	err := n.WarpTime(context.Background(), to)
	if errors.Is(err, localnet.ErrUnsupported) {
		t.Skipf("skipping: the %s backend cannot move its clock", n.Backend())
	}
	require.NoError(t, err)
}

// manager sends through a fresh sender on the harness's cluster, for test fixtures.
func (h *harness) manager() *session.Manager {
	h.t.Helper()
	c := sender.NewRPCClient(h.net.RPCURL(), nil)
	snd, err := sender.New(c, sender.WithErrorMapper(client.ParseTransactionError), sender.WithPollInterval(localPoll))
	require.NoError(h.t, err)
	h.t.Cleanup(snd.Close)
	return session.NewManager(c, snd)
}

var (
	base58Run = regexp.MustCompile(`\b[1-9A-HJ-NP-Za-km-z]{32,88}\b`)
	rfc3339   = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	relative  = regexp.MustCompile(`\b(in (\d+[dhms] ?){1,2}|(\d+[dhms] ?){1,2}ago|now)\b`)
	elapsed   = regexp.MustCompile(`\b\d+(\.\d+)?(µs|ms|s)\b|\b\d+m \d+s\b`)
	rate      = regexp.MustCompile(`\d+\.\d (transactions/s|tx/s)`)
	loopback  = regexp.MustCompile(`(http|ws)://127\.0\.0\.1:\d+`)
	padding   = regexp.MustCompile(` {2,}`)
)

// normalize replaces what differs between runs — addresses and signatures made from
// fresh keys, the clock, timings — by stable placeholders; the constant program ids
// stay. Base58 addresses vary in length (43 or 44 characters), and with them the
// alignment of columns, so runs of spaces become two.
func normalize(s string, keep ...string) string {
	names := map[string]string{}
	s = base58Run.ReplaceAllStringFunc(s, func(m string) string {
		for _, k := range append(keep, pda.MagicBlockProgramID.String(), gameID.String(),
			"BPFLoaderUpgradeab1e11111111111111111111111", "11111111111111111111111111111111") {
			if m == k {
				return m
			}
		}
		if n, ok := names[m]; ok {
			return n
		}
		kind := "KEY"
		if len(m) > 44 {
			kind = "SIG"
		}
		names[m] = fmt.Sprintf("<%s%d>", kind, len(names)+1)
		return names[m]
	})
	s = rfc3339.ReplaceAllString(s, "<TIME>")
	s = loopback.ReplaceAllString(s, "$1://127.0.0.1:<PORT>")
	s = rate.ReplaceAllString(s, "<RATE> $1")
	s = relative.ReplaceAllString(s, "<REL>")
	s = elapsed.ReplaceAllString(s, "<DUR>")
	return padding.ReplaceAllString(s, "  ")
}
