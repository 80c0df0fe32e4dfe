package session

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// The hardening issue's reproduction: two processes that restored one store held one
// key, and the same move from each became one transaction, losing a move. A session is
// now held by one pool at a time through the store's lease: a second pool does not get
// it, one that takes it over does, and the first then stops signing before it signs.
func TestTwoHoldersOfOneStore(t *testing.T) {
	e := newEnv(t)
	owner := e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	dir := filepath.Join(t.TempDir(), "store")
	cred := tokenstore.Passphrase([]byte("pw"))
	open := func() *tokenstore.Dir {
		st, err := tokenstore.Open(e.ctx, dir, cred)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st
	}
	st, err := tokenstore.Create(e.ctx, dir, cred, tokenstore.LightArgon2)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	s, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	stA, stB := open(), open() // two processes' handles on one directory
	newPool := func(st *tokenstore.Dir, holder string, takeover bool) *Pool {
		p := NewPool(e.m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Leases: st,
			Holder: holder, Interval: -1, LeaseTTL: time.Minute, TakeOver: takeover})
		t.Cleanup(func() { p.Close() })
		return p
	}
	a := newPool(stA, "replica-a", false)
	_, err = a.Put(e.ctx, s)
	require.NoError(t, err)

	b := newPool(stB, "replica-b", false)
	n, err := b.Restore(e.ctx)
	require.Zero(t, n)
	var held *tokenstore.HeldError
	require.ErrorAs(t, err, &held)
	require.Equal(t, "replica-a", held.Holder)
	require.Zero(t, b.Len())

	taker := newPool(stB, "replica-b", true)
	n, err = taker.Restore(e.ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	sb, ok := taker.Get(owner.PublicKey(), gameID)
	require.True(t, ok)
	move := func(s *Session) error {
		_, err := s.Send(e.ctx, []solana.Instruction{e.game.Move(player, s.SessionSigner(), s.Token(), examplegame.Up)})
		return err
	}
	require.NoError(t, move(sb))

	require.NoError(t, a.Maintain(e.ctx)) // a's renewal finds the lease taken
	require.Zero(t, a.Len())
	require.ErrorIs(t, move(s), tokenstore.ErrLeaseLost, "the first holder stops signing")
	require.NoError(t, move(sb))
	require.Equal(t, uint64(2), e.playerState(player).Moves, "no move lost or doubled")
}

// Closing a pool hands its sessions over at once: their leases are released, so they
// stop signing before another holder may start.
func TestClosedPoolStopsSigning(t *testing.T) {
	e := newEnv(t)
	owner := e.funded(1_000_000_000)
	st := tokenstore.NewMemory()
	s, err := e.m.Create(e.ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	p := NewPool(e.m, PoolConfig{Persister: StorePersister(st, pda.MagicBlockProgramID), Leases: st, Interval: -1})
	_, err = p.Put(e.ctx, s)
	require.NoError(t, err)
	require.NoError(t, p.Close())
	_, err = s.Wrap(e.ctx, solana.Hash{1}, []solana.Instruction{e.game.Move(solana.PublicKey{9}, s.SessionSigner(), s.Token(), examplegame.Up)}, MoveParams{})
	require.ErrorIs(t, err, tokenstore.ErrLeaseLost)
	_, err = st.Acquire(e.ctx, s.Token(), "next", time.Minute, false)
	require.NoError(t, err, "the lease is free for the next holder")
}
