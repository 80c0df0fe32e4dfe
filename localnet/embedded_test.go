package localnet_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gorilla/websocket"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

const fee = 5000 // lamports per signature

var memoID = solana.MustPublicKeyFromBase58("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func balance(t *testing.T, n *localnet.Net, pk solana.PublicKey) uint64 {
	t.Helper()
	res, err := n.RPC().GetBalance(context.Background(), pk, rpc.CommitmentConfirmed)
	if err != nil {
		t.Fatalf("getBalance %s: %v", pk, err)
	}
	return res.Value
}

func transferTx(t *testing.T, n *localnet.Net, from solana.PrivateKey, to solana.PublicKey, lamports uint64) *solana.Transaction {
	t.Helper()
	h, err := n.RecentBlockhash(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := solana.NewTransaction([]solana.Instruction{
		system.NewTransferInstruction(lamports, from.PublicKey(), to).Build(),
	}, h, solana.TransactionPayer(from.PublicKey()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Sign(func(solana.PublicKey) *solana.PrivateKey { return &from }); err != nil {
		t.Fatal(err)
	}
	return tx
}

// pollConfirmed waits for sig with getSignatureStatuses alone.
func pollConfirmed(t *testing.T, ctx context.Context, n *localnet.Net, sig solana.Signature) *rpc.SignatureStatusesResult {
	t.Helper()
	for {
		res, err := n.RPC().GetSignatureStatuses(ctx, false, sig)
		if err != nil {
			t.Fatalf("getSignatureStatuses: %v", err)
		}
		if st := res.Value[0]; st != nil && (st.ConfirmationStatus == rpc.ConfirmationStatusConfirmed || st.ConfirmationStatus == rpc.ConfirmationStatusFinalized) {
			return st
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s not confirmed: %v", sig, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestParallelRuntimes(t *testing.T) {
	urls := make(chan string, 2)
	for i := range 2 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t, time.Minute)
			n := localnettest.StartForTest(t)
			from, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
			if err != nil {
				t.Fatal(err)
			}
			to := solana.NewWallet().PublicKey()
			if _, err := n.Send(ctx, from, []solana.Instruction{system.NewTransferInstruction(2_000_000, from.PublicKey(), to).Build()}); err != nil {
				t.Fatal(err)
			}
			if got := balance(t, n, to); got != 2_000_000 {
				t.Fatalf("recipient balance %d, want 2000000", got)
			}
			urls <- n.RPCURL()
		})
	}
	t.Cleanup(func() {
		close(urls)
		var got []string
		for u := range urls {
			got = append(got, u)
		}
		if len(got) == 2 && got[0] == got[1] {
			t.Errorf("both runtimes at %s", got[0])
		}
	})
}

func TestAirdropTransferConfirm(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx := testContext(t, time.Minute)
	alice := solana.NewWallet().PrivateKey
	bob := solana.NewWallet().PublicKey()

	sig, err := n.RPC().RequestAirdrop(ctx, alice.PublicKey(), 3*solana.LAMPORTS_PER_SOL, rpc.CommitmentConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	if st := pollConfirmed(t, ctx, n, sig); st.Err != nil {
		t.Fatalf("airdrop failed: %v", st.Err)
	}
	if got := balance(t, n, alice.PublicKey()); got != 3*solana.LAMPORTS_PER_SOL {
		t.Fatalf("alice after airdrop: %d", got)
	}

	t.Run("getSignatureStatuses", func(t *testing.T) {
		tx := transferTx(t, n, alice, bob, 1_000_000)
		sig, err := n.RPC().SendTransactionWithOpts(ctx, tx, rpc.TransactionOpts{PreflightCommitment: rpc.CommitmentConfirmed})
		if err != nil {
			t.Fatal(err)
		}
		if sig != tx.Signatures[0] {
			t.Fatalf("send returned %s, tx signature %s", sig, tx.Signatures[0])
		}
		st := pollConfirmed(t, ctx, n, sig)
		if st.Err != nil || st.Slot == 0 {
			t.Fatalf("status %+v", st)
		}
		if got := balance(t, n, bob); got != 1_000_000 {
			t.Fatalf("bob: %d, want 1000000", got)
		}
		if got := balance(t, n, alice.PublicKey()); got != 3*solana.LAMPORTS_PER_SOL-1_000_000-fee {
			t.Fatalf("alice: %d", got)
		}
	})

	t.Run("signatureSubscribe", func(t *testing.T) {
		// Raw JSON-RPC over WebSocket rather than solana-go's rpc/ws: its
		// SignatureSubscribe returns before the server acknowledges, and
		// surfpool may notify before the acknowledgement, which solana-go
		// then drops. Waiting for the ack makes the order deterministic.
		conn, _, err := websocket.DefaultDialer.DialContext(ctx, n.WSURL(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if deadline, ok := ctx.Deadline(); ok {
			_ = conn.SetReadDeadline(deadline)
		}
		tx := transferTx(t, n, alice, bob, 500_000)
		err = conn.WriteJSON(map[string]any{
			"jsonrpc": "2.0", "id": 1, "method": "signatureSubscribe",
			"params": []any{tx.Signatures[0].String(), map[string]any{"commitment": "confirmed"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var ack struct {
			ID     int             `json:"id"`
			Result *uint64         `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := conn.ReadJSON(&ack); err != nil || ack.ID != 1 || ack.Result == nil {
			t.Fatalf("subscribe ack %+v, %v", ack, err)
		}
		if _, err := n.RPC().SendTransactionWithOpts(ctx, tx, rpc.TransactionOpts{PreflightCommitment: rpc.CommitmentConfirmed}); err != nil {
			t.Fatal(err)
		}
		var note struct {
			Method string `json:"method"`
			Params struct {
				Subscription uint64 `json:"subscription"`
				Result       struct {
					Context struct{ Slot uint64 } `json:"context"`
					Value   struct {
						Err any `json:"err"`
					} `json:"value"`
				} `json:"result"`
			} `json:"params"`
		}
		if err := conn.ReadJSON(&note); err != nil {
			t.Fatal(err)
		}
		if note.Method != "signatureNotification" || note.Params.Subscription != *ack.Result ||
			note.Params.Result.Value.Err != nil || note.Params.Result.Context.Slot == 0 {
			t.Fatalf("notification %+v", note)
		}
		if got := balance(t, n, bob); got != 1_500_000 {
			t.Fatalf("bob: %d, want 1500000", got)
		}
	})
}

func TestGetProgramAccountsFilters(t *testing.T) {
	owner := solana.NewWallet().PublicKey()
	acct := func(prefix byte, size int) localnet.Account {
		data := make([]byte, size)
		data[0], data[1] = prefix, 0xAA
		return localnet.Account{Address: solana.NewWallet().PublicKey(), Lamports: 10_000_000, Owner: owner, Data: data}
	}
	a1, a2, a3 := acct(1, 40), acct(2, 40), acct(1, 64)
	n := localnettest.StartForTest(t, localnet.WithAccounts(a1, a2, a3))
	ctx := testContext(t, time.Minute)

	// One more, created by a real System program transaction.
	payer, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	a4 := solana.NewWallet().PrivateKey
	rent, err := n.RPC().GetMinimumBalanceForRentExemption(ctx, 48, rpc.CommitmentConfirmed)
	if err != nil {
		t.Fatal(err)
	}
	create := system.NewCreateAccountInstruction(rent, 48, owner, payer.PublicKey(), a4.PublicKey()).Build()
	if _, err := n.Send(ctx, payer, []solana.Instruction{create}, a4); err != nil {
		t.Fatal(err)
	}

	memcmp := func(b ...byte) rpc.RPCFilter {
		return rpc.RPCFilter{Memcmp: &rpc.RPCFilterMemcmp{Offset: 0, Bytes: b}}
	}
	tests := []struct {
		name    string
		filters []rpc.RPCFilter
		want    []solana.PublicKey
	}{
		{"none", nil, []solana.PublicKey{a1.Address, a2.Address, a3.Address, a4.PublicKey()}},
		{"dataSize 40", []rpc.RPCFilter{{DataSize: 40}}, []solana.PublicKey{a1.Address, a2.Address}},
		{"dataSize 48", []rpc.RPCFilter{{DataSize: 48}}, []solana.PublicKey{a4.PublicKey()}},
		{"memcmp 01aa", []rpc.RPCFilter{memcmp(1, 0xAA)}, []solana.PublicKey{a1.Address, a3.Address}},
		{"memcmp and dataSize", []rpc.RPCFilter{memcmp(1, 0xAA), {DataSize: 40}}, []solana.PublicKey{a1.Address}},
		{"no match", []rpc.RPCFilter{memcmp(9)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := n.RPC().GetProgramAccountsWithOpts(ctx, owner, &rpc.GetProgramAccountsOpts{
				Commitment: rpc.CommitmentConfirmed,
				Encoding:   solana.EncodingBase64,
				Filters:    tt.filters,
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ka := range res {
				got = append(got, ka.Pubkey.String())
			}
			var want []string
			for _, pk := range tt.want {
				want = append(want, pk.String())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestWarpTimeMovesClock(t *testing.T) {
	// Its own runtime: a warp would leak into tests sharing the package's.
	n := localnettest.StartForTest(t, localnet.EmbeddedOnly(t))
	ctx := testContext(t, time.Minute)
	now, err := n.ClusterTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(now); d < -time.Hour || d > time.Hour {
		t.Fatalf("cluster time %v is far from wall time", now)
	}
	target := now.Add(30 * 24 * time.Hour).Truncate(time.Second)
	if err := n.WarpTime(ctx, target); err != nil {
		t.Fatal(err)
	}
	got, err := n.ClusterTime(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(target) || got.Sub(target) > 5*time.Second {
		t.Fatalf("clock after warp %v, want %v", got, target)
	}
	// Transactions still land after the jump.
	key, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	if got := balance(t, n, key.PublicKey()); got != solana.LAMPORTS_PER_SOL {
		t.Fatalf("balance after warp: %d", got)
	}
}

func TestProgramsAccountsAndFundingAtStart(t *testing.T) {
	ctx := testContext(t, time.Minute)
	shared := localnettest.ForTest(t)
	memo, err := shared.RPC().GetAccountInfo(ctx, memoID)
	if err != nil {
		t.Fatal(err)
	}
	elf := memo.Value.Data.GetBinary()

	fixedID := solana.NewWallet().PublicKey()
	upgradeable := solana.NewWallet().PublicKey()
	auth := solana.NewWallet().PublicKey()
	funded := solana.NewWallet().PrivateKey
	data := localnet.Account{Address: solana.NewWallet().PublicKey(), Lamports: 3_000_000, Owner: fixedID, Data: []byte("sessionkit")}
	n := localnettest.StartForTest(t,
		localnet.WithPrograms(
			localnet.Program{ID: fixedID, ELF: elf},
			localnet.Program{ID: upgradeable, ELF: elf, UpgradeAuthority: &auth},
		),
		localnet.WithAccounts(data),
		localnet.WithFunded(funded.PublicKey(), 123_456_789),
	)

	if got := balance(t, n, funded.PublicKey()); got != 123_456_789 {
		t.Fatalf("funded balance %d", got)
	}
	if err := n.Fund(ctx, funded.PublicKey(), 1_000); err != nil {
		t.Fatal(err)
	}
	if got := balance(t, n, funded.PublicKey()); got != 123_457_789 {
		t.Fatalf("balance after Fund: %d", got)
	}
	acc, err := n.RPC().GetAccountInfo(ctx, data.Address)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Value.Lamports != 3_000_000 || !acc.Value.Owner.Equals(fixedID) || string(acc.Value.Data.GetBinary()) != "sessionkit" {
		t.Fatalf("account: lamports %d owner %s data %q", acc.Value.Lamports, acc.Value.Owner, acc.Value.Data.GetBinary())
	}

	for _, tt := range []struct {
		id   solana.PublicKey
		auth *solana.PublicKey
	}{{fixedID, nil}, {upgradeable, &auth}} {
		pd, err := n.RPC().GetAccountInfo(ctx, programDataAddress(tt.id))
		if err != nil {
			t.Fatal(err)
		}
		b := pd.Value.Data.GetBinary()
		switch {
		case tt.auth == nil && b[12] != 0:
			t.Fatalf("%s: has an upgrade authority, want none", tt.id)
		case tt.auth != nil && (b[12] != 1 || !solana.PublicKeyFromBytes(b[13:45]).Equals(*tt.auth)):
			t.Fatalf("%s: authority bytes % x, want %s", tt.id, b[12:45], tt.auth)
		}
		sig, err := n.Send(ctx, funded, []solana.Instruction{solana.NewInstruction(tt.id, nil, []byte("at start"))})
		if err != nil {
			t.Fatal(err)
		}
		v := uint64(0)
		tx, err := n.RPC().GetTransaction(ctx, sig, &rpc.GetTransactionOpts{Commitment: rpc.CommitmentConfirmed, MaxSupportedTransactionVersion: &v})
		if err != nil {
			t.Fatal(err)
		}
		if logs := strings.Join(tx.Meta.LogMessages, "\n"); !strings.Contains(logs, "Program log: at start") {
			t.Fatalf("logs of %s:\n%s", tt.id, logs)
		}
	}
}

func programDataAddress(program solana.PublicKey) solana.PublicKey {
	addr, _, err := solana.FindProgramAddress([][]byte{program[:]}, solana.BPFLoaderUpgradeableProgramID)
	if err != nil {
		panic(err)
	}
	return addr
}

// TestBlockhashRefresh sends more transactions than one surfpool blockhash
// survives (about 150), all built from Net.RecentBlockhash.
func TestBlockhashRefresh(t *testing.T) {
	n := localnettest.StartForTest(t)
	ctx := testContext(t, 2*time.Minute)
	from, err := n.NewFundedKey(ctx, 10*solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	to := solana.NewWallet().PublicKey()
	const count, amount = 250, 1_000_000
	hashes := map[solana.Hash]bool{}
	for i := range count {
		tx := transferTx(t, n, from, to, amount+uint64(i))
		hashes[tx.Message.RecentBlockhash] = true
		sig, err := n.RPC().SendTransactionWithOpts(ctx, tx, rpc.TransactionOpts{SkipPreflight: true})
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
		if st := pollConfirmed(t, ctx, n, sig); st.Err != nil {
			t.Fatalf("tx %d failed: %v", i, st.Err)
		}
	}
	if len(hashes) < count/100 {
		t.Fatalf("%d transactions used only %d blockhashes", count, len(hashes))
	}
	want := uint64(count*amount + count*(count-1)/2)
	if got := balance(t, n, to); got != want {
		t.Fatalf("recipient %d, want %d", got, want)
	}
}

// TestRefreshBlockhashRightAfterStart sends one transaction three times, each
// time after RefreshBlockhash: with a new blockhash it is a new transaction.
func TestRefreshBlockhashRightAfterStart(t *testing.T) {
	n := localnettest.StartForTest(t)
	ctx := testContext(t, time.Minute)
	from, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	to := solana.NewWallet().PublicKey()
	sigs := map[solana.Signature]bool{}
	for range 3 {
		if _, err := n.RefreshBlockhash(ctx); err != nil {
			t.Fatal(err)
		}
		sig, err := n.Send(ctx, from, []solana.Instruction{system.NewTransferInstruction(1_000_000, from.PublicKey(), to).Build()})
		if err != nil {
			t.Fatal(err)
		}
		sigs[sig] = true
	}
	if got := balance(t, n, to); len(sigs) != 3 || got != 3_000_000 {
		t.Fatalf("%d distinct signatures, recipient %d; want 3 and 3000000", len(sigs), got)
	}
}

// TestBlockhashesRefreshAfterUses counts hand-outs alone: the cache's timed
// refresh is an hour away.
func TestBlockhashesRefreshAfterUses(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx := testContext(t, time.Minute)
	cache, err := sender.NewBlockhashCache(n.RPC(), sender.WithCacheRefreshInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cache.Close)
	get := localnet.NewBlockhashes(cache)
	first, err := get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < localnet.RefreshUses; i++ {
		if got, err := get(ctx); err != nil || got.Hash != first.Hash {
			t.Fatalf("use %d: %v, %v; want %v", i+1, got.Hash, err, first.Hash)
		}
	}
	// Each transaction is a block, so the cluster has a newer blockhash.
	if _, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL); err != nil {
		t.Fatal(err)
	}
	next, err := get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next.Hash == first.Hash || next.LastValidBlockHeight <= first.LastValidBlockHeight {
		t.Fatalf("use %d: %+v, want newer than %+v", localnet.RefreshUses+1, next, first)
	}
	if again, err := get(ctx); err != nil || again.Hash != next.Hash {
		t.Fatalf("use %d: %v, %v; want %v", localnet.RefreshUses+2, again.Hash, err, next.Hash)
	}
}

// TestSendFailure checks that a failed transaction comes back typed, with its
// logs in the message, and costs nothing when preflight refused it.
func TestSendFailure(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx := testContext(t, time.Minute)
	from, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
	if err != nil {
		t.Fatal(err)
	}
	ix := system.NewTransferInstruction(2*solana.LAMPORTS_PER_SOL, from.PublicKey(), solana.NewWallet().PublicKey()).Build()
	sig, err := n.Send(ctx, from, []solana.Instruction{ix})
	var te *sender.FailedError
	if !errors.As(err, &te) || !te.Preflight || !sig.IsZero() {
		t.Fatalf("Send = %s, %v; want a preflight sender.FailedError", sig, err)
	}
	if !errors.Is(err, txn.ErrInsufficientFunds) {
		t.Fatalf("err = %v, want txn.ErrInsufficientFunds", err)
	}
	if !strings.HasSuffix(err.Error(), "\n  Program 11111111111111111111111111111111 failed: custom program error: 0x1") {
		t.Fatalf("err = %v, want it to end with the logs", err)
	}
	if got := balance(t, n, from.PublicKey()); got != solana.LAMPORTS_PER_SOL {
		t.Fatalf("balance %d after a refused transaction, want %d", got, solana.LAMPORTS_PER_SOL)
	}
}

// TestConcurrentSends checks Net.Send and its shared blockhash under -race.
func TestConcurrentSends(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx := testContext(t, time.Minute)
	to := solana.NewWallet().PublicKey()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			from, err := n.NewFundedKey(ctx, solana.LAMPORTS_PER_SOL)
			if err != nil {
				errs <- err
				return
			}
			// Distinct amounts: an identical transaction would be a duplicate.
			for i := range 5 {
				ix := system.NewTransferInstruction(1_000_000+uint64(i), from.PublicKey(), to).Build()
				if _, err := n.Send(ctx, from, []solana.Instruction{ix}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := balance(t, n, to); got != 8*(5*1_000_000+10) {
		t.Fatalf("recipient %d, want %d", got, 8*(5*1_000_000+10))
	}
}
