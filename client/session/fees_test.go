package session

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/internal/faultproxy"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// landedFees decodes a confirmed transaction: its compute-unit price as the chain
// stored it and the fee its meta says the payer paid.
func landedFees(t *testing.T, e *env, sig solana.Signature) (sender.Fees, uint64) {
	t.Helper()
	v := uint64(0)
	tx, err := e.net.RPC().GetTransaction(e.ctx, sig, &rpc.GetTransactionOpts{
		Commitment: rpc.CommitmentConfirmed, Encoding: solana.EncodingBase64, MaxSupportedTransactionVersion: &v})
	require.NoError(t, err)
	wire := tx.Transaction.GetBinary()
	fees, err := sender.TransactionFees(wire)
	require.NoError(t, err)
	return fees, tx.Meta.Fee
}

// The sender prices a move from getRecentPrioritizationFees for its writable accounts
// (the fault proxy answers with fees the local runtime has never seen), the price lands
// on chain, the move reports its fees exactly, and a re-signed move pays more within the
// caps.
func TestPriorityFeeLandsAndRises(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	recent := json.RawMessage(`[{"slot":1,"prioritizationFee":100},{"slot":2,"prioritizationFee":400},
		{"slot":3,"prioritizationFee":200},{"slot":4,"prioritizationFee":300}]`)
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "getRecentPrioritizationFees" {
			return faultproxy.Answer(recent)
		}
		return faultproxy.Pass
	})
	client := sender.NewRPCClient(proxy.URL(), nil)
	// A cache that refreshes only when asked, so the test decides which blockhash a move
	// is signed on.
	cache, err := sender.NewBlockhashCache(client, sender.WithCacheRefreshInterval(time.Hour))
	require.NoError(t, err)
	t.Cleanup(cache.Close)
	e := newEnvWith(t, ctx, net, client, sender.WithBlockhashCache(cache),
		sender.WithPriorityFees(sender.FeePolicy{Percentile: 50, Ceiling: 800, RaisePercent: 50}))
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	move := []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}

	// p50 of 100..400 is 200 micro-lamports per unit, on the salted limit the runtime
	// clamps to 1.4M units: 280 lamports.
	before := e.balance(sess.SessionSigner())
	res, err := sess.Send(ctx, move)
	require.NoError(t, err)
	require.Equal(t, 1, proxy.Count(faultproxy.Answer(recent)), "one fee read")
	want := sender.Fees{Payer: sess.SessionSigner(), Signatures: 1, Base: 5_000, UnitPrice: 200,
		UnitLimit: sender.MaxUnitLimit, Priority: 280}
	require.Equal(t, want, res.Fees)
	onChain, metaFee := landedFees(t, e, res.Signature)
	require.Equal(t, want, onChain)
	// The balance is the truth: the embedded runtime charges base and priority fee but its
	// meta.fee reports the base alone (a mainnet node reports both).
	require.Equal(t, before-want.Total(), e.balance(sess.SessionSigner()))
	requireMetaFee(t, want, metaFee)

	// The second move takes the cached estimate.
	res, err = sess.Send(ctx, move)
	require.NoError(t, err)
	require.Equal(t, uint64(200), res.Fees.UnitPrice)
	require.Equal(t, 1, proxy.Count(faultproxy.Answer(recent)), "estimate cached")

	// A blockhash the cluster refuses: the move is re-signed, 50% dearer.
	cur, err := cache.Get(ctx)
	require.NoError(t, err)
	proxy.Queue("getLatestBlockhash", faultproxy.RewriteBlockhash(solana.Hash{0xba, 0xd}, 0))
	bad, err := cache.Refresh(ctx, cur.Hash)
	require.NoError(t, err)
	require.Equal(t, solana.Hash{0xba, 0xd}, bad.Hash)
	before = e.balance(sess.SessionSigner())
	res, err = sess.Send(ctx, move)
	require.NoError(t, err)
	require.Equal(t, 2, res.Signings)
	onChain, metaFee = landedFees(t, e, res.Signature)
	require.Equal(t, uint64(300), onChain.UnitPrice)
	require.Equal(t, res.Fees, onChain)
	require.Equal(t, uint64(420), onChain.Priority)
	requireMetaFee(t, onChain, metaFee)
	require.Equal(t, before-onChain.Total(), e.balance(sess.SessionSigner()))
	require.Equal(t, uint64(3), e.playerState(player).Moves)
}

