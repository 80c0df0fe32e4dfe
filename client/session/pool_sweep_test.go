package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// errLog collects what a pool reports to OnError.
type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) add(_ *Session, err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func tokenSet(ss ...*Session) map[solana.PublicKey]bool {
	out := map[solana.PublicKey]bool{}
	for _, s := range ss {
		out[s.Token()] = true
	}
	return out
}

// A renewal that loses the race to a Put leaves a funded session nobody wants: the pool
// revokes it at once and sweeps its top-up back before its key leaves the store. The
// replaced session, still valid and funded, stays in the store as retired.
func TestPoolRenewalRaceRevokesUnwanted(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	var log errLog
	old, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: 15 * time.Minute})
	require.NoError(t, err)
	other, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	var pool *Pool
	var next *Session
	pool = NewPool(e.m, PoolConfig{
		Persister: store, Interval: -1, RenewBefore: 20 * time.Minute, OnError: log.add,
		Renew: func(ctx context.Context, s *Session) (*Session, error) {
			n, err := e.m.Renew(ctx, s, authority, RenewParams{TopUp: 1_000_000, ValidFor: time.Hour})
			next = n
			_, perr := pool.Put(ctx, other) // the race: another session replaces s meanwhile
			require.NoError(t, perr)
			return n, err
		},
	})
	defer pool.Close()
	_, err = pool.Put(e.ctx, old)
	require.NoError(t, err)
	before := e.balance(authority.PublicKey())

	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, log.all())
	got, ok := pool.Get(authority.PublicKey(), gameID)
	require.True(t, ok)
	require.Same(t, other, got)
	require.True(t, next.Revoked())
	require.False(t, e.exists(next.Token()))
	require.Zero(t, e.balance(next.SessionSigner()))
	require.Equal(t, tokenSet(other, old), store.tokens())
	require.Equal(t, []*Session{old}, pool.Retired())
	require.Equal(t, uint64(1_000_000), e.balance(old.SessionSigner()))
	// next paid rent + top-up + 2 signatures and was refunded rent + top-up less the
	// revoke's fee, paid by its own signer.
	require.Equal(t, before-3*fee, e.balance(authority.PublicKey()))
}

// When revoking the unwanted session fails (an active V2 token needs its authority), its
// key stays in the store, the failure is reported, and once the token expires a pass
// revokes it and sweeps its top-up.
func TestPoolRenewalRaceKeepsUnsweptKey(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireSessionInstruction(t, e.net, client.CreateSessionV2)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	var log errLog
	old, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: 15 * time.Minute})
	require.NoError(t, err)
	other, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	var pool *Pool
	var next *Session
	pool = NewPool(e.m, PoolConfig{
		Persister: store, Interval: -1, RenewBefore: 20 * time.Minute, OnError: log.add, RevokeExpired: true,
		Renew: func(ctx context.Context, s *Session) (*Session, error) {
			n, err := e.m.Renew(ctx, s, authority, RenewParams{Kind: KindV2, TopUp: 1_000_000, ValidFor: time.Hour})
			next = n
			_, perr := pool.Put(ctx, other)
			require.NoError(t, perr)
			return n, err
		},
	})
	defer pool.Close()
	_, err = pool.Put(e.ctx, old)
	require.NoError(t, err)

	require.NoError(t, pool.Maintain(e.ctx))
	errs := log.all()
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], client.ErrInvalidAuthority)
	require.False(t, next.Revoked())
	require.Equal(t, uint64(1_000_000), e.balance(next.SessionSigner()))
	require.Equal(t, tokenSet(other, old, next), store.tokens())
	require.Equal(t, tokenSet(old, next), tokenSet(pool.Retired()...))

	// Past every expiry: the live session and both retired ones are revoked and swept.
	e.warp(61 * time.Minute)
	before := e.balance(authority.PublicKey())
	require.NoError(t, pool.Maintain(e.ctx))
	require.Len(t, log.all(), 1)
	require.Zero(t, pool.Len())
	require.Empty(t, pool.Retired())
	require.Empty(t, store.tokens())
	for _, s := range []*Session{old, other, next} {
		require.False(t, e.exists(s.Token()))
		require.Zero(t, e.balance(s.SessionSigner()))
	}
	require.Equal(t, before+2*(e.rentV1+1_000_000-fee)+e.rentV2+1_000_000-fee, e.balance(authority.PublicKey()))
}

// A renewal whose hook does not revoke the old session retires it: its key stays in the
// store while its signer holds the top-up, and goes once the expired token is revoked and
// swept.
func TestPoolRenewalWithoutRevokeOldKeepsOldKey(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	var log errLog
	pool := NewPool(e.m, PoolConfig{
		Persister: store, Interval: -1, RenewBefore: 20 * time.Minute, OnError: log.add, RevokeExpired: true,
		Renew: func(ctx context.Context, s *Session) (*Session, error) {
			return e.m.Renew(ctx, s, authority, RenewParams{TopUp: 1_000_000, ValidFor: time.Hour})
		},
	})
	defer pool.Close()
	old, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: 15 * time.Minute})
	require.NoError(t, err)
	_, err = pool.Put(e.ctx, old)
	require.NoError(t, err)

	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, log.all())
	next, ok := pool.Get(authority.PublicKey(), gameID)
	require.True(t, ok)
	require.NotSame(t, old, next)
	require.False(t, old.Revoked())
	require.Equal(t, uint64(1_000_000), e.balance(old.SessionSigner()))
	require.Equal(t, tokenSet(old, next), store.tokens())
	require.Equal(t, []*Session{old}, pool.Retired())

	// Still valid: another pass leaves it alone, without reporting anything.
	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, log.all())
	require.Equal(t, tokenSet(old, next), store.tokens())

	e.warp(16 * time.Minute) // old expired, next not yet due for renewal
	before := e.balance(authority.PublicKey())
	require.NoError(t, pool.Maintain(e.ctx))
	require.Empty(t, log.all())
	require.Empty(t, pool.Retired())
	require.Equal(t, tokenSet(next), store.tokens())
	require.False(t, e.exists(old.Token()))
	require.Zero(t, e.balance(old.SessionSigner()))
	require.Equal(t, before+e.rentV1+1_000_000-fee, e.balance(authority.PublicKey()))
}

