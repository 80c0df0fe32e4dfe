package sender

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockhashServer answers getLatestBlockhash with blockhash n and lastValidBlockHeight
// lvbh(n) for the n-th call (from 1), after delay. It records the commitment asked for.
type blockhashServer struct {
	calls      atomic.Int32
	lvbh       func(n int) uint64
	delay      time.Duration
	status     int
	commitment atomic.Value
}

func hashN(n int) solana.Hash { return solana.Hash{byte(n), 0xbb} }

func (s *blockhashServer) start(t *testing.T) *rpc.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Method string           `json:"method"`
			Params []map[string]any `json:"params"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Method != "getLatestBlockhash" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		n := int(s.calls.Add(1))
		if len(req.Params) == 1 {
			s.commitment.Store(req.Params[0]["commitment"])
		}
		time.Sleep(s.delay)
		if s.status != 0 {
			w.WriteHeader(s.status)
			return
		}
		lvbh := uint64(100 + n)
		if s.lvbh != nil {
			lvbh = s.lvbh(n)
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":%d},"value":{"blockhash":%q,"lastValidBlockHeight":%d}}}`,
			n, hashN(n), lvbh)
	}))
	t.Cleanup(srv.Close)
	return NewRPCClient(srv.URL, nil)
}

func newTestCache(t *testing.T, client *rpc.Client, opts ...BlockhashCacheOption) *BlockhashCache {
	opts = append(opts, WithCacheRetryPolicy(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	c, err := NewBlockhashCache(client, opts...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func TestBlockhashCacheSingleFlight(t *testing.T) {
	srv := &blockhashServer{delay: 50 * time.Millisecond}
	c := newTestCache(t, srv.start(t), WithCacheRefreshInterval(time.Hour))
	var wg sync.WaitGroup
	got := make([]Blockhash, 50)
	for i := range got {
		wg.Go(func() {
			var err error
			got[i], err = c.Get(context.Background())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), srv.calls.Load(), "concurrent Gets on an empty cache share one fetch")
	for _, bh := range got {
		assert.Equal(t, hashN(1), bh.Hash)
		assert.Equal(t, uint64(101), bh.LastValidBlockHeight)
		assert.Equal(t, uint64(1), bh.Slot)
	}
	assert.Equal(t, "confirmed", srv.commitment.Load())
}

func TestBlockhashCacheRefreshesInBackground(t *testing.T) {
	srv := &blockhashServer{}
	c := newTestCache(t, srv.start(t), WithCacheRefreshInterval(10*time.Millisecond),
		WithCacheCommitment(rpc.CommitmentFinalized))
	first, err := c.Get(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		bh, err := c.Get(context.Background())
		return err == nil && bh.LastValidBlockHeight >= first.LastValidBlockHeight+3
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "finalized", srv.commitment.Load())
	assert.Equal(t, rpc.CommitmentFinalized, c.Commitment())
}

func TestBlockhashCacheRefresh(t *testing.T) {
	srv := &blockhashServer{}
	c := newTestCache(t, srv.start(t), WithCacheRefreshInterval(time.Hour))
	ctx := context.Background()
	first, err := c.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, hashN(1), first.Hash)

	// Another hash is not stale: the cache answers without a call.
	bh, err := c.Refresh(ctx, hashN(42))
	require.NoError(t, err)
	assert.Equal(t, first.Hash, bh.Hash)
	assert.Equal(t, int32(1), srv.calls.Load())

	// The cached hash is stale: a new fetch.
	bh, err = c.Refresh(ctx, first.Hash)
	require.NoError(t, err)
	assert.Equal(t, hashN(2), bh.Hash)
	assert.Equal(t, int32(2), srv.calls.Load())
}

func TestBlockhashCacheNeverStepsBack(t *testing.T) {
	// The second answer comes from a node that is behind.
	srv := &blockhashServer{lvbh: func(n int) uint64 { return map[int]uint64{1: 500, 2: 400, 3: 600}[n] }}
	c := newTestCache(t, srv.start(t), WithCacheRefreshInterval(time.Hour))
	ctx := context.Background()
	bh, err := c.Get(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(500), bh.LastValidBlockHeight)
	bh, err = c.Refresh(ctx, bh.Hash)
	require.NoError(t, err)
	assert.Equal(t, hashN(1), bh.Hash, "an older blockhash never replaces a newer one")
	bh, err = c.Refresh(ctx, bh.Hash)
	require.NoError(t, err)
	assert.Equal(t, hashN(3), bh.Hash)
	assert.Equal(t, uint64(600), bh.LastValidBlockHeight)
}

func TestBlockhashCacheErrors(t *testing.T) {
	srv := &blockhashServer{status: http.StatusServiceUnavailable}
	c := newTestCache(t, srv.start(t), WithCacheRefreshInterval(time.Hour))
	_, err := c.Get(context.Background())
	var re *RPCError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, http.StatusServiceUnavailable, re.HTTPStatus)
	assert.Equal(t, "getLatestBlockhash", re.Method)

	c.Close()
	_, err = c.Get(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
	_, err = c.Refresh(context.Background(), solana.Hash{})
	assert.ErrorIs(t, err, ErrClosed)
}

func TestBlockhashCacheCommitment(t *testing.T) {
	_, err := NewBlockhashCache(NewRPCClient("http://127.0.0.1:1", nil), WithCacheCommitment(rpc.CommitmentProcessed))
	assert.ErrorContains(t, err, `commitment "processed"`)
}

func TestBlockhashCacheInvalidOptions(t *testing.T) {
	client := NewRPCClient("http://127.0.0.1:1", nil)
	for name, tt := range map[string]struct {
		opt BlockhashCacheOption
		err string
	}{
		"refresh": {WithCacheRefreshInterval(0), "sender: blockhash refresh interval 0s is not positive"},
		"timeout": {WithCacheRequestTimeout(-time.Second), "sender: request timeout -1s is not positive"},
		"logger":  {WithCacheLogger(nil), "sender: nil logger"},
	} {
		_, err := NewBlockhashCache(client, tt.opt)
		assert.EqualError(t, err, tt.err, name)
	}
}