// The session guard's cap bounds what a session key pays, whatever the estimate says.
func TestPriorityFeeWithinTheGuardCap(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dear := json.RawMessage(`[{"slot":1,"prioritizationFee":90000}]`)
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "getRecentPrioritizationFees" {
			return faultproxy.Answer(dear)
		}
		return faultproxy.Pass
	})
	e := newEnvWith(t, ctx, net, sender.NewRPCClient(proxy.URL(), nil),
		sender.WithPriorityFees(sender.FeePolicy{Ceiling: 100_000}))
	e.m.unitPriceCap = 50
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	res, err := sess.Send(ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.NoError(t, err)
	onChain, metaFee := landedFees(t, e, res.Signature)
	require.Equal(t, uint64(50), onChain.UnitPrice)
	require.Equal(t, uint64(70), onChain.Priority)
	requireMetaFee(t, onChain, metaFee)
}

// requireMetaFee checks a confirmed transaction's meta.fee against the fees computed
// from its message: the total on a node that reports priority fees, the base on the
// embedded runtime, which leaves them out of meta while charging them.
func requireMetaFee(t *testing.T, f sender.Fees, metaFee uint64) {
	t.Helper()
	if metaFee != f.Total() {
		require.Equal(t, f.Base, metaFee, "meta.fee is neither the total %d nor the base", f.Total())
	}
}

// Create, move (own fee and sponsored) and revoke report the fees each party paid,
// computed from the landed message, and the balances agree to the lamport.
func TestExactFees(t *testing.T) {
	net := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	recent := json.RawMessage(`[{"slot":1,"prioritizationFee":700}]`)
	proxy := faultproxy.New(t, net.RPCURL(), func(c faultproxy.Call) faultproxy.Fault {
		if c.Method == "getRecentPrioritizationFees" {
			return faultproxy.Answer(recent)
		}
		return faultproxy.Pass
	})
	e := newEnvWith(t, ctx, net, sender.NewRPCClient(proxy.URL(), nil), sender.WithPriorityFees(sender.FeePolicy{}))
	authority := e.funded(1_000_000_000)
	player := e.player(e.game, authority)
	sponsorKey := e.funded(100_000_000)
	sponsor := keyFrom(t, sponsorKey)

	before := e.balance(authority.PublicKey())
	sess, err := e.m.Create(ctx, authority, CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 5_000_000, ValidFor: time.Hour})
	require.NoError(t, err)
	created := sess.CreateFees()
	require.Equal(t, sender.Fees{Payer: authority.PublicKey(), Signatures: 2, Base: 10_000, UnitLimit: 200_000}, created)
	require.Equal(t, before-e.rentV1-5_000_000-created.Total(), e.balance(authority.PublicKey()))

	move := []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)}
	signerBefore := e.balance(sess.SessionSigner())
	res, err := sess.Send(ctx, move)
	require.NoError(t, err)
	require.Equal(t, sender.Fees{Payer: sess.SessionSigner(), Signatures: 1, Base: 5_000, UnitPrice: 700,
		UnitLimit: sender.MaxUnitLimit, Priority: 980}, res.Fees)
	require.Equal(t, signerBefore-res.Fees.Total(), e.balance(sess.SessionSigner()))

	// A sponsored move: the sponsor pays both signatures and the priority fee, the
	// session signer nothing.
	sponsorBefore, signerBefore := e.balance(sponsorKey.PublicKey()), e.balance(sess.SessionSigner())
	res, err = sess.SendWith(ctx, move, MoveParams{Payer: sponsor})
	require.NoError(t, err)
	require.Equal(t, sender.Fees{Payer: sponsorKey.PublicKey(), Signatures: 2, Base: 10_000, UnitPrice: 700,
		UnitLimit: sender.MaxUnitLimit, Priority: 980}, res.Fees)
	require.Equal(t, sponsorBefore-res.Fees.Total(), e.balance(sponsorKey.PublicKey()))
	require.Equal(t, signerBefore, e.balance(sess.SessionSigner()))

	signerBefore, before = e.balance(sess.SessionSigner()), e.balance(authority.PublicKey())
	rv, err := e.m.Revoke(ctx, sess, RevokeParams{})
	require.NoError(t, err)
	require.Equal(t, sender.Fees{Payer: sess.SessionSigner(), Signatures: 1, Base: 5_000, UnitLimit: 400_000}, rv.Fees) // revoke and sweep
	require.Equal(t, rv.Fee, rv.Fees.Total())
	require.Equal(t, signerBefore-rv.Fees.Total(), rv.Swept)
	require.Equal(t, before+e.rentV1+rv.Swept, e.balance(authority.PublicKey()))
}

// withoutFees checks that a revoke's Fees account for its Fee exactly and returns the
// result without them, for comparing the rest.
func withoutFees(t *testing.T, res *RevokeResult) RevokeResult {
	t.Helper()
	require.Equal(t, res.Fee, res.Fees.Total())
	require.Equal(t, res.Fee, res.Fees.Base, "a revoke pays no priority fee")
	out := *res
	out.Fees = sender.Fees{}
	return out
}
