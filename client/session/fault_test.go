package session

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// RPC faults between the backend and the cluster: every action lands exactly once, or
// fails with an error that says what went wrong and leaves nothing applied.
func TestFaultsLandExactlyOnce(t *testing.T) {
	net := localnettest.ForTest(t)
	localnettest.RequireLamportsArgument(t, net)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tooMany := faultproxy.Status(http.StatusTooManyRequests, "")
	var refuseSends atomic.Bool
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if refuseSends.Load() && c.Method == "sendTransaction" {
			return tooMany
		}
		return faultproxy.Pass
	})
	// No WebSocket: confirmations go through the faulty HTTP path too.
	e := newEnvWith(t, ctx, net, sender.NewRPCClient(proxy.URL(), nil),
		sender.WithPollInterval(20*time.Millisecond),
		sender.WithRebroadcastInterval(200*time.Millisecond),
		sender.WithRetryPolicy(sender.RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))

	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	proxy.Queue("sendTransaction", faultproxy.HangUp)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Count(faultproxy.HangUp))
	require.Equal(t, uint64(5_000_000), e.balance(sess.SessionSigner()))

	moves := uint64(0)
	move := func(ctx context.Context) error {
		_, err := sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
		return err
	}
	tests := []struct {
		name   string
		faults map[string][]faultproxy.Fault
		// background faults are taken by the sender's blockhash refresher; the move
		// starts once they are.
		background bool
		// mayMiss: the confirmation may arrive from a poll made before the faults.
		mayMiss bool
	}{
		{name: "429s on send", faults: map[string][]faultproxy.Fault{"sendTransaction": {tooMany, tooMany, tooMany}}},
		{name: "send answer dropped after the cluster took it", faults: map[string][]faultproxy.Fault{"sendTransaction": {faultproxy.HangUp, faultproxy.HangUp}}},
		{name: "status answers dropped, delayed, refused", faults: map[string][]faultproxy.Fault{
			"getSignatureStatuses": {faultproxy.HangUp, faultproxy.Delay(300 * time.Millisecond), tooMany},
		}, mayMiss: true},
		{name: "slow send", faults: map[string][]faultproxy.Fault{"sendTransaction": {faultproxy.Delay(500 * time.Millisecond)}}},
		{name: "429s on blockhash refresh", faults: map[string][]faultproxy.Fault{"getLatestBlockhash": {tooMany, tooMany, tooMany}}, background: true},
		// A blockhash the cluster never produced, which it treats as expired.
		{name: "expired blockhash", faults: map[string][]faultproxy.Fault{"getLatestBlockhash": {faultproxy.RewriteBlockhash(solana.Hash{0xba, 0xd}, 0)}}, background: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			injected := proxy.Total()
			for method, fs := range tc.faults {
				proxy.Queue(method, fs...)
			}
			if tc.background {
				require.Eventually(t, func() bool { return proxy.Queued() == 0 }, 10*time.Second, 5*time.Millisecond)
			}
			require.NoError(t, move(ctx))
			moves++
			require.Equal(t, moves, e.playerState(player).Moves)
			require.Equal(t, uint64(5_000_000-moves*fee), e.balance(sess.SessionSigner()))
			if !tc.mayMiss {
				require.Greater(t, proxy.Total(), injected, "no fault was injected")
			}
			proxy.ClearQueue() // status polls may end before they meet every queued fault
		})
	}

	// The RPC node refuses every send until the caller gives up: a clear error naming the
	// signature, and the move never happened.
	refuseSends.Store(true)
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	err = move(short)
	cancelShort()
	refuseSends.Store(false)
	var se *sender.SendError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, err, sender.ErrOutcomeUnknown)
	require.NotEmpty(t, se.Signatures)
	st, err := e.net.RPC().GetSignatureStatuses(ctx, true, se.Signatures...)
	require.NoError(t, err)
	for _, s := range st.Value {
		require.Nil(t, s)
	}
	require.Equal(t, moves, e.playerState(player).Moves)

	// A read the revoke needs fails: a clear error, nothing sent, the session still usable.
	proxy.Queue("getBalance", tooMany)
	_, err = e.m.Revoke(ctx, sess, RevokeParams{})
	require.ErrorContains(t, err, "reading the balance of session signer")
	require.False(t, sess.Revoked())
	require.True(t, e.exists(sess.Token()))

	// The revoke's answer is lost: it still lands once, and the sweep is exact.
	proxy.Queue("sendTransaction", faultproxy.HangUp)
	before := e.balance(authority.PublicKey())
	res, err := e.m.Revoke(ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, uint64(5_000_000-(moves+1)*fee), res.Swept)
	require.Equal(t, before+e.rentV1+res.Swept, e.balance(authority.PublicKey()))
	require.False(t, e.exists(sess.SessionSigner()))
	require.False(t, e.exists(sess.Token()))
	_, err = e.m.Get(ctx, sess.Token())
	require.True(t, errors.Is(err, ErrNotFound))
}
