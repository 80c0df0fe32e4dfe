package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/stretchr/testify/require"
)

// A backend pool on the chain: renewal ahead of expiry (new key, old session revoked and
// swept), then cleanup of an expired session with an on-chain revoke.
func TestPoolRenewsAndCleansUp(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	var errs []error
	var mu sync.Mutex
	pool := NewPool(e.m, PoolConfig{
		Persister:   store,
		Interval:    -1,
		RenewBefore: 20 * time.Minute,
		Renew: func(ctx context.Context, old *Session) (*Session, error) {
			return e.m.Renew(ctx, old, authority, RenewParams{TopUp: 1_000_000, ValidFor: time.Hour, RevokeOld: true})
		},
		RevokeExpired: true,
		OnError: func(_ *Session, err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		},
	})
	defer pool.Close()

	old, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: 15 * time.Minute})
	require.NoError(t, err)
	_, err = pool.Put(e.ctx, old)
	require.NoError(t, err)
	before := e.balance(authority.PublicKey())

	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, errs)
	next, ok := pool.Get(authority.PublicKey(), gameID)
	require.True(t, ok)
	require.NotEqual(t, old.Token(), next.Token())
	require.NotEqual(t, old.SessionSigner(), next.SessionSigner())
	require.True(t, old.Revoked())
	require.False(t, e.exists(old.Token()))
	require.False(t, e.exists(old.SessionSigner()))
	require.Equal(t, map[solana.PublicKey]bool{next.Token(): true}, store.tokens())
	// New session paid (rent + top-up + 2 signatures), old one refunded (rent + top-up
	// less the revoke's fee paid by its ephemeral key).
	require.Equal(t, before-e.rentV1-1_000_000-2*fee+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))

	// Past the new session's expiry (nothing renews it: the pass finds it expired first).
	e.warp(61 * time.Minute)
	before = e.balance(authority.PublicKey())
	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, errs)
	require.Zero(t, pool.Len())
	require.Empty(t, store.tokens())
	require.True(t, next.Revoked())
	require.False(t, e.exists(next.Token()))
	require.Equal(t, before+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))
}
