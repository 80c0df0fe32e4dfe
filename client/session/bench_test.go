package session

import (
	"context"
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// BenchmarkMoveTransaction measures the client-side cost of one session move as Send
// pays it before the sender takes the bytes — check the instructions, check the cluster
// clock (cached), compile, sign with the ephemeral key, claim the signature in the
// duplicate guard — against one bare txn.SessionKey.Sign, the signer the move uses, over
// the move's own message. The two alternate in every iteration so that the noise of a
// shared machine hits both alike. The game instruction is the caller's, built once per
// direction beforehand (the compiler never writes into it); examplegame.Move costs
// another six allocations of solana-go's instruction types.
//
// Metrics: move-ns/op and sign-ns/op, medians over the last 8192 iterations (ns/op is
// the mean of both together), ratio-vs-sign = move/sign (target ≤ 1.15), and
// move-allocs/op for the move alone (target ≤ 6); allocs/op counts the bare signature's
// allocation too.
func BenchmarkMoveTransaction(b *testing.B) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	benchMove(b, testSession(b, m, 1_000_000))
}

// BenchmarkMoveTransactionGranted is BenchmarkMoveTransaction for a session with a grant
// that binds every move: allowed instructions, SOL per transaction and in total, a use
// count reserved in blocks in a tokenstore.Memory, a rate and valid-after. Target
// ratio-vs-sign ≤ 1.25.
func BenchmarkMoveTransactionGranted(b *testing.B) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	st := tokenstore.NewMemory()
	m.reserver = st
	s := testSession(b, m, 1_000_000)
	withGrant(b, s, grant.Grant{
		Native:       &grant.Limit{PerTransaction: amount(1_000_000), Total: amount(1_000_000_000)},
		Instructions: []string{"move_player"},
		MaxUses:      1 << 40,
		Rate:         &grant.Rate{Count: 10_000, Interval: time.Millisecond},
		ValidAfter:   500,
	}, st)
	if err := StorePersister(st, pda.MagicBlockProgramID).Save(context.Background(), s.Snapshot()); err != nil {
		b.Fatal(err)
	}
	benchMove(b, s)
	if used := s.Grant().Used["uses"]; used < uint64(b.N) {
		b.Fatalf("the grant counted %d moves of %d", used, b.N)
	}
}

func benchMove(b *testing.B, s *Session) {
	game := examplegame.Game{ID: s.target}
	player := solana.NewWallet().PublicKey()
	ctx := context.Background()
	var moves [4][]solana.Instruction
	for d := range moves {
		moves[d] = []solana.Instruction{game.Move(player, s.signer, s.token, examplegame.Direction(d))}
	}
	var blockhash solana.Hash
	// move is what Send does up to handing the bytes to the sender. A new blockhash per
	// move: repeats of one move on one blockhash cost a second build (see unique.go),
	// which is not the common case measured here.
	move := func(i int) []byte {
		binary.LittleEndian.PutUint64(blockhash[:], uint64(i))
		ixs := moves[i%4]
		cfg, err := s.configure(ixs, &MoveParams{})
		if err != nil {
			b.Fatal(err)
		}
		wire, err := s.mover(ctx, ixs, &cfg)(blockhash)
		if err != nil {
			b.Fatal(err)
		}
		return wire
	}

	// Per-iteration times of the latest iterations, for medians: on a shared machine a
	// few iterations take a descheduling of milliseconds, and a sum would be theirs.
	const window = 1 << 13
	moveNs, signNs := make([]time.Duration, window), make([]time.Duration, window)
	msg := message(move(0))
	b.ReportAllocs()
	i := 1
	for ; b.Loop(); i++ {
		// Odd iterations sign first, so neither side always runs on the caches the other
		// warmed. The bare signature is over the previous move's message.
		t0 := time.Now()
		if i%2 == 1 {
			s.key.Sign(msg)
		}
		t1 := time.Now()
		msg = message(move(i))
		t2 := time.Now()
		if i%2 == 0 {
			s.key.Sign(msg)
		}
		t3 := time.Now()
		moveNs[i%window] = t2.Sub(t1)
		signNs[i%window] = t1.Sub(t0) + t3.Sub(t2)
	}
	n := min(i-1, window)
	moveMedian, signMedian := median(moveNs[:n]), median(signNs[:n])
	b.ReportMetric(float64(moveMedian.Nanoseconds()), "move-ns/op")
	b.ReportMetric(float64(signMedian.Nanoseconds()), "sign-ns/op")
	b.ReportMetric(float64(moveMedian)/float64(signMedian), "ratio-vs-sign")
	b.ReportMetric(testing.AllocsPerRun(100, func() { i++; move(i) }), "move-allocs/op")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
