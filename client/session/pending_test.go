package session

import (
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"
)

// walletPending prepares a transaction in which the ephemeral key has signed and wallet
// must still sign, shaped like create_session_with_payer: ephemeral signer, wallet.
func walletPending(t *testing.T, s *Session, wallet solana.PublicKey) *Pending {
	t.Helper()
	ix := solana.NewInstruction(s.target, solana.AccountMetaSlice{
		solana.Meta(s.token).WRITE(),
		solana.Meta(s.signer).WRITE().SIGNER(),
		solana.Meta(wallet).WRITE().SIGNER(),
	}, []byte{1, 1, 0, 0})
	tx, err := solana.NewTransaction([]solana.Instruction{ix}, solana.Hash{5}, solana.TransactionPayer(wallet))
	require.NoError(t, err)
	msg, err := tx.Message.MarshalBinary()
	require.NoError(t, err)
	tx.Signatures = make([]solana.Signature, 2)
	require.Equal(t, s.signer, tx.Message.AccountKeys[1])
	tx.Signatures[1] = s.key.Sign(msg)
	wire, err := tx.MarshalBinary()
	require.NoError(t, err)
	p, err := newPending(wire, wallet, 100, s, nil)
	require.NoError(t, err)
	return p
}

// walletSign does what a wallet adapter does: decode, sign the message, re-encode.
func walletSign(t *testing.T, wire []byte, wallet solana.PrivateKey) []byte {
	t.Helper()
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	_, err = tx.PartialSign(func(pk solana.PublicKey) *solana.PrivateKey {
		if pk == wallet.PublicKey() {
			return &wallet
		}
		return nil
	})
	require.NoError(t, err)
	out, err := tx.MarshalBinary()
	require.NoError(t, err)
	return out
}

func TestPendingVerify(t *testing.T) {
	s := testSession(t, nil, 0)
	wallet := solana.NewWallet().PrivateKey
	p := walletPending(t, s, wallet.PublicKey())
	require.Equal(t, wallet.PublicKey(), p.Wallet())
	require.Equal(t, p.Bytes(), mustWire(t, p.Transaction()))
	require.True(t, p.Transaction().Signatures[0].IsZero())

	good := walletSign(t, p.Bytes(), wallet)

	tests := []struct {
		name   string
		signed func() []byte
		reason string
	}{
		{name: "wallet signed", signed: func() []byte { return good }},
		{name: "unsigned", signed: p.Bytes, reason: "signature of " + wallet.PublicKey().String() + " does not verify"},
		{name: "other wallet", signed: func() []byte { return walletSign(t, p.Bytes(), solana.NewWallet().PrivateKey) }, reason: "does not verify"},
		{name: "instruction data changed and re-signed", signed: func() []byte {
			tx := p.Transaction()
			tx.Message.Instructions[0].Data[2] = 9
			return walletSign(t, mustWire(t, tx), wallet)
		}, reason: "message bytes differ"},
		{name: "instruction appended and re-signed", signed: func() []byte {
			tx := p.Transaction()
			extra, err := solana.NewTransaction([]solana.Instruction{
				system.NewTransferInstruction(1, wallet.PublicKey(), s.signer).Build(),
			}, tx.Message.RecentBlockhash, solana.TransactionPayer(wallet.PublicKey()))
			require.NoError(t, err)
			tx.Message.Instructions = append(tx.Message.Instructions, extra.Message.Instructions...)
			return walletSign(t, mustWire(t, tx), wallet)
		}, reason: "message bytes differ"},
		{name: "payer swapped", signed: func() []byte {
			tx := p.Transaction()
			other := solana.NewWallet().PrivateKey
			tx.Message.AccountKeys[0] = other.PublicKey()
			return walletSign(t, mustWire(t, tx), other)
		}, reason: "message bytes differ"},
		{name: "ephemeral signature replaced", signed: func() []byte {
			b := append([]byte(nil), good...)
			b[1+64+3] ^= 1
			return b
		}, reason: "signature of " + s.signer.String() + " replaced"},
		{name: "trailing bytes", signed: func() []byte { return append(append([]byte(nil), good...), 0) }, reason: "message bytes differ"},
		{name: "truncated", signed: func() []byte { return good[:100] }, reason: "want 2 signatures"},
		{name: "one signature dropped", signed: func() []byte {
			return append([]byte{1}, good[1+64:]...)
		}, reason: "want 2 signatures"},
		{name: "empty", signed: func() []byte { return nil }, reason: "want 2 signatures"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := p.verify(tc.signed())
			if tc.reason == "" {
				require.NoError(t, err)
				require.NoError(t, tx.VerifySignatures())
				return
			}
			require.ErrorIs(t, err, ErrTampered)
			require.Contains(t, err.Error(), tc.reason)
		})
	}
}

func TestShortVec(t *testing.T) {
	for _, tc := range []struct {
		in      []byte
		n, size int
		ok      bool
	}{
		{[]byte{0}, 0, 1, true},
		{[]byte{2, 9}, 2, 1, true},
		{[]byte{0x80, 0x01}, 128, 2, true},
		{[]byte{0xff, 0xff, 0x03}, 65535, 3, true},
		{[]byte{0x80}, 0, 0, false},
		{[]byte{0x80, 0x80, 0x80, 0x01}, 0, 0, false},
	} {
		n, size, ok := shortVec(tc.in)
		require.Equal(t, []any{tc.n, tc.size, tc.ok}, []any{n, size, ok}, "%x", tc.in)
	}
}

func mustWire(t *testing.T, tx *solana.Transaction) []byte {
	t.Helper()
	b, err := tx.MarshalBinary()
	require.NoError(t, err)
	return b
}
