package localnet

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// roleEnv makes the test binary act as a helper process instead of running
// tests: a fake solana-test-validator, or a parent that gets SIGKILLed.
const roleEnv = "LOCALNET_TEST_ROLE"

// RunHelperProcess makes the test binary the helper process roleEnv names, if
// any, and exits; TestMain calls it before running tests.
func RunHelperProcess() {
	switch os.Getenv(roleEnv) {
	case "fake-validator":
		os.Exit(fakeValidator(os.Args[1:]))
	case "sigkill-child":
		os.Exit(sigkillChild())
	}
}

// fakeValidator stands in for solana-test-validator: it records its argv and
// pids in $FAKE_DIR, starts a grandchild (to prove Close kills the whole
// process group) and serves getHealth on --rpc-port. $FAKE_MODE "exit" fails
// at once, "hang" never becomes healthy.
func fakeValidator(args []string) int {
	dir := os.Getenv("FAKE_DIR")
	b, _ := json.Marshal(args)
	if err := os.WriteFile(filepath.Join(dir, "argv.json"), b, 0o600); err != nil {
		return 2
	}
	fmt.Fprintln(os.Stderr, "fake validator: starting")
	if os.Getenv("FAKE_MODE") == "exit" {
		fmt.Fprintln(os.Stderr, "fake validator: error: bad genesis")
		return 3
	}
	sleeper := exec.Command("sleep", "300")
	if err := sleeper.Start(); err != nil {
		return 2
	}
	pids := fmt.Sprintf("%d %d", os.Getpid(), sleeper.Process.Pid)
	if err := os.WriteFile(filepath.Join(dir, "pids"), []byte(pids), 0o600); err != nil {
		return 2
	}
	if os.Getenv("FAKE_MODE") == "hang" {
		select {}
	}
	port := ""
	for i, a := range args {
		if a == "--rpc-port" && i+1 < len(args) {
			port = args[i+1]
		}
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		_ = json.NewDecoder(r.Body).Decode(&req)
		w.Header().Set("Content-Type", "application/json")
		if req.Method == "getHealth" {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"ok"}`, req.ID)
			return
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"Method not found"}}`, req.ID)
	})
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, "fake validator:", err)
	}
	return 1
}

// sigkillChild starts an embedded runtime, reports the launcher's pid and
// scratch dir on stdout and waits to be killed.
func sigkillChild() int {
	n, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%d %s\n", n.Info().PID, n.tmpDir)
	select {}
}

// processAlive reports whether pid is a live, non-zombie process.
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state letter follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return true
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

// waitGone polls until pid has exited or the deadline passes.
func waitGone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still alive after %v", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func assertNoPath(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("%s still exists (stat err %v)", path, err)
	}
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

// embeddedOnly returns the options for tests of what only the embedded
// backend does; they skip when SESSIONKIT_LOCALNET selects another one, and
// follow localnettest's rule when it is off.
func embeddedOnly(t testing.TB) Option {
	t.Helper()
	b, err := resolveBackend("")
	if err != nil {
		t.Fatal(err)
	}
	if b == Off {
		failStart(t, ErrDisabled)
	}
	if b != Embedded {
		t.Skipf("tests the embedded backend; %s=%s", EnvBackend, b)
	}
	return WithBackend(Embedded)
}

// failStart ends t as localnettest does when a cluster cannot start, for this
// package's own tests, which cannot import localnettest (it imports localnet).
func failStart(t testing.TB, err error) {
	t.Helper()
	if Skippable(err) {
		t.Skipf("skipping integration test: %v (with CI set this is a failure)", err)
	}
	t.Fatal(err)
}
