package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client"
	"github.com/stretchr/testify/require"
)

// memStore is an in-memory Persister.
type memStore struct {
	mu    sync.Mutex
	snaps map[solana.PublicKey]Snapshot
}

func newMemStore() *memStore { return &memStore{snaps: map[solana.PublicKey]Snapshot{}} }

func (m *memStore) Save(_ context.Context, s Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snaps[s.Token] = s
	return nil
}

func (m *memStore) Delete(_ context.Context, token solana.PublicKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.snaps, token)
	return nil
}

func (m *memStore) Load(context.Context) ([]Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Snapshot, 0, len(m.snaps))
	for _, s := range m.snaps {
		out = append(out, s)
	}
	return out, nil
}

func (m *memStore) tokens() map[solana.PublicKey]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[solana.PublicKey]bool{}
	for k := range m.snaps {
		out[k] = true
	}
	return out
}

func TestPoolPutGetRemove(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	p := NewPool(chainManager(t, &fakeClock{}), PoolConfig{Persister: store, Interval: -1})
	defer p.Close()

	a := testSession(t, p.mgr, 10_000)
	replaced, err := p.Put(ctx, a)
	require.NoError(t, err)
	require.Nil(t, replaced)
	got, ok := p.Get(a.authority, a.target)
	require.True(t, ok)
	require.Same(t, a, got)
	_, ok = p.Get(a.authority, solana.PublicKey{1})
	require.False(t, ok)

	// A second session for the same player and target replaces the first, in the store too.
	b := testSession(t, p.mgr, 20_000)
	b.authority, b.target = a.authority, a.target
	replaced, err = p.Put(ctx, b)
	require.NoError(t, err)
	require.Same(t, a, replaced)
	require.Equal(t, map[solana.PublicKey]bool{b.token: true}, store.tokens())
	require.Equal(t, b.Snapshot(), store.snaps[b.token])

	removed, err := p.Remove(ctx, b.authority, b.target)
	require.NoError(t, err)
	require.Same(t, b, removed)
	require.Zero(t, p.Len())
	require.Empty(t, store.tokens())

	require.NoError(t, p.Close())
	_, err = p.Put(ctx, a)
	require.ErrorIs(t, err, ErrClosed)
}

func TestPoolMaintain(t *testing.T) {
	ctx := context.Background()
	fc := &fakeClock{}
	fc.unix.Store(100_000)
	m := chainManager(t, fc)
	store := newMemStore()

	var renewed sync.Map // old token → new session
	var running, peak atomic.Int32
	failing := map[solana.PublicKey]bool{}
	var errs []error
	var errMu sync.Mutex
	p := NewPool(m, PoolConfig{
		Persister:   store,
		Interval:    -1,
		Workers:     2,
		RenewBefore: 10 * time.Minute,
		Renew: func(ctx context.Context, old *Session) (*Session, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if failing[old.token] {
				return nil, errors.New("wallet declined")
			}
			next := testSession(t, m, old.validUntil+3600)
			next.authority, next.target = old.authority, old.target
			renewed.Store(old.token, next)
			return next, nil
		},
		OnError: func(s *Session, err error) {
			errMu.Lock()
			errs = append(errs, err)
			errMu.Unlock()
		},
	})
	defer p.Close()

	far := testSession(t, m, 100_000+601) // renews at 600 s before expiry: not yet
	var due []*Session
	for range 5 {
		due = append(due, testSession(t, m, 100_000+600))
	}
	declined := testSession(t, m, 100_000+60)
	failing[declined.token] = true
	expired := testSession(t, m, 100_000)
	revoked := testSession(t, m, 200_000)
	revoked.state.Store(stateRevoked)
	for _, s := range append([]*Session{far, declined, expired, revoked}, due...) {
		_, err := p.Put(ctx, s)
		require.NoError(t, err)
	}

	require.NoError(t, p.Maintain(ctx))

	want := map[solana.PublicKey]bool{far.token: true, declined.token: true}
	for _, old := range due {
		v, ok := renewed.Load(old.token)
		require.True(t, ok)
		next := v.(*Session)
		got, _ := p.Get(old.authority, old.target)
		require.Same(t, next, got)
		want[next.token] = true
	}
	require.Equal(t, want, store.tokens())
	require.Equal(t, 7, p.Len())
	_, ok := p.Get(expired.authority, expired.target)
	require.False(t, ok)
	_, ok = p.Get(revoked.authority, revoked.target)
	require.False(t, ok)
	require.LessOrEqual(t, peak.Load(), int32(2))
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "renewing "+declined.token.String()+": wallet declined")
}

func TestPoolConcurrentUse(t *testing.T) {
	ctx := context.Background()
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := chainManager(t, fc)
	p := NewPool(m, PoolConfig{Persister: newMemStore(), Interval: time.Millisecond,
		Renew: func(ctx context.Context, old *Session) (*Session, error) {
			next := testSession(t, m, old.validUntil+3600)
			next.authority, next.target = old.authority, old.target
			return next, nil
		}})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				s := testSession(t, m, int64(1_000+(w*50+i)%900))
				_, err := p.Put(ctx, s)
				require.NoError(t, err)
				got, ok := p.Get(s.authority, s.target)
				if ok {
					_, err = got.Wrap(ctx, solana.Hash{}, []solana.Instruction{moveIx(got, solana.PublicKey{})}, MoveParams{})
					require.True(t, err == nil || errors.Is(err, client.ErrExpired), "%v", err)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, p.Maintain(ctx))
	require.NoError(t, p.Close())
	for _, s := range p.Sessions() {
		require.Greater(t, s.validUntil, int64(1_000))
	}
}
