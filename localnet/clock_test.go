package localnet_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// The embedded clock keeps within a second of wall time, idle and while transactions
// stream in, as solana-test-validator's does.
func TestClockFollowsWallTime(t *testing.T) {
	// Its own runtime: other tests warp the package's clock into the future.
	n := localnettest.StartForTest(t, localnet.EmbeddedOnly(t))
	ctx := testContext(t, time.Minute)
	within := func(phase string, d time.Duration) {
		t.Helper()
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			before := time.Now().Unix()
			got, err := n.ClusterTime(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after := time.Now().Unix()
			// The Clock counts whole seconds, so allow a second either side of the read.
			if got.Unix() < before-1 || got.Unix() > after+1 {
				t.Fatalf("%s: cluster time %d, wall time %d..%d", phase, got.Unix(), before, after)
			}
		}
	}
	within("idle", 4*time.Second)

	payer, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	loadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for loadCtx.Err() == nil {
				if err := n.Fund(loadCtx, payer.PublicKey(), 1); err != nil && loadCtx.Err() == nil {
					t.Error(err)
					return
				}
			}
		})
	}
	within("under load", 4*time.Second)
	stop()
	wg.Wait()
}

// A warp into the future holds: following never moves the clock back.
func TestClockFollowingKeepsWarp(t *testing.T) {
	n := localnettest.StartForTest(t, localnet.EmbeddedOnly(t))
	ctx := testContext(t, time.Minute)
	target := time.Now().Add(time.Hour).Truncate(time.Second)
	if err := n.WarpTime(ctx, target); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	got, err := n.ClusterTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(target) || got.Sub(target) > 2*time.Second {
		t.Fatalf("clock %v a second after warping to %v", got, target)
	}
}
