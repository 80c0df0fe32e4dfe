package txn_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/internal/txn"
)

func TestMain(m *testing.M) { localnet.RunMain(m, localnet.Config{}) }

func transfer(from solana.PrivateKey, to solana.PublicKey, lamports uint64) func(solana.Hash) (*solana.Transaction, error) {
	return func(h solana.Hash) (*solana.Transaction, error) {
		tx, err := solana.NewTransaction([]solana.Instruction{
			system.NewTransferInstruction(lamports, from.PublicKey(), to).Build(),
		}, h, solana.TransactionPayer(from.PublicKey()))
		if err != nil {
			return nil, err
		}
		_, err = tx.Sign(func(solana.PublicKey) *solana.PrivateKey { return &from })
		return tx, err
	}
}

func setup(t *testing.T) (*localnet.Net, solana.PrivateKey, context.Context) {
	t.Helper()
	n := localnet.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	from, err := n.NewFundedKey(ctx, 10*solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	return n, from, ctx
}

func TestBlockhashesRefreshAfterMaxUses(t *testing.T) {
	n, from, ctx := setup(t)
	bh := txn.NewBlockhashes(n.RPC(), 3, time.Hour)
	var got []solana.Hash
	for i := range 4 {
		h, err := bh.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Hash)
		// Each transaction is a block, so a refetch must see a new hash.
		if _, err := txn.SendAndConfirm(ctx, n.RPC(), bh, transfer(from, solana.NewWallet().PublicKey(), 1_000_000+uint64(i)), txn.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	// Uses: Get, send, Get, send -> the third Get refetches.
	if got[0] != got[1] || got[1] == got[2] {
		t.Fatalf("hashes %v: want the first two equal and the third new", got)
	}
}

func TestBlockhashesRefreshAfterMaxAge(t *testing.T) {
	n, _, ctx := setup(t)
	bh := txn.NewBlockhashes(n.RPC(), 1000, 50*time.Millisecond)
	first, err := bh.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := bh.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first != again {
		t.Fatalf("refetched before max age: %v then %v", first, again)
	}
	// surfpool keeps producing slots when idle, so after the max age a
	// refetch returns a newer blockhash.
	time.Sleep(200 * time.Millisecond)
	later, err := bh.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if later.Hash == first.Hash || later.LastValidBlockHeight <= first.LastValidBlockHeight {
		t.Fatalf("not refreshed after max age: %v then %v", first, later)
	}
}

// An expired blockhash is replaced and the transaction re-signed, whether
// preflight reports it or the transaction is silently dropped.
func TestSendAndConfirmReplacesExpiredBlockhash(t *testing.T) {
	for _, skip := range []bool{false, true} {
		n, from, ctx := setup(t)
		bh := txn.NewBlockhashes(n.RPC(), 1000, time.Hour)
		stale, err := bh.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		advancePast(t, ctx, n, from, stale.LastValidBlockHeight)
		to := solana.NewWallet().PublicKey()
		var used []solana.Hash
		build := transfer(from, to, 2_000_000)
		_, err = txn.SendAndConfirm(ctx, n.RPC(), bh, func(h solana.Hash) (*solana.Transaction, error) {
			used = append(used, h)
			return build(h)
		}, txn.Options{SkipPreflight: skip})
		if err != nil {
			t.Fatalf("skipPreflight=%v: %v", skip, err)
		}
		if len(used) != 2 || used[0] != stale.Hash || used[1] == stale.Hash {
			t.Fatalf("skipPreflight=%v: blockhashes used %v, want the stale one then a new one", skip, used)
		}
		bal, err := n.RPC().GetBalance(ctx, to, rpc.CommitmentConfirmed)
		if err != nil || bal.Value != 2_000_000 {
			t.Fatalf("recipient balance %v, %v", bal, err)
		}
	}
}

// advancePast sends transfers (each one a block on surfpool) until the block
// height passes height.
func advancePast(t *testing.T, ctx context.Context, n *localnet.Net, from solana.PrivateKey, height uint64) {
	t.Helper()
	sink := solana.NewWallet().PublicKey()
	for i := uint64(0); ; i++ {
		h, err := n.RPC().GetBlockHeight(ctx, rpc.CommitmentConfirmed)
		if err != nil {
			t.Fatal(err)
		}
		if h > height {
			return
		}
		var wg sync.WaitGroup
		for j := range uint64(16) {
			wg.Go(func() {
				ix := system.NewTransferInstruction(1_000_000+i*16+j, from.PublicKey(), sink).Build()
				if _, err := n.Send(ctx, from, []solana.Instruction{ix}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
}

func TestConfirmReportsOnChainFailure(t *testing.T) {
	n, from, ctx := setup(t)
	bh := txn.NewBlockhashes(n.RPC(), 0, 0)
	// More than the sender has: fails in execution, visible only after landing.
	sig, err := txn.SendAndConfirm(ctx, n.RPC(), bh, transfer(from, solana.NewWallet().PublicKey(), 11*solana.LAMPORTS_PER_SOL), txn.Options{SkipPreflight: true})
	var failed *txn.FailedError
	if !errors.As(err, &failed) || failed.Err == nil {
		t.Fatalf("err = %v, want a FailedError", err)
	}
	if failed.Signature == (solana.Signature{}) || sig != (solana.Signature{}) && sig != failed.Signature {
		t.Fatalf("failed signature %s, returned %s", failed.Signature, sig)
	}
}
