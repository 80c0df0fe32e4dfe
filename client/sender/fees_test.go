package sender

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
)

// budgetIx is a Compute Budget instruction with raw data.
func budgetIx(data ...byte) solana.Instruction {
	return solana.NewInstruction(solana.ComputeBudget, nil, data)
}

func limitIx(units uint32) solana.Instruction {
	d := []byte{2, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(d[1:], units)
	return budgetIx(d...)
}

func priceIx(microLamports uint64) solana.Instruction {
	d := make([]byte, 9)
	d[0] = 3
	binary.LittleEndian.PutUint64(d[1:], microLamports)
	return budgetIx(d...)
}

func TestTransactionFees(t *testing.T) {
	payer, other := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()
	memo := solana.NewInstruction(solana.MemoProgramID, solana.AccountMetaSlice{solana.Meta(payer).SIGNER().WRITE()}, []byte("m"))
	cosigned := solana.NewInstruction(solana.MemoProgramID, solana.AccountMetaSlice{solana.Meta(other).SIGNER()}, []byte("c"))
	ed25519 := solana.NewInstruction(precompiles[0], nil, []byte{2, 0})
	tests := []struct {
		name string
		ixs  []solana.Instruction
		want Fees
	}{
		{"no budget: default limit, no price", []solana.Instruction{memo},
			Fees{Signatures: 1, Base: 5_000, UnitLimit: 200_000}},
		{"limit and price, rounded up", []solana.Instruction{memo, limitIx(30_001), priceIx(1_000)},
			Fees{Signatures: 1, Base: 5_000, UnitPrice: 1_000, UnitLimit: 30_001, Priority: 31}},
		{"salted limit clamped to the ceiling", []solana.Instruction{memo, limitIx(MaxUnitLimit + 7<<16), priceIx(250)},
			Fees{Signatures: 1, Base: 5_000, UnitPrice: 250, UnitLimit: MaxUnitLimit, Priority: 350}},
		{"price without limit: 200k per instruction", []solana.Instruction{memo, memo, priceIx(10)},
			Fees{Signatures: 1, Base: 5_000, UnitPrice: 10, UnitLimit: 400_000, Priority: 4}},
		{"two signers and a precompile's two", []solana.Instruction{memo, cosigned, ed25519},
			Fees{Signatures: 4, Base: 20_000, UnitLimit: 600_000}},
		{"price overflowing u64 lamports saturates", []solana.Instruction{memo, limitIx(MaxUnitLimit), priceIx(math.MaxUint64)},
			Fees{Signatures: 1, Base: 5_000, UnitPrice: math.MaxUint64, UnitLimit: MaxUnitLimit, Priority: math.MaxUint64}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := txn.CompileLegacy(payer, solana.Hash{1}, tc.ixs...)
			require.NoError(t, err)
			sigs := make([]solana.Signature, len(msg.Signers()))
			wire, err := msg.Assemble(sigs)
			require.NoError(t, err)
			got, err := TransactionFees(wire)
			require.NoError(t, err)
			tc.want.Payer = payer
			require.Equal(t, tc.want, got)

			// A v0 message without tables costs the same.
			v0 := append([]byte{0x80}, msg.Bytes()...)
			v0 = append(v0, 0) // no lookup tables
			got, err = MessageFees(v0)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestTransactionFeesMalformed(t *testing.T) {
	payer := solana.NewWallet().PublicKey()
	msg, err := txn.CompileLegacy(payer, solana.Hash{1}, limitIx(5), priceIx(5))
	require.NoError(t, err)
	wire, err := msg.Assemble(make([]solana.Signature, 1))
	require.NoError(t, err)
	for _, n := range []int{0, 1, 64, 66, 100, len(wire) - 1} {
		_, err := TransactionFees(wire[:n])
		require.ErrorIs(t, err, ErrInvalidTransaction, "cut at %d", n)
	}
	_, err = MessageFees(append([]byte{0x81}, msg.Bytes()...))
	require.ErrorContains(t, err, "message version 1")
}

func FuzzMessageFees(f *testing.F) {
	payer := solana.NewWallet().PublicKey()
	msg, err := txn.CompileLegacy(payer, solana.Hash{1}, limitIx(5), priceIx(5))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg.Bytes())
	f.Add(append([]byte{0x80}, msg.Bytes()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		fees, err := MessageFees(b)
		if err != nil {
			return
		}
		if fees.Base != fees.Signatures*LamportsPerSignature || fees.UnitLimit > MaxUnitLimit {
			t.Fatalf("inconsistent fees %+v", fees)
		}
		if fees.Priority != priorityFee(fees.UnitPrice, uint64(fees.UnitLimit)) {
			t.Fatalf("priority %d of price %d and limit %d", fees.Priority, fees.UnitPrice, fees.UnitLimit)
		}
	})
}

func TestPriorityFeePercentile(t *testing.T) {
	fees := func(v ...uint64) []prioritizationFee {
		out := make([]prioritizationFee, len(v))
		for i, f := range v {
			out[i] = prioritizationFee{Slot: uint64(i), PrioritizationFee: f}
		}
		return out
	}
	tests := []struct {
		fees []prioritizationFee
		pct  int
		want uint64
	}{
		{nil, 75, 0},
		{fees(7), 1, 7},
		{fees(40, 10, 30, 20), 50, 20},
		{fees(40, 10, 30, 20), 75, 30},
		{fees(40, 10, 30, 20), 76, 40},
		{fees(40, 10, 30, 20), 100, 40},
		{fees(0, 0, 0, 900), 75, 0},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, percentile(tc.fees, tc.pct), "p%d of %v", tc.pct, tc.fees)
	}
}

func TestPriorityFeeCaps(t *testing.T) {
	tests := []struct {
		name    string
		policy  FeePolicy
		price   uint64
		limit   uint32
		signing int
		want    uint64
	}{
		{"estimate within caps", FeePolicy{}, 300, 0, 1, 300},
		{"floor", FeePolicy{Floor: 50}, 3, 0, 1, 50},
		{"default ceiling is the guard's", FeePolicy{}, 5_000, 0, 1, 1_000},
		{"ceiling", FeePolicy{Ceiling: 400}, 5_000, 0, 1, 400},
		{"raised on the second signing", FeePolicy{}, 300, 0, 2, 450},
		{"compounding on the third", FeePolicy{}, 300, 0, 3, 675},
		{"raise stops at the ceiling", FeePolicy{Ceiling: 500}, 300, 0, 9, 500},
		{"raise of zero is one", FeePolicy{}, 0, 0, 2, 1},
		{"raise percent", FeePolicy{RaisePercent: 10, Ceiling: 2_000}, 1_000, 0, 2, 1_100},
		{"lamport cap on the ceiling limit", FeePolicy{Ceiling: 10_000, MaxLamports: 700}, 5_000, 0, 1, 500},
		{"lamport cap on a set limit", FeePolicy{Ceiling: 100_000, MaxLamports: 700}, 90_000, 10_000, 1, 70_000},
		{"lamport cap wins over the floor", FeePolicy{Floor: 900, MaxLamports: 700}, 0, 0, 1, 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := newFeeEstimator(nil, nil, tc.policy)
			require.NoError(t, err)
			got := e.clamp(tc.price, tc.limit, tc.signing)
			require.Equal(t, tc.want, got)
			if tc.policy.MaxLamports > 0 {
				limit := uint64(tc.limit)
				if limit == 0 {
					limit = MaxUnitLimit
				}
				require.LessOrEqual(t, priorityFee(got, limit), tc.policy.MaxLamports)
			}
		})
	}
}

func TestPriorityFeePolicyInvalid(t *testing.T) {
	for _, p := range []FeePolicy{
		{Percentile: 101}, {Percentile: -1}, {Floor: 2_000}, {Refresh: time.Minute, MaxAge: time.Second},
	} {
		_, err := newFeeEstimator(nil, nil, p)
		require.ErrorContains(t, err, "sender: fee", "%+v", p)
	}
}

// feeServer answers getRecentPrioritizationFees with fee at every slot and counts the
// calls and the accounts each asked for.
func feeServer(t *testing.T, fee *atomic.Uint64) (*httptest.Server, *atomic.Int32, chan []string) {
	var n atomic.Int32
	asked := make(chan []string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Method string          `json:"method"`
			Params [][]string      `json:"params"`
			ID     json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.Method != "getRecentPrioritizationFees" {
			t.Logf("unexpected %s: %v", body, err)
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		n.Add(1)
		select {
		case asked <- req.Params[0]:
		default:
		}
		f := fee.Load()
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":[{"slot":1,"prioritizationFee":%d},{"slot":2,"prioritizationFee":%d}]}`, req.ID, f, f)
	}))
	t.Cleanup(srv.Close)
	return srv, &n, asked
}

