package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionkit/sessionkit/client"
)

// reading is one observation of the cluster clock; at carries the local monotonic time.
type reading struct {
	unix int64
	at   time.Time
}

// estimate advances the reading by the whole seconds elapsed locally since it was taken.
func (r *reading) estimate() int64 { return r.unix + int64(time.Since(r.at)/time.Second) }

// clusterClock caches the cluster's unix time. Signing paths read it without locking; a
// reading older than maxAge is refreshed before use, by one caller while the others wait.
type clusterClock struct {
	fetch  func(ctx context.Context) (int64, error)
	maxAge time.Duration
	cur    atomic.Pointer[reading]
	mu     sync.Mutex
}

// now returns the cluster time estimated from a reading at most maxAge old.
func (c *clusterClock) now(ctx context.Context) (int64, error) {
	r, err := c.fresh(ctx)
	if err != nil {
		return 0, err
	}
	return r.estimate(), nil
}

// check returns client.ErrExpired only when a cluster reading is at or past validUntil. When the
// extrapolated time crosses validUntil first, it takes a new reading rather than refuse.
// The estimate counts whole seconds, so a cluster clock that lags the local one costs at
// most one extra reading per second, not one per signature.
func (c *clusterClock) check(ctx context.Context, validUntil int64) error {
	r, err := c.fresh(ctx)
	if err != nil {
		return err
	}
	if r.unix >= validUntil {
		return client.ErrExpired
	}
	if r.estimate() < validUntil {
		return nil
	}
	if r, err = c.refresh(ctx, r); err != nil {
		return err
	}
	if r.unix >= validUntil {
		return client.ErrExpired
	}
	return nil
}

func (c *clusterClock) fresh(ctx context.Context) (*reading, error) {
	r := c.cur.Load()
	if r != nil && time.Since(r.at) <= c.maxAge {
		return r, nil
	}
	return c.refresh(ctx, r)
}

// refresh replaces seen with a new reading unless another caller already did.
func (c *clusterClock) refresh(ctx context.Context, seen *reading) (*reading, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.cur.Load(); r != nil && r != seen {
		return r, nil
	}
	at := time.Now()
	unix, err := c.fetch(ctx)
	if err != nil {
		return nil, err
	}
	r := &reading{unix: unix, at: at}
	c.cur.Store(r)
	return r, nil
}

// forget drops the cached reading, for callers that know the cluster clock jumped.
func (c *clusterClock) forget() { c.cur.Store(nil) }