// Restore finds one stored session expired and another whose token was revoked without
// sweeping: both signers are swept back to the authority before their keys are deleted.
func TestPoolRestoreSweepsExpiredAndGone(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	expired, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: 10 * time.Minute})
	require.NoError(t, err)
	gone, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: otherGameID, TopUp: 2_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	for _, s := range []*Session{expired, gone} {
		require.NoError(t, store.Save(e.ctx, s.Snapshot()))
	}
	_, err = e.m.Revoke(e.ctx, gone, RevokeParams{KeepLamports: true})
	require.NoError(t, err)
	require.Equal(t, uint64(2_000_000-fee), e.balance(gone.SessionSigner()))
	e.warp(11 * time.Minute)
	before := e.balance(authority.PublicKey())

	var log errLog
	pool := NewPool(e.m, PoolConfig{Persister: store, Interval: -1, RevokeExpired: true, OnError: log.add})
	defer pool.Close()
	n, err := pool.Restore(e.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Empty(t, log.all())
	require.Empty(t, store.tokens())
	require.Empty(t, pool.Retired())
	require.False(t, e.exists(expired.Token()))
	require.Zero(t, e.balance(expired.SessionSigner()))
	require.Zero(t, e.balance(gone.SessionSigner()))
	// The expired token's rent and top-up less its revoke's fee; the gone one's remaining
	// lamports less the sweep's fee.
	require.Equal(t, before+e.rentV1+2_000_000-fee+2_000_000-2*fee, e.balance(authority.PublicKey()))
}

// Without RevokeExpired the pool sends no revoke for an expired token, so Restore leaves
// its funded key in the store and says so.
func TestPoolRestoreKeepsExpiredWithoutRevokeExpired(t *testing.T) {
	e := newEnv(t)
	localnettest.RequireLamportsArgument(t, e.net)
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	s, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: 10 * time.Minute})
	require.NoError(t, err)
	require.NoError(t, store.Save(e.ctx, s.Snapshot()))
	e.warp(11 * time.Minute)

	var log errLog
	pool := NewPool(e.m, PoolConfig{Persister: store, Interval: -1, OnError: log.add})
	defer pool.Close()
	n, err := pool.Restore(e.ctx)
	require.NoError(t, err)
	require.Zero(t, n)
	errs := log.all()
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], errNotRevoking)
	require.Equal(t, tokenSet(s), store.tokens())
	require.Empty(t, pool.Retired())
	require.Equal(t, uint64(2_000_000), e.balance(s.SessionSigner()))
}

// The hardening issue's reproduction: lamports credited to the signer between the
// sweep's measurement and its landing stayed on the signer, and the pool deleted the key
// anyway. The pool now reads the balance again, at a slot no older than the sweep, and
// keeps the key until a later pass has swept the rest.
func TestPoolKeepsKeyWhenLamportsArriveDuringTheSweep(t *testing.T) {
	net := localnettest.ForTest(t)
	localnettest.RequireLamportsArgument(t, net)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var credit func()
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "sendTransaction" && credit != nil {
			credit() // lands before the sweep does
			credit = nil
		}
		return faultproxy.Pass
	})
	e := newEnvWith(t, ctx, net, sender.NewRPCClient(proxy.URL(), nil), sender.WithPollInterval(20*time.Millisecond))
	authority := e.funded(1_000_000_000)
	store := newMemStore()
	var log errLog
	s, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	pool := NewPool(e.m, PoolConfig{Persister: store, Interval: -1, OnError: log.add})
	defer pool.Close()
	_, err = pool.Put(ctx, s)
	require.NoError(t, err)
	// Revoked elsewhere without a sweep: the pool's pass has the signer's lamports to move.
	_, err = e.m.RevokeToken(ctx, s.Token(), RevokeParams{FeePayer: keyFrom(t, authority)})
	require.NoError(t, err)
	credit = func() { require.NoError(t, net.Fund(ctx, s.SessionSigner(), 1_000_000)) }

	_, err = pool.Remove(ctx, authority.PublicKey(), gameID)
	require.NoError(t, err)
	require.Equal(t, uint64(1_000_000), e.balance(s.SessionSigner()), "the credit arrived after the measurement")
	require.Equal(t, tokenSet(s), store.tokens(), "the key stays while its signer holds lamports")
	errs := log.all()
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], ErrNoSweep)

	require.NoError(t, pool.Maintain(ctx)) // the next pass sweeps the rest and lets the key go
	require.Zero(t, e.balance(s.SessionSigner()))
	require.Empty(t, store.tokens())
}
