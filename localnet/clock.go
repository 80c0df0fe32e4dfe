package localnet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/txn"
)

// followInterval is how often the embedded cluster's clock is compared with wall
// time. surfpool 1.5.0 moves its Clock sysvar only now and then (measured: not at all
// over 4 s, 1 s over 85 s), so without a nudge a session made for seconds never
// expires; lifting it at most once per wall-clock second keeps it within 1 s while
// spending about one block per second.
const followInterval = 200 * time.Millisecond

// clockFollower lifts the embedded cluster's clock to wall time whenever it falls
// behind, as solana-test-validator's follows wall time. It only ever moves the clock
// forward: after a WarpTime into the future the clock stays where the warp put it
// until wall time catches up, which is what expiry tests that warp expect.
type clockFollower struct {
	// mu orders the follower's read-then-travel against WarpTime, so that a warp
	// in between is never undone.
	mu     sync.Mutex
	client *rpc.Client
	stop   context.CancelFunc
	done   chan struct{}
}

func startClockFollower(client *rpc.Client) *clockFollower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &clockFollower{client: client, stop: cancel, done: make(chan struct{})}
	go f.run(ctx)
	return f
}

func (f *clockFollower) run(ctx context.Context) {
	defer close(f.done)
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		// Errors are left to the next tick: a busy or stopping runtime is no reason
		// to give up following, and nobody is waiting for this goroutine's result.
		_ = f.catchUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// catchUp moves the clock to now if its second is behind now's.
func (f *clockFollower) catchUp(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	unix, err := txn.ClusterTime(ctx, f.client, rpc.CommitmentConfirmed)
	if err != nil {
		return err
	}
	now := time.Now()
	if unix >= now.Unix() {
		return nil
	}
	return timeTravel(ctx, f.client, now)
}

func (f *clockFollower) close() {
	f.stop()
	<-f.done
}

func timeTravel(ctx context.Context, client *rpc.Client, t time.Time) error {
	var out any
	return client.RPCCallForInto(ctx, &out, "surfnet_timeTravel", []any{map[string]any{"absoluteTimestamp": t.UnixMilli()}})
}

// Warp moves the clock of a running embedded cluster reached through client (one that
// `sessionkit localnet up` started, say) to t. The clock only moves forward: a t not
// after the cluster's time is refused, and a cluster that follows wall time keeps a
// clock warped ahead until wall time passes it.
func Warp(ctx context.Context, client *rpc.Client, t time.Time) error {
	now, err := txn.ClusterTime(ctx, client, rpc.CommitmentConfirmed)
	if err != nil {
		return fmt.Errorf("localnet: warp: %w", err)
	}
	if !t.After(time.Unix(now, 0)) {
		return fmt.Errorf("%w: warp to %s: the cluster's clock is at %s and moves forward only",
			ErrUnsupported, t.UTC().Format(time.RFC3339), time.Unix(now, 0).UTC().Format(time.RFC3339))
	}
	if err := timeTravel(ctx, client, t); err != nil {
		return fmt.Errorf("localnet: surfnet_timeTravel to %s (is this an embedded cluster?): %w", t.UTC().Format(time.RFC3339), err)
	}
	return nil
}
