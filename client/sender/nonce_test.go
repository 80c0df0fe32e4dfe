package sender_test

import (
	"context"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/nonce"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/localnet/localnettest"
)

// A nonce transaction lands once; the same bytes again are found, not applied again;
// one signed on a nonce that has moved on is reported as such, without waiting for any
// block height.
func TestDurableNonceSendSigned(t *testing.T) {
	n := localnettest.ForTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s := newSender(t, n.RPCURL())
	payer := fundPayers(t, n, 1)[0]
	key, err := txn.SessionKeyFromPrivateKey(payer)
	require.NoError(t, err)
	account, err := txn.GenerateSessionKey(nil)
	require.NoError(t, err)
	rent, err := n.RPC().GetMinimumBalanceForRentExemption(ctx, nonce.Size, rpc.CommitmentConfirmed)
	require.NoError(t, err)
	_, err = s.Send(ctx, func(h solana.Hash) ([]byte, error) {
		msg, err := txn.CompileLegacy(key.PublicKey(), h, nonce.NewCreate(key.PublicKey(), account.PublicKey(), key.PublicKey(), rent)...)
		if err != nil {
			return nil, err
		}
		return msg.Sign(key, account)
	})
	require.NoError(t, err)
	read := func() solana.Hash {
		res, err := n.RPC().GetAccountInfoWithOpts(ctx, account.PublicKey(), &rpc.GetAccountInfoOpts{Commitment: rpc.CommitmentConfirmed})
		require.NoError(t, err)
		a, err := nonce.Decode(res.Value.Data.GetBinary())
		require.NoError(t, err)
		require.Equal(t, key.PublicKey(), a.Authority)
		return a.Nonce
	}
	signed := func(value solana.Hash, to solana.PublicKey, lamports uint64) *solana.Transaction {
		msg, err := txn.CompileLegacy(key.PublicKey(), value, nonce.NewAdvance(account.PublicKey(), key.PublicKey()),
			system.NewTransferInstruction(lamports, key.PublicKey(), to).Build())
		require.NoError(t, err)
		wire, err := msg.Sign(key)
		require.NoError(t, err)
		tx, err := solana.TransactionFromBytes(wire)
		require.NoError(t, err)
		return tx
	}
	params := sender.NonceParams{Account: account.PublicKey()}
	balance := func(pk solana.PublicKey) uint64 {
		res, err := n.RPC().GetBalance(ctx, pk, rpc.CommitmentConfirmed)
		require.NoError(t, err)
		return res.Value
	}

	first := read()
	to := solana.NewWallet().PublicKey()
	tx := signed(first, to, baseAmount)
	res, err := s.SendSignedNonce(ctx, tx, params)
	require.NoError(t, err)
	require.Equal(t, tx.Signatures[0], res.Signature)
	require.Equal(t, 1, res.Signings)
	require.NotEqual(t, first, read(), "landing advanced the nonce")
	require.Equal(t, uint64(baseAmount), balance(to))

	again, err := s.SendSignedNonce(ctx, tx, params)
	require.NoError(t, err)
	require.Equal(t, res.Signature, again.Signature)
	require.Equal(t, uint64(baseAmount), balance(to), "applied once")

	stale := signed(first, to, baseAmount+1) // another transaction on the nonce that was used
	_, err = s.SendSignedNonce(ctx, stale, params)
	require.ErrorIs(t, err, sender.ErrNonceAdvanced)
	var se *sender.SendError
	require.ErrorAs(t, err, &se)
	require.Equal(t, []solana.Signature{stale.Signatures[0]}, se.Signatures)
	require.Equal(t, uint64(baseAmount), balance(to))

	_, err = s.SendSignedNonce(ctx, nil, params)
	require.ErrorIs(t, err, sender.ErrInvalidTransaction)
}
