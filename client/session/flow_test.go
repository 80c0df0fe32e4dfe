package session

import (
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// The game flow with the authority's key on hand: create with top-up, 100 moves signed by
// the ephemeral key alone (repeats included), revoke with sweep, every balance exact.
func TestGameFlowV1(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	require.Equal(t, uint64(1_000_000_000-e.rentPlayer-fee), e.balance(authority.PublicKey()))

	const topUp = 10_000_000
	sess, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: topUp, ValidFor: time.Hour})
	require.NoError(t, err)
	afterCreate := uint64(1_000_000_000 - e.rentPlayer - fee - e.rentV1 - topUp - 2*fee)
	require.Equal(t, afterCreate, e.balance(authority.PublicKey()))
	require.Equal(t, uint64(topUp), e.balance(sess.SessionSigner()))
	require.Equal(t, e.rentV1, e.balance(sess.Token()))
	require.Equal(t, pda.V1, sess.Version())
	require.Equal(t, authority.PublicKey(), sess.FeePayer())

	tok, err := e.m.Get(e.ctx, sess.Token())
	require.NoError(t, err)
	require.Equal(t, TokenStatus{TokenAccount: client.TokenAccount{Version: pda.V1, Authority: authority.PublicKey(), TargetProgram: gameID,
		SessionSigner: sess.SessionSigner(), ValidUntil: sess.ValidUntil()}, Address: sess.Token(), Lamports: e.rentV1}, *tok)

	// Ten players' worth of concurrency on one session; runs of the same direction make
	// identical moves on the same blockhash, which must still all land.
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := range 10 {
				d := examplegame.Direction((w + i/5) % 4)
				_, err := sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), d)})
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	// Each worker w moves 5 times in direction w%4 and 5 times in (w+1)%4.
	var want examplegame.PlayerAccount
	want.Owner, want.Moves = authority.PublicKey(), 100
	for w := range 10 {
		for _, d := range []int{w % 4, (w + 1) % 4} {
			switch examplegame.Direction(d) {
			case examplegame.Up:
				want.Y += 5
			case examplegame.Down:
				want.Y -= 5
			case examplegame.Left:
				want.X -= 5
			case examplegame.Right:
				want.X += 5
			}
		}
	}
	require.Equal(t, want, e.playerState(player))
	require.Equal(t, uint64(topUp-100*fee), e.balance(sess.SessionSigner()))
	require.Equal(t, afterCreate, e.balance(authority.PublicKey()))

	res, err := e.m.Revoke(e.ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, uint64(topUp-101*fee), res.Swept)
	require.Equal(t, authority.PublicKey(), res.SweptTo)
	require.Equal(t, uint64(fee), res.Fee)
	require.False(t, e.exists(sess.Token()))
	require.False(t, e.exists(sess.SessionSigner()), "the ephemeral signer must be closed, not left as dust")
	require.Equal(t, afterCreate+e.rentV1+topUp-101*fee, e.balance(authority.PublicKey()))
	require.True(t, sess.Revoked())

	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.ErrorIs(t, err, ErrRevoked)
	_, err = e.m.Revoke(e.ctx, sess, RevokeParams{})
	require.ErrorIs(t, err, ErrRevoked)
	_, err = e.m.Get(e.ctx, sess.Token())
	require.ErrorIs(t, err, ErrNotFound)
}

// A session revoked by another process: the first move fails on chain, the session then
// knows and refuses further moves itself.
func TestRevokedElsewhere(t *testing.T) {
	e := newEnv(t)
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(e.ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000})
	require.NoError(t, err)
	elsewhere := newEnvWith(t, e.ctx, e.net, e.net.RPC())
	other, err := elsewhere.m.Resume(e.ctx, sess.Snapshot())
	require.NoError(t, err)
	_, err = elsewhere.m.Revoke(e.ctx, other, RevokeParams{KeepLamports: true})
	require.NoError(t, err)

	move := []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Down)}
	_, err = sess.Send(e.ctx, move)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrRevoked)
	require.True(t, sess.Revoked())
	_, err = sess.Send(e.ctx, move)
	require.ErrorIs(t, err, ErrRevoked)
	require.Zero(t, e.playerState(player).Moves)
	_, err = elsewhere.m.Resume(e.ctx, sess.Snapshot())
	require.ErrorIs(t, err, ErrNotFound)
}
