// Package localnettest hands tests a localnet cluster, shared per test binary or one per test;
// it is apart from localnet so that binaries using localnet do not link package testing.
package localnettest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sessionkit/sessionkit/localnet"
)

// shared is the per-test-binary cluster that RunMain owns and ForTest hands out.
var shared struct {
	mu         sync.Mutex
	registered bool
	opts       []localnet.Option
	started    bool
	net        *localnet.Net
	err        error
}

// RunMain runs a test package with one cluster shared by all its tests:
// ForTest starts it with opts on first use, and RunMain closes it after the
// tests. A fresh cluster per package keeps each runtime well below the few
// thousand transactions after which surfpool slows down. Use it as
//
//	func TestMain(m *testing.M) { localnettest.RunMain(m) }
//
// (or os.Exit(localnettest.RunMain(m, opts...)) when TestMain does more afterwards).
func RunMain(m *testing.M, opts ...localnet.Option) int {
	shared.mu.Lock()
	shared.registered = true
	shared.opts = opts
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.net != nil {
		if err := shared.net.Close(); err != nil && code == 0 {
			os.Stderr.WriteString(err.Error() + "\n")
			code = 1
		}
	}
	return code
}

// ForTest returns the package's shared cluster when TestMain uses RunMain,
// and otherwise starts a cluster just for t and closes it when t ends.
//
// When the cluster cannot start, t fails with the runtime's output. The
// exceptions, only while the CI variable is unset: without node on PATH t is
// skipped with a message saying how to install Node.js, and with
// SESSIONKIT_LOCALNET=off it is skipped too.
func ForTest(t testing.TB) *localnet.Net {
	t.Helper()
	shared.mu.Lock()
	if !shared.registered {
		shared.mu.Unlock()
		return StartForTest(t)
	}
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		shared.net, shared.err = localnet.Start(ctx, shared.opts...)
		cancel()
	}
	n, err := shared.net, shared.err
	shared.mu.Unlock()
	if err != nil {
		failStart(t, err)
	}
	return n
}

// StartForTest starts a cluster with opts for t alone and closes it when t
// ends, failing or skipping t as ForTest does.
func StartForTest(t testing.TB, opts ...localnet.Option) *localnet.Net {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	n, err := localnet.Start(ctx, opts...)
	if err != nil {
		failStart(t, err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

func failStart(t testing.TB, err error) {
	t.Helper()
	if localnet.Skippable(err) {
		t.Skipf("skipping integration test: %v (with CI set this is a failure)", err)
	}
	t.Fatal(err)
}
