package sender

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// Blockhash is a recent blockhash and the last block height at which a transaction that
// references it can still be included.
type Blockhash struct {
	Hash                 solana.Hash
	LastValidBlockHeight uint64
	// Slot is the context slot of the getLatestBlockhash answer.
	Slot      uint64
	FetchedAt time.Time
}

// BlockhashCacheOption configures a BlockhashCache.
type BlockhashCacheOption func(*cacheConfig)

type cacheConfig struct {
	commitment     rpc.CommitmentType
	refresh        time.Duration
	retry          RetryPolicy
	requestTimeout time.Duration
	logger         *slog.Logger
}

// WithCacheCommitment sets the commitment of getLatestBlockhash, which must match the
// commitment of the Senders sharing the cache: rpc.CommitmentConfirmed (default) or
// rpc.CommitmentFinalized.
func WithCacheCommitment(c rpc.CommitmentType) BlockhashCacheOption {
	return func(o *cacheConfig) { o.commitment = c }
}

// WithCacheRefreshInterval sets the time between background fetches. Default 1s.
func WithCacheRefreshInterval(d time.Duration) BlockhashCacheOption {
	return func(o *cacheConfig) { o.refresh = d }
}

// WithCacheRetryPolicy sets the retry policy of each fetch. Default: RetryPolicy's
// defaults, which also fill p's zero fields.
func WithCacheRetryPolicy(p RetryPolicy) BlockhashCacheOption {
	return func(o *cacheConfig) { o.retry = p.withDefaults() }
}

// WithCacheRequestTimeout bounds each HTTP request. Default 10s.
func WithCacheRequestTimeout(d time.Duration) BlockhashCacheOption {
	return func(o *cacheConfig) { o.requestTimeout = d }
}

// WithCacheLogger sets the logger that receives fetch failures. Default: discard.
func WithCacheLogger(l *slog.Logger) BlockhashCacheOption {
	return func(o *cacheConfig) { o.logger = l }
}

// BlockhashCache holds the latest blockhash, refreshed in the background and on demand.
// It is safe for concurrent use and may be shared by many Senders; Close stops it.
type BlockhashCache struct {
	call       *caller
	commitment rpc.CommitmentType
	interval   time.Duration

	mu       sync.Mutex
	cur      Blockhash
	inflight *fetch
	closed   bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type fetch struct {
	done chan struct{}
	bh   Blockhash
	err  error
}

// NewBlockhashCache starts a cache that reads blockhashes through client. The first
// fetch happens in the background right away.
func NewBlockhashCache(client *rpc.Client, opts ...BlockhashCacheOption) (*BlockhashCache, error) {
	cfg := cacheConfig{
		commitment:     rpc.CommitmentConfirmed,
		refresh:        defaultRefresh,
		retry:          defaultRetry,
		requestTimeout: defaultRequestTimeout,
		logger:         slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := checkCommitment(cfg.commitment); err != nil {
		return nil, err
	}
	switch {
	case cfg.refresh <= 0:
		return nil, fmt.Errorf("sender: blockhash refresh interval %s is not positive", cfg.refresh)
	case cfg.requestTimeout <= 0:
		return nil, fmt.Errorf("sender: request timeout %s is not positive", cfg.requestTimeout)
	case cfg.logger == nil:
		return nil, fmt.Errorf("sender: nil logger")
	}
	c := &BlockhashCache{
		call:       &caller{client: client, retry: cfg.retry, timeout: cfg.requestTimeout, log: cfg.logger},
		commitment: cfg.commitment,
		interval:   cfg.refresh,
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.loop()
	return c, nil
}

// Commitment returns the commitment the cache reads blockhashes at.
func (c *BlockhashCache) Commitment() rpc.CommitmentType { return c.commitment }

// Get returns the cached blockhash, fetching one if the cache is empty or has not been
// refreshed for ten intervals (the background fetches are failing).
func (c *BlockhashCache) Get(ctx context.Context) (Blockhash, error) {
	c.mu.Lock()
	if !c.closed && !c.cur.Hash.IsZero() && time.Since(c.cur.FetchedAt) < 10*c.interval {
		bh := c.cur
		c.mu.Unlock()
		return bh, nil
	}
	f := c.startLocked()
	c.mu.Unlock()
	return c.await(ctx, f)
}

// Refresh returns a blockhash other than stale: the cached one if it already differs,
// otherwise a fresh fetch (which may still return stale if the cluster has not moved
// on). Call it when a send fails with BlockhashNotFound or the blockhash expired.
func (c *BlockhashCache) Refresh(ctx context.Context, stale solana.Hash) (Blockhash, error) {
	c.mu.Lock()
	if !c.closed && !c.cur.Hash.IsZero() && c.cur.Hash != stale {
		bh := c.cur
		c.mu.Unlock()
		return bh, nil
	}
	f := c.startLocked()
	c.mu.Unlock()
	return c.await(ctx, f)
}

// Close stops the background refresh. Later Get and Refresh calls fail with ErrClosed.
func (c *BlockhashCache) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}

func (c *BlockhashCache) loop() {
	defer c.wg.Done()
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		c.mu.Lock()
		f := c.startLocked()
		c.mu.Unlock()
		<-f.done
		if f.err != nil && c.ctx.Err() == nil {
			c.call.log.Warn("sender: blockhash refresh failed", "err", f.err)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startLocked joins the fetch in flight or starts one, so that a burst of refreshes
// costs one RPC call. The fetch runs under the cache's lifetime, not a caller's ctx,
// because other callers may be waiting on it.
func (c *BlockhashCache) startLocked() *fetch {
	if c.inflight != nil {
		return c.inflight
	}
	f := &fetch{done: make(chan struct{})}
	if c.closed {
		f.err = ErrClosed
		close(f.done)
		return f
	}
	c.inflight = f
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		var res struct {
			Context struct {
				Slot uint64 `json:"slot"`
			} `json:"context"`
			Value *struct {
				Blockhash            solana.Hash `json:"blockhash"`
				LastValidBlockHeight uint64      `json:"lastValidBlockHeight"`
			} `json:"value"`
		}
		err := c.call.call(c.ctx, "getLatestBlockhash", []any{map[string]any{"commitment": c.commitment}}, &res)
		if err == nil && (res.Value == nil || res.Value.Blockhash.IsZero()) {
			err = &RPCError{Method: "getLatestBlockhash", Message: "empty result", permanent: true}
		}
		if c.ctx.Err() != nil {
			err = ErrClosed
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if err == nil {
			bh := Blockhash{Hash: res.Value.Blockhash, LastValidBlockHeight: res.Value.LastValidBlockHeight,
				Slot: res.Context.Slot, FetchedAt: time.Now()}
			// A load-balanced endpoint may answer from a node that is behind; never
			// step back to an older blockhash.
			if bh.LastValidBlockHeight >= c.cur.LastValidBlockHeight {
				c.cur = bh
			} else {
				c.cur.FetchedAt = bh.FetchedAt
			}
			f.bh = c.cur
		}
		f.err = err
		c.inflight = nil
		close(f.done)
	}()
	return f
}

func (c *BlockhashCache) await(ctx context.Context, f *fetch) (Blockhash, error) {
	select {
	case <-f.done:
		return f.bh, f.err
	case <-ctx.Done():
		return Blockhash{}, ctx.Err()
	case <-c.ctx.Done():
		return Blockhash{}, ErrClosed
	}
}
