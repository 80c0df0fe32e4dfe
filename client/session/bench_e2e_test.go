package session

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// benchSessions is how many players move at once in BenchmarkEndToEnd.
const benchSessions = 10

// BenchmarkEndToEnd plays moves of 10 concurrent sessions on a fresh embedded runtime,
// each session sending its next move once the previous one is confirmed, and reports
// moves/s, the p50 and p99 of the time from Send to confirmation, and client-%: the
// share of that time spent building, checking and signing in this process. Run it with
// a fixed count, e.g. -bench EndToEnd -benchtime 1000x: the runtime slows down after a
// few thousand transactions.
func BenchmarkEndToEnd(b *testing.B) {
	net := localnettest.StartForTest(b, clusterConfig()...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	client := sender.NewRPCClient(net.RPCURL(), nil)
	// The embedded runtime makes a block per transaction, so at a hundred moves a second a
	// blockhash lives about 1.5 s, not the minute it lives on a real cluster: refresh it
	// often enough that moves do not expire in flight.
	snd, err := sender.New(client, sender.WithWebSocket(net.WSURL()), sender.WithBlockhashRefresh(200*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer snd.Close()
	m := NewManager(client, snd)
	game := examplegame.Game{ID: gameID}

	type player struct {
		sess    *Session
		account solana.PublicKey
	}
	players := make([]player, benchSessions)
	for i := range players {
		sess, acct := benchPlayer(b, ctx, net, m, game, 24*time.Hour)
		players[i] = player{sess, acct}
	}

	latencies := make([][]time.Duration, benchSessions)
	var clientNanos atomic.Int64
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range players {
		wg.Go(func() {
			p := players[w]
			for i := 0; next.Add(1) <= int64(b.N); i++ {
				ixs := []solana.Instruction{game.Move(p.account, p.sess.signer, p.sess.token, examplegame.Direction(i%4))}
				var cfg wrapConfig
				t0 := time.Now()
				if err := p.sess.checkInstructions(ixs, &cfg); err != nil {
					b.Error(err)
					return
				}
				build := p.sess.mover(ctx, ixs, &cfg)
				clientNanos.Add(int64(time.Since(t0)))
				_, err := snd.Send(ctx, func(bh solana.Hash) ([]byte, error) {
					t := time.Now()
					wire, err := build(bh)
					clientNanos.Add(int64(time.Since(t)))
					return wire, err
				})
				if err != nil {
					b.Error(err)
					return
				}
				latencies[w] = append(latencies[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	all := slices.Concat(latencies...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	var total time.Duration
	for _, l := range all {
		total += l
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "moves/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[(len(all)*99)/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(100*float64(clientNanos.Load())/float64(total), "client-%")
}

// benchPlayer funds an owner, sets up its player in game and creates a session for it
// with a top-up that outlasts any benchmark.
func benchPlayer(b *testing.B, ctx context.Context, net *localnet.Net, m *Manager, game examplegame.Game, validFor time.Duration) (*Session, solana.PublicKey) {
	b.Helper()
	owner, err := net.NewFundedKey(ctx, 10_000_000_000)
	if err != nil {
		b.Fatal(err)
	}
	ix, err := game.InitPlayer(owner.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := net.Send(ctx, owner, []solana.Instruction{ix}); err != nil {
		b.Fatal(err)
	}
	player, err := game.Player(owner.PublicKey())
	if err != nil {
		b.Fatal(err)
	}
	sess, err := m.Create(ctx, owner, CreateParams{Kind: KindV1, TargetProgram: game.ID, TopUp: 1_000_000_000, ValidFor: validFor})
	if err != nil {
		b.Fatal(err)
	}
	return sess, player
}
