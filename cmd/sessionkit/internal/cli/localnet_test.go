package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/solanacfg"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// upRun is `localnet up` running in the background with its stdout streamed.
type upRun struct {
	lines  *bufio.Scanner
	done   chan int
	stderr *strings.Builder
}

func startUp(t *testing.T, ctx context.Context, stdin *os.File, args ...string) *upRun {
	t.Helper()
	outR, outW := io.Pipe()
	u := &upRun{lines: bufio.NewScanner(outR), done: make(chan int, 1), stderr: &strings.Builder{}}
	home := t.TempDir()
	stdio := IO{In: stdin, Out: outW, Err: u.stderr, Getenv: func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}}
	go func() {
		code := Main(ctx, append([]string{"localnet", "up"}, args...), stdio)
		outW.Close()
		u.done <- code
	}()
	return u
}

func (u *upRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-u.done:
		return code
	case <-time.After(time.Minute):
		t.Fatal("localnet up did not stop")
		return -1
	}
}

// processGone waits until pid no longer exists.
func processGone(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }, 10*time.Second, 20*time.Millisecond,
		"runtime process %d still running", pid)
}

// TestLocalnetUpJSON is the contract for test suites in other languages: one JSON line,
// a working cluster with the programs and balances asked for, and a clean stop when
// stdin (a pipe) closes.
func TestLocalnetUpJSON(t *testing.T) {
	localnettest.ForTest(t) // skips or fails like every integration test when the runtime cannot start
	extraID := fixedKey(40).PublicKey()
	soPath := filepath.Join(t.TempDir(), "game.so")
	require.NoError(t, os.WriteFile(soPath, examplegame.ELF(), 0o644))
	funded := fixedKey(41).PublicKey()

	stdinR, stdinW, err := os.Pipe()
	require.NoError(t, err)
	defer stdinR.Close()
	u := startUp(t, context.Background(), stdinR, "--output", "json", "--program", extraID.String()+"="+soPath,
		"--fund", funded.String()+"=2.5")
	require.True(t, u.lines.Scan(), "no output: %s", u.stderr)
	var info struct {
		Backend   string `json:"backend"`
		RPCURL    string `json:"rpcUrl"`
		WSURL     string `json:"wsUrl"`
		PID       int    `json:"pid"`
		StartupNs int64  `json:"startupNs"`
		Programs  []loadedProgram
	}
	require.NoError(t, json.Unmarshal(u.lines.Bytes(), &info))
	require.Equal(t, "embedded", info.Backend)
	require.True(t, strings.HasPrefix(info.RPCURL, "http://127.0.0.1:"), info.RPCURL)
	require.True(t, strings.HasPrefix(info.WSURL, "ws://127.0.0.1:"), info.WSURL)
	require.Positive(t, info.PID)
	require.Positive(t, info.StartupNs)
	require.Equal(t, []loadedProgram{
		{ID: pda.MagicBlockProgramID.String(), Name: "gpl_session (sessionkit build)"},
		{ID: gameID.String(), Name: "example game"},
		{ID: extraID.String(), Name: soPath},
	}, info.Programs)

	c := rpc.New(info.RPCURL)
	ctx := context.Background()
	for _, id := range []solana.PublicKey{pda.MagicBlockProgramID, gameID, extraID} {
		acct, err := c.GetAccountInfo(ctx, id)
		require.NoError(t, err)
		require.True(t, acct.Value.Executable, id.String())
	}
	bal, err := c.GetBalance(ctx, funded, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	require.Equal(t, uint64(2_500_000_000), bal.Value)

	require.NoError(t, stdinW.Close())
	require.Equal(t, ExitOK, u.wait(t))
	require.False(t, u.lines.Scan(), "nothing after the JSON line")
	require.Empty(t, u.stderr.String())
	processGone(t, info.PID)
}

// TestLocalnetUpText prints the URLs and stops when its context ends (Ctrl-C in main).
func TestLocalnetUpText(t *testing.T) {
	localnettest.ForTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := startUp(t, ctx, nil)
	var out []string
	for u.lines.Scan() {
		out = append(out, u.lines.Text())
		if u.lines.Text() == "Press Ctrl-C to stop." {
			break
		}
	}
	text := strings.Join(out, "\n")
	require.Contains(t, text, "Local cluster running (embedded backend, pid ")
	require.Contains(t, text, "RPC URL:       http://127.0.0.1:")
	require.Contains(t, text, "WebSocket URL: ws://127.0.0.1:")
	require.Regexp(t, "\n  "+pda.MagicBlockProgramID.String()+" +gpl_session \\(sessionkit build\\)\n", text)
	require.Regexp(t, "\n  "+gameID.String()+" +example game\n", text)
	cancel()
	require.Equal(t, ExitOK, u.wait(t))
	require.Equal(t, "Local cluster stopped.\n", u.stderr.String())
}

func TestLocalnetUpBadFlags(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--program", "nope"}, `Error: --program "nope": want ID=PATH.so`},
		{[]string{"--program", "xyz0=a.so"}, `Error: invalid --program id "xyz0": decode: base58: invalid base58 character`},
		{[]string{"--program", fixedKey(1).PublicKey().String() + "=/nonexistent.so"}, "Error: --program " + fixedKey(1).PublicKey().String() +
			"=/nonexistent.so: localnet: reading program " + fixedKey(1).PublicKey().String() + ": open /nonexistent.so: no such file or directory"},
		{[]string{"--fund", fixedKey(1).PublicKey().String() + "=lots"}, "Error: --fund " + fixedKey(1).PublicKey().String() +
			`=lots: "lots": not a SOL amount (a decimal such as 0.01, at most 9 decimals)`},
	} {
		r := h.run(append([]string{"localnet", "up"}, tc.args...)...)
		require.Equal(t, ExitUsage, r.code, "%s", r)
		require.Equal(t, tc.err, strings.Split(r.err, "\n")[0])
	}
}

