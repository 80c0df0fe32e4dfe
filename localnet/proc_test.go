package localnet

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestStartStopLeavesNothing(t *testing.T) {
	cfg := embeddedOnly(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A private TMPDIR, so that runtimes of other processes do not count.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for i := range 20 {
		n, err := Start(ctx, cfg)
		if err != nil {
			failStart(t, err)
		}
		pid, dir := n.Info().PID, n.tmpDir
		if !processAlive(pid) {
			t.Fatalf("run %d: launcher %d not running after Start", i, pid)
		}
		if h, err := n.RPC().GetHealth(ctx); err != nil || h != "ok" {
			t.Fatalf("run %d: getHealth = %q, %v", i, h, err)
		}
		if !strings.HasPrefix(n.RPCURL(), "http://127.0.0.1:") || !strings.HasPrefix(n.WSURL(), "ws://127.0.0.1:") {
			t.Fatalf("run %d: endpoints %s %s are not loopback-only", i, n.RPCURL(), n.WSURL())
		}
		if err := n.Close(); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		// Close waits for the process, so it must be gone at once.
		if processAlive(pid) {
			t.Fatalf("run %d: launcher %d alive after Close", i, pid)
		}
		assertNoPath(t, dir)
	}
	assertEmptyDir(t, tmp)
}

func TestParentSIGKILLStopsRuntime(t *testing.T) {
	embeddedOnly(t)
	if _, err := exec.LookPath("node"); err != nil {
		failStart(t, ErrNodeMissing)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe)
	child.Env = append(os.Environ(), roleEnv+"=sigkill-child")
	var stderr bytes.Buffer
	child.Stderr = &stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = child.Wait()
		t.Fatalf("child did not report its runtime: %v\n%s", err, stderr.String())
	}
	var pid int
	var dir string
	if _, err := fmt.Sscanf(line, "%d %s", &pid, &dir); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	if !processAlive(pid) {
		t.Fatalf("launcher %d not running", pid)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	waitGone(t, pid, 15*time.Second)
	assertNoPath(t, dir)
}
