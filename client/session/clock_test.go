package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sessionkit/sessionkit/client"
	"github.com/stretchr/testify/require"
)

func TestClockCheck(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name       string
		reading    int64         // cluster time of the cached reading
		age        time.Duration // how old the cached reading is
		next       int64         // what the next fetch returns
		validUntil int64
		want       error
		reads      int64
	}{
		{name: "fresh reading, valid", reading: 1_000, next: 1_000, validUntil: 1_001, reads: 0},
		{name: "fresh reading, at valid_until", reading: 1_001, next: 1_001, validUntil: 1_001, want: client.ErrExpired, reads: 0},
		{name: "stale reading refreshed, now expired", reading: 1_000, age: time.Minute, next: 1_001, validUntil: 1_001, want: client.ErrExpired, reads: 1},
		{name: "stale reading refreshed, still valid", reading: 900, age: time.Minute, next: 1_000, validUntil: 1_001, reads: 1},
		{name: "estimate past expiry, cluster disagrees", reading: 1_000, age: 5 * time.Second, next: 1_000, validUntil: 1_001, reads: 1},
		{name: "estimate past expiry, cluster agrees", reading: 1_000, age: 5 * time.Second, next: 1_002, validUntil: 1_001, want: client.ErrExpired, reads: 1},
		{name: "under a second since the reading", reading: 1_000, age: 900 * time.Millisecond, next: 2_000, validUntil: 1_001, reads: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc := &fakeClock{}
			fc.unix.Store(tc.next)
			c := &clusterClock{fetch: fc.fetch, maxAge: 30 * time.Second}
			c.cur.Store(&reading{unix: tc.reading, at: time.Now().Add(-tc.age)})
			require.Equal(t, tc.want, c.check(ctx, tc.validUntil))
			require.Equal(t, tc.reads, fc.reads.Load())
		})
	}
}

func TestClockRefreshesOnceForManyWaiters(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(42)
	c := &clusterClock{fetch: fc.fetch, maxAge: time.Hour}
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			now, err := c.now(context.Background())
			require.NoError(t, err)
			require.GreaterOrEqual(t, now, int64(42))
		})
	}
	wg.Wait()
	require.Equal(t, int64(1), fc.reads.Load())

	c.forget()
	_, err := c.now(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(2), fc.reads.Load())
}
