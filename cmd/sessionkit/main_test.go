package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/localnet"
)

// The test binary doubles as the sessionkit binary, so exit codes and signals are
// tested on a real process without a separate build.
const envRunMain = "SESSIONKIT_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func sessionkit(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envRunMain+"=1", "HOME="+t.TempDir())
	return cmd
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "%v", err)
	return ee.ExitCode()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--help"}, 0, ""},
		{[]string{"inspect", "not-base58!"}, 2, "Error: invalid token address \"not-base58!\": decode: base58: invalid base58 character\n" +
			"Hint: addresses are base58 strings of 32-44 characters\n"},
		{[]string{"-u", "http://127.0.0.1:1", "inspect", "11111111111111111111111111111111"}, 1,
			"Error: cannot reach the cluster at http://127.0.0.1:1: connection refused\n" +
				"Hint: is a cluster running there? Start one with 'sessionkit localnet up', or choose another with -u (m, d, t, l or a URL)\n"},
		{[]string{"nonsense"}, 2, "Error: unknown command \"nonsense\" for \"sessionkit\"\nHint: run 'sessionkit --help' for usage\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stderr strings.Builder
			cmd := sessionkit(t, tc.args...)
			cmd.Stderr = &stderr
			require.Equal(t, tc.code, exitCode(t, cmd.Run()))
			require.Equal(t, tc.stderr, stderr.String())
		})
	}
}

// requireRuntime applies the integration tests' skip rule: without node (or with the
// runtime switched off) skip, unless CI is set.
func requireRuntime(t *testing.T) {
	_, err := exec.LookPath("node")
	off := os.Getenv(localnet.EnvBackend) == string(localnet.Off)
	if (err != nil || off) && os.Getenv("CI") == "" {
		t.Skip("skipping: the embedded runtime needs node (with CI set this is a failure)")
	}
}

// upInfo starts `localnet up --output json` and reads its line.
func upInfo(t *testing.T, cmd *exec.Cmd) (pid int) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	require.True(t, sc.Scan(), "no JSON line")
	var info struct {
		RPCURL string `json:"rpcUrl"`
		PID    int    `json:"pid"`
	}
	require.NoError(t, json.Unmarshal(sc.Bytes(), &info))
	require.True(t, strings.HasPrefix(info.RPCURL, "http://127.0.0.1:"))
	go func() {
		for sc.Scan() {
		}
	}()
	return info.PID
}

func gone(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }, 10*time.Second, 20*time.Millisecond,
		"runtime process %d outlived sessionkit", pid)
}

// TestLocalnetUpStops: Ctrl-C (SIGINT), SIGTERM and the closing of a stdin pipe each
// stop the cluster and remove its process, with exit status 0.
func TestLocalnetUpStops(t *testing.T) {
	requireRuntime(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := sessionkit(t, "localnet", "up", "--output", "json")
			pid := upInfo(t, cmd)
			require.NoError(t, cmd.Process.Signal(sig))
			require.Equal(t, 0, exitCode(t, cmd.Wait()))
			gone(t, pid)
		})
	}
	t.Run("stdin closed", func(t *testing.T) {
		cmd := sessionkit(t, "localnet", "up", "--output", "json")
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		pid := upInfo(t, cmd)
		require.NoError(t, stdin.Close())
		require.Equal(t, 0, exitCode(t, cmd.Wait()))
		gone(t, pid)
	})
}

// TestDemoInterrupted: Ctrl-C during the demo stops it with status 130 and one line.
func TestDemoInterrupted(t *testing.T) {
	requireRuntime(t)
	var stderr strings.Builder
	cmd := sessionkit(t, "demo", "--moves", "2000", "--concurrency", "1", "--top-up", "0.02")
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.Equal(t, 130, exitCode(t, cmd.Wait()))
	require.Equal(t, "Error: interrupted\n", stderr.String())
}
