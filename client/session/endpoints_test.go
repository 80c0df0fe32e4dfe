package session

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// Four endpoints of one cluster: one down, one lagging (it refuses every read that asks
// for a slot it has not reached), one answering 429 to everything, one sound. Create,
// moves and revoke land, each exactly once, and the bad endpoints were asked.
func TestFailoverLandsOnce(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	down := faultproxy.New(t, net.RPCURL())
	down.Close()
	behind := faultproxy.Refuse(-32016, "Minimum context slot has not been reached")
	lagging := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.MinContextSlot > 0 {
			return behind
		}
		return faultproxy.Pass
	})
	tooMany := faultproxy.Status(http.StatusTooManyRequests, "1")
	limited := faultproxy.New(t, net.RPCURL(), func(faultproxy.Call) faultproxy.Fault { return tooMany })
	sound := faultproxy.New(t, net.RPCURL())

	eps, err := sender.NewEndpoints([]string{lagging.URL(), down.URL(), limited.URL(), sound.URL()})
	require.NoError(t, err)
	t.Cleanup(eps.Close)
	// No WebSocket: confirmations are polled through the endpoints too.
	client := eps.Client(nil)
	snd, err := sender.New(client, sender.WithPollInterval(20*time.Millisecond),
		sender.WithRetryPolicy(sender.RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))
	require.NoError(t, err)
	t.Cleanup(snd.Close)
	e := newEnvWith(t, ctx, net, client)
	e.snd, e.m = snd, NewManager(client, snd, WithProgramID(localnettest.SessionProgramID()))

	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	const moves = 5
	for range moves {
		res, err := sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
		require.NoError(t, err)
		require.Equal(t, 1, res.Signings)
	}
	// Counted on chain: each move once, each fee once.
	require.Equal(t, uint64(moves), e.playerState(player).Moves)
	require.Equal(t, uint64(5_000_000-moves*fee), e.balance(sess.SessionSigner()))
	rv, err := e.m.Revoke(ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, uint64(5_000_000-(moves+1)*fee), rv.Swept)
	require.False(t, e.exists(sess.Token()))

	require.Positive(t, lagging.Count(behind), "the lagging endpoint refused reads by minContextSlot")
	require.Positive(t, lagging.Count(faultproxy.Pass), "and took sends")
	require.Positive(t, limited.Count(tooMany))
	require.Positive(t, sound.Count(faultproxy.Pass))
}

// Dial over several endpoints, comma-separated: a dead one first, the cluster second.
func TestFailoverDial(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	_, err := Dial(ctx, "http://127.0.0.1:1,ftp://x")
	require.ErrorIs(t, err, ErrBadParams)

	m, err := Dial(ctx, "http://127.0.0.1:1, "+net.RPCURL(), WithWebSocketURL(net.WSURL()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	e := &env{t: t, ctx: ctx, net: net, rpc: m.RPC(), snd: m.Sender(), m: m, game: examplegame.Game{ID: gameID}}
	owner := e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	sess, err := m.Create(ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	_, err = sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.playerState(player).Moves)
}
