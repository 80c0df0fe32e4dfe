package session

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/program/examplegame"
)

// BenchmarkMoveTransaction measures the client-side cost of one session move as Send
// pays it — build the game instruction, check it, check the cluster clock (cached),
// compile, sign with the ephemeral key, then serialize as the sender does — against a
// bare crypto/ed25519.Sign of the same message. The two alternate in every iteration so
// that the noise of a shared machine hits both alike; the metrics are per operation and
// "ratio" is move/ed25519 (target ≤ 1.15).
func BenchmarkMoveTransaction(b *testing.B) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	s := testSession(b, m, 1_000_000)
	game := examplegame.Game{ID: s.target}
	player := solana.NewWallet().PublicKey()
	ctx := context.Background()
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

	var blockhash solana.Hash
	var moveTime, signTime time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// A new blockhash per move: repeats of one move on one blockhash cost a second
		// build (see unique.go), which is not the common case measured here.
		binary.LittleEndian.PutUint64(blockhash[:], uint64(i))

		start := time.Now()
		ixs := []solana.Instruction{game.Move(player, s.signer, s.token, examplegame.Direction(i%4))}
		var cfg wrapConfig
		if err := s.checkInstructions(ixs, &cfg); err != nil {
			b.Fatal(err)
		}
		tx, err := s.mover(ctx, ixs, &cfg)(blockhash)
		if err != nil {
			b.Fatal(err)
		}
		wire, err := tx.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		ed25519.Sign(priv, wire[65:])
		end := time.Now()

		moveTime += mid.Sub(start)
		signTime += end.Sub(mid)
	}
	n := float64(b.N)
	b.ReportMetric(float64(moveTime.Nanoseconds())/n, "move-ns/op")
	b.ReportMetric(float64(signTime.Nanoseconds())/n, "ed25519-ns/op")
	b.ReportMetric(float64(moveTime)/float64(signTime), "ratio")
}
