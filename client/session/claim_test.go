package session

import (
	"bytes"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
	"github.com/sessionkit/sessionkit/tokenstore/postgres/pgtest"
)

// openPostgres opens a second handle on the store in schema, as another replica would.
func openPostgres(t *testing.T, url, schema string, key []byte) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), url, tokenstore.MasterKey(key), postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// A replica that dies holding sessions loses nothing: once its leases run out another
// replica's maintenance claims the expired one and revokes and sweeps it, Adopt takes
// the live ones, and the dead replica's handles stop signing.
func TestPostgresPoolAdoptsADeadReplicasSessions(t *testing.T) {
	e := newEnv(t)
	url, schema := pgtest.Schema(t)
	key := bytes.Repeat([]byte{3}, 32)
	st, err := postgres.Create(e.ctx, url, tokenstore.MasterKey(key), postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	newPool := func(st *postgres.Store, holder string) *Pool {
		return NewPool(e.m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Leases: st,
			Holder: holder, Interval: -1, LeaseTTL: time.Second, RevokeExpired: true})
	}
	a := newPool(st, "replica-a") // never closed: it dies
	owners := []solana.PrivateKey{e.funded(1_000_000_000), e.funded(1_000_000_000), e.funded(1_000_000_000)}
	players := make([]solana.PublicKey, len(owners))
	sessions := make([]*Session, len(owners))
	for i, owner := range owners {
		players[i] = e.player(e.game, owner)
		validFor := time.Hour
		if i == 2 {
			validFor = 2 * time.Minute
		}
		sessions[i], err = e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: validFor})
		require.NoError(t, err)
		_, err = a.Put(e.ctx, sessions[i])
		require.NoError(t, err)
	}
	move := func(s *Session, player solana.PublicKey) error {
		_, err := s.Send(e.ctx, []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)})
		return err
	}
	require.NoError(t, move(sessions[0], players[0]))

	b := newPool(openPostgres(t, url, schema, key), "replica-b")
	t.Cleanup(func() { b.Close() })
	n, err := b.Adopt(e.ctx, AdoptParams{})
	require.NoError(t, err)
	require.Zero(t, n, "replica-a's leases stand")

	time.Sleep(1200 * time.Millisecond) // replica-a's leases run out unrenewed
	e.warp(5 * time.Minute)             // and session 2 expires
	expired := sessions[2]
	authBefore := e.balance(owners[2].PublicKey())
	require.NoError(t, b.Maintain(e.ctx))
	require.False(t, e.exists(expired.Token()), "b revoked the expired session")
	require.Zero(t, e.balance(expired.SessionSigner()), "and swept its signer")
	require.Equal(t, authBefore+e.rentV1+2_000_000-fee, e.balance(owners[2].PublicKey()), "rent and top-up back, less the revoke's fee")
	_, _, err = st.Get(e.ctx, expired.Token())
	require.ErrorIs(t, err, tokenstore.ErrNotFound, "its key left the store once the signer was empty")
	require.Zero(t, b.Len(), "maintenance claims only what is due")

	n, err = b.Adopt(e.ctx, AdoptParams{})
	require.NoError(t, err)
	require.Equal(t, 2, n)
	for i := range 2 {
		s, ok := b.Get(owners[i].PublicKey(), gameID)
		require.True(t, ok)
		require.NoError(t, move(s, players[i]))
		require.ErrorIs(t, move(sessions[i], players[i]), tokenstore.ErrLeaseLost, "the dead replica's handle stops signing")
	}
	require.Equal(t, uint64(2), e.playerState(players[0]).Moves)
	require.Equal(t, uint64(1), e.playerState(players[1]).Moves)
	leases, err := st.Leases(e.ctx)
	require.NoError(t, err)
	require.Len(t, leases, 2)
	for _, l := range leases {
		require.Equal(t, "replica-b", l.Holder)
	}
}

// Without a store that claims, Adopt says so and maintenance is what it was.
func TestAdoptNeedsAClaimer(t *testing.T) {
	st := tokenstore.NewMemory()
	p := NewPool(nil, PoolConfig{Leases: st, Interval: -1})
	defer p.Close()
	_, err := p.Adopt(t.Context(), AdoptParams{})
	require.ErrorIs(t, err, ErrNoClaims)
}

// A pool whose lease on one of its own sessions lapsed (a renewal slower than the TTL)
// and that claims it again keeps serving the session it has under the new lease, and a
// renewal of the stale lease does not drop it: Close then releases every lease.
func TestPostgresPoolReclaimsItsOwnLapsedLease(t *testing.T) {
	e := newEnv(t)
	url, schema := pgtest.Schema(t)
	st, err := postgres.Create(e.ctx, url, tokenstore.MasterKey(bytes.Repeat([]byte{4}, 32)), postgres.WithSchema(schema))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	pool := NewPool(e.m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Leases: st,
		Holder: "replica-a", Interval: -1, LeaseTTL: time.Second, RevokeExpired: true})
	owner := e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	s, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 2_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	_, err = pool.Put(e.ctx, s)
	require.NoError(t, err)

	time.Sleep(1200 * time.Millisecond) // the lease runs out unrenewed
	_, err = s.Send(e.ctx, []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)})
	require.ErrorIs(t, err, tokenstore.ErrLeaseLost, "no signing on a lapsed lease")
	n, err := pool.Adopt(e.ctx, AdoptParams{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	got, ok := pool.Get(owner.PublicKey(), gameID)
	require.True(t, ok)
	require.Same(t, s, got, "the pool keeps the Session it had")
	require.Empty(t, pool.Retired())
	_, err = s.Send(e.ctx, []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)})
	require.NoError(t, err, "signing again under the new lease")
	require.NoError(t, pool.Maintain(e.ctx), "renewing the new lease")
	require.Equal(t, 1, pool.Len())

	require.NoError(t, pool.Close())
	leases, err := st.Leases(e.ctx)
	require.NoError(t, err)
	require.Empty(t, leases, "Close released the reclaimed lease")
}
