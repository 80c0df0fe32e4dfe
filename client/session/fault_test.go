package session

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// RPC faults between the backend and the cluster: every action lands exactly once, or
// fails with an error that says what went wrong and leaves nothing applied.
func TestFaultsLandExactlyOnce(t *testing.T) {
	net := localnet.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	proxy := newFaultProxy(t, net.RPCURL())
	// No WebSocket: confirmations go through the faulty HTTP path too.
	e := newEnvWith(t, ctx, net, sender.NewRPCClient(proxy.URL(), nil),
		sender.WithPollInterval(20*time.Millisecond),
		sender.WithRebroadcastInterval(200*time.Millisecond),
		sender.WithRetryPolicy(sender.RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}))

	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	proxy.inject("sendTransaction", fault{kind: faultDrop})
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, Target: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	require.Equal(t, 1, proxy.count(faultDrop))
	require.Equal(t, uint64(5_000_000), e.balance(sess.Signer()))

	moves := uint64(0)
	move := func(ctx context.Context) error {
		_, err := sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.Signer(), sess.Token(), examplegame.Up)})
		return err
	}
	tests := []struct {
		name   string
		faults map[string][]fault
		// background faults are taken by the sender's blockhash refresher; the move
		// starts once they are.
		background bool
		// mayMiss: the confirmation may arrive from a poll made before the faults.
		mayMiss bool
	}{
		{name: "429s on send", faults: map[string][]fault{"sendTransaction": {{kind: fault429}, {kind: fault429}, {kind: fault429}}}},
		{name: "send answer dropped after the cluster took it", faults: map[string][]fault{"sendTransaction": {{kind: faultDrop}, {kind: faultDrop}}}},
		{name: "status answers dropped, delayed, refused", faults: map[string][]fault{
			"getSignatureStatuses": {{kind: faultDrop}, {kind: faultDelay, delay: 300 * time.Millisecond}, {kind: fault429}},
		}, mayMiss: true},
		{name: "slow send", faults: map[string][]fault{"sendTransaction": {{kind: faultDelay, delay: 500 * time.Millisecond}}}},
		{name: "429s on blockhash refresh", faults: map[string][]fault{"getLatestBlockhash": {{kind: fault429}, {kind: fault429}, {kind: fault429}}}, background: true},
		{name: "expired blockhash", faults: map[string][]fault{"getLatestBlockhash": {{kind: faultBadBlockhash}}}, background: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			injected := proxy.total()
			for method, fs := range tc.faults {
				proxy.inject(method, fs...)
			}
			if tc.background {
				require.Eventually(t, func() bool { return proxy.pending() == 0 }, 10*time.Second, 5*time.Millisecond)
			}
			require.NoError(t, move(ctx))
			moves++
			require.Equal(t, moves, e.playerState(player).Moves)
			require.Equal(t, uint64(5_000_000-moves*fee), e.balance(sess.Signer()))
			if !tc.mayMiss {
				require.Greater(t, proxy.total(), injected, "no fault was injected")
			}
			proxy.clear() // status polls may end before they meet every queued fault
		})
	}

	// The RPC node refuses every send until the caller gives up: a clear error naming the
	// signature, and the move never happened.
	for range 10_000 {
		proxy.inject("sendTransaction", fault{kind: fault429})
	}
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	err = move(short)
	cancelShort()
	proxy.clear()
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
	proxy.inject("getBalance", fault{kind: fault429})
	_, err = e.m.Revoke(ctx, sess, RevokeParams{})
	require.ErrorContains(t, err, "reading the balance of session signer")
	require.False(t, sess.Revoked())
	require.True(t, e.exists(sess.Token()))

	// The revoke's answer is lost: it still lands once, and the sweep is exact.
	proxy.inject("sendTransaction", fault{kind: faultDrop})
	before := e.balance(authority.PublicKey())
	res, err := e.m.Revoke(ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, uint64(5_000_000-(moves+1)*fee), res.Swept)
	require.Equal(t, before+e.rentV1+res.Swept, e.balance(authority.PublicKey()))
	require.False(t, e.exists(sess.Signer()))
	require.False(t, e.exists(sess.Token()))
	_, err = e.m.Get(ctx, sess.Token())
	require.True(t, errors.Is(err, ErrNotFound))
}