// localnet warp moves a running cluster's clock forward, by a duration or to a time, and
// refuses to move it back.
func TestFirstHourLocalnetWarp(t *testing.T) {
	n := localnettest.StartForTest(t, clusterConfig()...)
	h := newHarness(t, n)
	before, err := n.ClusterTime(context.Background())
	require.NoError(t, err)
	h.onNet("localnet", "warp", "2h").ok(t)
	after, err := n.ClusterTime(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, after.Sub(before), 2*time.Hour)
	require.Less(t, after.Sub(before), 2*time.Hour+time.Minute)

	target := after.Add(72 * time.Hour).UTC().Truncate(time.Second)
	out := decode[struct {
		To string `json:"toUtc"`
	}](t, h.onNet("localnet", "warp", target.Format(time.RFC3339), "--output", "json").ok(t))
	require.Equal(t, target.Format(time.RFC3339), out.To)
	now, err := n.ClusterTime(context.Background())
	require.NoError(t, err)
	require.False(t, now.Before(target))

	back := h.onNet("localnet", "warp", before.UTC().Format(time.RFC3339))
	require.Equal(t, ExitUsage, back.code, "%s", back)
	require.Contains(t, back.err, "moves forward only")
	bad := h.onNet("localnet", "warp", "soon")
	require.Equal(t, ExitUsage, bad.code, "%s", bad)
}

// localnet up serves where people look for a local validator (RPC on --rpc-port, the
// WebSocket on the next port), falls back to free ports with a note when the default
// ones are taken, and writes a Solana CLI config file pointing at itself.
func TestFirstHourLocalnetUpPorts(t *testing.T) {
	localnettest.ForTest(t)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := free.Addr().(*net.TCPAddr).Port
	require.NoError(t, free.Close())
	cfgPath := filepath.Join(t.TempDir(), "config.yml")

	stdinR, stdinW, err := os.Pipe()
	require.NoError(t, err)
	defer stdinR.Close()
	u := startUp(t, context.Background(), stdinR, "--output", "json", "--rpc-port", strconv.Itoa(port), "--write-config", cfgPath)
	require.True(t, u.lines.Scan(), "no output: %s", u.stderr)
	var info struct {
		RPCURL string `json:"rpcUrl"`
		WSURL  string `json:"wsUrl"`
	}
	require.NoError(t, json.Unmarshal(u.lines.Bytes(), &info))
	require.Equal(t, fmt.Sprintf("http://127.0.0.1:%d", port), info.RPCURL)
	require.Equal(t, fmt.Sprintf("ws://127.0.0.1:%d", port+1), info.WSURL)
	// JSON-RPC and a WebSocket subscription both go through the relay.
	c := rpc.New(info.RPCURL)
	acct, err := c.GetAccountInfo(context.Background(), pda.MagicBlockProgramID)
	require.NoError(t, err)
	require.True(t, acct.Value.Executable)
	snd, err := sender.New(c, sender.WithWebSocket(info.WSURL), sender.WithPollInterval(time.Minute))
	require.NoError(t, err)
	defer snd.Close()
	cfg, err := solanacfg.Load(cfgPath)
	require.NoError(t, err)
	require.Equal(t, info.RPCURL, cfg.JSONRPCURL)
	require.Equal(t, info.WSURL, cfg.WebsocketURL)
	require.Equal(t, "confirmed", cfg.Commitment)
	require.True(t, strings.HasSuffix(cfg.KeypairPath, filepath.Join(".config", "solana", "id.json")), cfg.KeypairPath)

	// The same ports again, asked for explicitly: refused, since they are taken.
	again := startUp(t, context.Background(), nil, "--rpc-port", strconv.Itoa(port))
	require.Equal(t, ExitError, again.wait(t))
	require.Contains(t, again.stderr.String(), fmt.Sprintf("127.0.0.1:%d is in use", port))

	require.NoError(t, stdinW.Close())
	require.Equal(t, 0, u.wait(t), u.stderr.String())
}