func TestPriorityFeeCachedAndShared(t *testing.T) {
	var fee atomic.Uint64
	fee.Store(120)
	srv, calls, asked := feeServer(t, &fee)
	e, err := NewFeeEstimator(NewRPCClient(srv.URL, nil), FeePolicy{Refresh: 50 * time.Millisecond, MaxAge: time.Hour})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	a, b := solana.NewWallet().PublicKey(), solana.NewWallet().PublicKey()

	require.Equal(t, uint64(120), e.Price(ctx, PriceParams{Writable: []solana.PublicKey{a, b}, Signing: 1}))
	require.ElementsMatch(t, []string{a.String(), b.String()}, <-asked)
	// Another order, a repeat: the same set, the same estimate, no call.
	require.Equal(t, uint64(180), e.Price(ctx, PriceParams{Writable: []solana.PublicKey{b, a, b}, Signing: 2}))
	require.Equal(t, int32(1), calls.Load())
	// Another set is fetched on its own.
	e.Price(ctx, PriceParams{Writable: []solana.PublicKey{a}})
	require.Equal(t, int32(2), calls.Load())

	// Past Refresh the old estimate serves while a background read fetches the new one.
	fee.Store(300)
	time.Sleep(60 * time.Millisecond)
	require.Equal(t, uint64(120), e.Price(ctx, PriceParams{Writable: []solana.PublicKey{a, b}}))
	require.Eventually(t, func() bool {
		return e.Price(ctx, PriceParams{Writable: []solana.PublicKey{a, b}}) == 300
	}, 5*time.Second, 5*time.Millisecond)
}

func TestPriorityFeeReadFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	e, err := NewFeeEstimator(NewRPCClient(srv.URL, nil), FeePolicy{Floor: 25},
		WithFeeRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	defer e.Close()
	// No estimate: the floor, and the send goes on.
	require.Equal(t, uint64(25), e.Price(context.Background(), PriceParams{Writable: []solana.PublicKey{{1}}}))
}

// BenchmarkPriorityFeeSelection is the price of one transaction from the cached
// estimate: the metric "priority-fee selection" of docs/benchmarks.md.
func BenchmarkPriorityFeeSelection(b *testing.B) {
	var fee atomic.Uint64
	fee.Store(500)
	srv, _, _ := feeServer(&testing.T{}, &fee)
	defer srv.Close()
	e, err := NewFeeEstimator(NewRPCClient(srv.URL, nil), FeePolicy{Refresh: time.Hour, MaxAge: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	p := PriceParams{Writable: []solana.PublicKey{{1}, {2}, {3}}, UnitLimit: MaxUnitLimit, Signing: 1}
	e.Price(ctx, p)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if e.Price(ctx, p) != 500 {
			b.Fatal("wrong price")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/selection")
}
