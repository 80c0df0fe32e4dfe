package session

import (
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/nonce"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/program/examplegame"
)

// pastBlockHeight makes blocks (one per transaction here) until the cluster's block
// height is past height: a blockhash valid until height has expired.
func (e *env) pastBlockHeight(height uint64) {
	sink := solana.NewWallet().PublicKey()
	amount := uint64(1_000_000)
	for {
		h, err := e.rpc.GetBlockHeight(e.ctx, rpc.CommitmentConfirmed)
		require.NoError(e.t, err)
		if h > height {
			return
		}
		var wg sync.WaitGroup
		for range 20 {
			amount++ // distinct transfers, or the cluster would see one transaction
			lamports := amount
			wg.Go(func() { require.NoError(e.t, e.net.Fund(e.ctx, sink, lamports)) })
		}
		wg.Wait()
	}
}

// signatures counts the transactions that touched address, as the chain lists them.
func (e *env) signatures(address solana.PublicKey) int {
	sigs, err := e.rpc.GetSignaturesForAddressWithOpts(e.ctx, address, &rpc.GetSignaturesForAddressOpts{Commitment: rpc.CommitmentConfirmed})
	require.NoError(e.t, err)
	return len(sigs)
}

// A wallet that signs after any blockhash of the time of preparing has expired still
// lands its create, once, on a durable nonce; the nonce account is reused for the revoke,
// and a revoke whose nonce another transaction advanced first cannot land.
func TestDurableNonceWalletSignsLate(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(1_000_000_000)
	backend := keyFrom(t, e.funded(1_000_000_000))
	player := e.player(e.game, wallet)
	pool, err := e.m.NewNoncePool(backend)
	require.NoError(t, err)
	n, err := pool.Acquire(e.ctx)
	require.NoError(t, err)
	require.Equal(t, []solana.PublicKey{n.Account}, pool.Accounts())

	start := e.balance(wallet.PublicKey())
	bh, err := e.m.blockhash(e.ctx) // what a blockhash transaction would have been signed on
	require.NoError(t, err)
	pending, err := e.m.PrepareCreate(e.ctx, wallet.PublicKey(), CreateParams{Kind: KindV1, TargetProgram: gameID, TopUp: 3_000_000, ValidFor: time.Hour, Nonce: n})
	require.NoError(t, err)
	require.Zero(t, pending.LastValidBlockHeight())
	tx := pending.Transaction()
	require.Equal(t, n.Value, tx.Message.RecentBlockhash)
	require.True(t, nonce.NewAdvance(n.Account, backend.PublicKey()).ProgramID() == tx.Message.AccountKeys[tx.Message.Instructions[0].ProgramIDIndex])

	e.pastBlockHeight(bh.LastValidBlockHeight) // the player goes for coffee
	signed := walletSign(t, pending.Bytes(), wallet)
	_, err = e.m.SubmitSigned(e.ctx, pending, signed)
	require.NoError(t, err)
	sess := pending.Session()
	require.True(t, e.exists(sess.Token()))
	require.Equal(t, 1, e.signatures(sess.Token()), "the create landed once")
	require.Equal(t, 2, e.signatures(n.Account), "the nonce's creation and the create")
	// The wallet paid for three signatures: its own, the ephemeral key's and the nonce
	// authority's.
	require.Equal(t, start-e.rentV1-3_000_000-3*fee, e.balance(wallet.PublicKey()))
	_, err = sess.Send(e.ctx, []solana.Instruction{e.game.Move(player, sess.SessionSigner(), sess.Token(), examplegame.Up)})
	require.NoError(t, err)

	// The same signed bytes again: the nonce has advanced, so they cannot land twice.
	again, err := solana.TransactionFromBytes(signed)
	require.NoError(t, err)
	res, err := e.snd.SendSignedNonce(e.ctx, again, sender.NonceParams{Account: n.Account})
	require.NoError(t, err, "the landed transaction is found, not sent anew")
	require.Equal(t, again.Signatures[0], res.Signature)
	require.Equal(t, 2, e.signatures(sess.Token()), "the create and the move")
	require.Equal(t, 2, e.signatures(n.Account))
	require.Equal(t, start-e.rentV1-3_000_000-3*fee, e.balance(wallet.PublicKey()))

	// The pool reuses the account, on its new nonce, for the revoke.
	n2, err := pool.Acquire(e.ctx)
	require.NoError(t, err)
	require.Equal(t, n.Account, n2.Account)
	require.NotEqual(t, n.Value, n2.Value)
	revoke, err := e.m.PrepareRevoke(e.ctx, sess, RevokeParams{Nonce: n2})
	require.NoError(t, err)
	signedRevoke := walletSign(t, revoke.Bytes(), wallet)
	// Before the wallet's answer arrives, the backend gives up on it: releasing the nonce
	// advances it, so the signature the wallet holds is void.
	require.NoError(t, pool.Release(e.ctx, n2))
	_, err = e.m.SubmitSigned(e.ctx, revoke, signedRevoke)
	require.ErrorIs(t, err, sender.ErrNonceAdvanced)
	require.True(t, e.exists(sess.Token()), "the void revoke did not land")

	n3, err := pool.Acquire(e.ctx)
	require.NoError(t, err)
	revoke, err = e.m.PrepareRevoke(e.ctx, sess, RevokeParams{Nonce: n3})
	require.NoError(t, err)
	e.pastBlockHeight(bh.LastValidBlockHeight + 150)
	_, err = e.m.SubmitSigned(e.ctx, revoke, walletSign(t, revoke.Bytes(), wallet))
	require.NoError(t, err)
	require.True(t, sess.Revoked())
	require.False(t, e.exists(sess.Token()))
	require.False(t, e.exists(sess.SessionSigner()), "swept")

	// Closing the pool returns the nonce account's rent to the backend.
	before := e.balance(backend.PublicKey())
	rent := e.balance(n.Account)
	require.NoError(t, pool.Close(e.ctx))
	require.False(t, e.exists(n.Account))
	require.Equal(t, before+rent-fee, e.balance(backend.PublicKey()))
}

func TestDurableNonceParams(t *testing.T) {
	e := newEnv(t)
	wallet := e.funded(100_000_000)
	backend := keyFrom(t, e.funded(100_000_000))
	pool, err := e.m.NewNoncePool(backend)
	require.NoError(t, err)
	n, err := pool.Acquire(e.ctx)
	require.NoError(t, err)
	_, err = e.m.Create(e.ctx, wallet, CreateParams{Kind: KindV1, TargetProgram: gameID, Unfunded: true, Nonce: n})
	require.ErrorIs(t, err, ErrBadParams)
	require.ErrorIs(t, pool.Close(e.ctx), ErrNonceInUse)
	other, err := NewManager(e.rpc, e.snd).NewNoncePool(backend)
	require.NoError(t, err)
	require.ErrorIs(t, other.Release(e.ctx, n), ErrNonceInUse)
	_, err = e.m.NewNoncePool(nil)
	require.ErrorIs(t, err, ErrBadParams)
	require.NoError(t, pool.Release(e.ctx, n))
	require.NoError(t, pool.Release(e.ctx, n), "twice is a no-op")
	require.NoError(t, pool.Close(e.ctx))
	require.False(t, e.exists(n.Account))
}
