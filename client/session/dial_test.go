package session

import (
	"context"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

func TestWebsocketURL(t *testing.T) {
	for _, tt := range []struct{ rpc, ws string }{
		{"http://127.0.0.1:8899", "ws://127.0.0.1:8900"},
		{"https://api.devnet.solana.com", "wss://api.devnet.solana.com"},
		{"HTTPS://rpc.example.com/v1/KEY?api-key=KEY", "wss://rpc.example.com/v1/KEY?api-key=KEY"},
		{"http://localhost:80/", "ws://localhost/"},
		{"https://rpc.example.com:443", "wss://rpc.example.com"},
		{"https://rpc.example.com:8443", "wss://rpc.example.com:8444"},
		{"http://[::1]:8899", "ws://[::1]:8900"},
	} {
		u, err := parseRPCURL(tt.rpc)
		require.NoError(t, err, tt.rpc)
		ws, err := websocketURL(u)
		require.NoError(t, err, tt.rpc)
		require.Equal(t, tt.ws, ws, tt.rpc)
	}
	u, err := parseRPCURL("http://127.0.0.1:65535")
	require.NoError(t, err)
	_, err = websocketURL(u)
	require.ErrorIs(t, err, ErrBadParams)
}

func TestDialRefuses(t *testing.T) {
	ctx := t.Context()
	for _, bad := range []string{"", "127.0.0.1:8899", "ws://127.0.0.1:8900", "file:///tmp/x", "http://", "http://host:port/\x7f"} {
		_, err := Dial(ctx, bad)
		require.ErrorIs(t, err, ErrBadParams, "%q", bad)
	}

	// Nothing listens on the port: the error shows the endpoint without path or query.
	_, err := Dial(ctx, "http://127.0.0.1:1/v2/SECRETPATH?api-key=SECRETKEY")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "SECRET")
	require.Contains(t, err.Error(), "http://127.0.0.1:1")
}

// Dial's Manager sends over the WebSocket, names the session program's errors and lets
// go of its sender on Close.
func TestDial(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// A wrong program id shows at once, and the API key in the URL stays out of the error.
	_, err := Dial(ctx, net.RPCURL()+"/?api-key=SECRETKEY", WithProgramID(solana.NewWallet().PublicKey()),
		WithWebSocketURL(""))
	require.ErrorContains(t, err, "no session program")
	require.NotContains(t, err.Error(), "SECRETKEY")

	m, err := Dial(ctx, net.RPCURL(), WithWebSocketURL(net.WSURL()),
		// Confirmations come by push; the slow poll only covers a notification the
		// runtime drops now and then.
		WithSenderOptions(sender.WithPollInterval(2*time.Second)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })

	e := &env{t: t, ctx: ctx, net: net, rpc: m.RPC(), snd: m.Sender(), m: m, game: examplegame.Game{ID: gameID}}
	owner, stranger := e.funded(1_000_000_000), e.funded(1_000_000_000)
	player := e.player(e.game, owner)
	sess, err := m.Create(ctx, owner, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	_, err = sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.NoError(t, err)
	require.Equal(t, uint64(1), e.playerState(player).Moves)

	// A stranger's session for the owner's player: the game answers InvalidToken, by name.
	other, err := m.Create(ctx, stranger, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 1_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	err = e.sendUnchecked(other, e.game.Move(player, other.SessionSigner(), other.Token(), examplegame.Up))
	require.ErrorIs(t, err, client.ErrInvalidToken)
	require.ErrorContains(t, err, "InvalidToken")

	require.NoError(t, m.Close())
	require.NoError(t, m.Close())
	_, err = sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Down)})
	require.ErrorIs(t, err, sender.ErrClosed)
}

// A Manager from NewManager leaves the sender it was given open.
func TestCloseLeavesGivenSender(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, e.m.Close())
	_, err := e.m.Create(e.ctx, e.funded(1_000_000_000), CreateParams{Kind: KindV1, TargetProgram: gameID, ValidFor: time.Hour, Unfunded: true})
	require.NoError(t, err)
}
