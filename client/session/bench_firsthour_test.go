package session

import (
	"context"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// BenchmarkFirstHourMoves sends one session's moves one after another on a fresh
// embedded runtime with the README's setup and nothing tuned, and reports moves/s:
// what a newcomer sees. Run it with a fixed count, e.g. -benchtime 300x.
func BenchmarkFirstHourMoves(b *testing.B) {
	net := localnettest.StartForTest(b, clusterConfig()...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	m, err := Dial(ctx, net.RPCURL(), WithWebSocketURL(net.WSURL()), WithProgramID(localnettest.SessionProgramID()))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	game := examplegame.Game{ID: gameID}
	sess, player := benchPlayer(b, ctx, net, m, game, time.Hour)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		move := game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Right)
		if _, err := sess.Send(ctx, []solana.Instruction{move}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "moves/s")
}
