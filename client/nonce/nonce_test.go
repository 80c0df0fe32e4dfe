package nonce

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"
)

func key(name string) solana.PublicKey { return sha256.Sum256([]byte("nonce test " + name)) }

// same requires ours to be solana-go's instruction: program, data and metas.
func same(t *testing.T, ours, theirs solana.Instruction) {
	t.Helper()
	require.Equal(t, theirs.ProgramID(), ours.ProgramID())
	d1, err := ours.Data()
	require.NoError(t, err)
	d2, err := theirs.Data()
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(d2), hex.EncodeToString(d1))
	require.Equal(t, solana.AccountMetaSlice(theirs.Accounts()), solana.AccountMetaSlice(ours.Accounts()))
}

func TestInstructionsMatchSolanaGo(t *testing.T) {
	payer, acct, auth, to := key("payer"), key("account"), key("authority"), key("to")
	create := NewCreate(payer, acct, auth, 1_447_680)
	require.Len(t, create, 2)
	same(t, create[0], system.NewCreateAccountInstruction(1_447_680, Size, solana.SystemProgramID, payer, acct).Build())
	same(t, create[1], system.NewInitializeNonceAccountInstruction(auth, acct, solana.SysVarRecentBlockHashesPubkey, solana.SysVarRentPubkey).Build())
	same(t, NewAdvance(acct, auth), system.NewAdvanceNonceAccountInstruction(acct, solana.SysVarRecentBlockHashesPubkey, auth).Build())
	same(t, NewWithdraw(acct, auth, to, 42), system.NewWithdrawNonceAccountInstruction(42, acct, to, solana.SysVarRecentBlockHashesPubkey, solana.SysVarRentPubkey, auth).Build())
	same(t, NewAuthorize(acct, auth, to), system.NewAuthorizeNonceAccountInstruction(to, acct, auth).Build())
}

func TestDecode(t *testing.T) {
	auth, h := key("authority"), solana.Hash(key("nonce"))
	// The current version's layout spelled out: version, state, authority, nonce, fee rate.
	raw := "01000000" + "01000000" + hex.EncodeToString(auth[:]) + hex.EncodeToString(h[:]) + "8813000000000000"
	b, err := hex.DecodeString(raw)
	require.NoError(t, err)
	a, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, &Account{Authority: auth, Nonce: h, LamportsPerSignature: 5000}, a)
	again, err := a.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, b, again)

	legacy := append([]byte{0, 0, 0, 0}, b[4:]...)
	a, err = Decode(legacy)
	require.NoError(t, err)
	require.Equal(t, h, a.Nonce)

	for name, bad := range map[string][]byte{
		"short":         b[:79],
		"long":          append(b[:80:80], 0),
		"uninitialized": append([]byte{1, 0, 0, 0, 0, 0, 0, 0}, b[8:]...),
		"version 2":     append([]byte{2, 0, 0, 0}, b[4:]...),
	} {
		_, err := Decode(bad)
		require.ErrorIs(t, err, ErrInvalidAccount, name)
	}
}

func FuzzDecode(f *testing.F) {
	seed, _ := (&Account{Authority: key("a"), Nonce: solana.Hash{1}, LamportsPerSignature: 5000}).MarshalBinary()
	f.Add(seed)
	f.Add(seed[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidAccount)
			return
		}
		again, err := a.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, b[4:], again[4:], "everything but the version round-trips")
	})
}
