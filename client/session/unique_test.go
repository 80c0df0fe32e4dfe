package session

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

func TestRepeatedMovesStayDistinct(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	s := testSession(t, offlineManager(fc, time.Hour), 2_000)
	ixs := []solana.Instruction{moveIx(s, solana.PublicKey{9})}
	bh := solana.Hash{4}

	seen := map[solana.Signature]bool{}
	for n := range 4 {
		build := s.mover(t.Context(), ixs, &wrapConfig{})
		wire, err := build(bh)
		require.NoError(t, err)
		tx, err := solana.TransactionFromBytes(wire)
		require.NoError(t, err)
		require.False(t, seen[tx.Signatures[0]], "move %d repeats an earlier transaction", n)
		seen[tx.Signatures[0]] = true
		again, err := build(bh)
		require.NoError(t, err)
		require.True(t, &wire[0] == &again[0], "one action asking twice for one blockhash gets one transaction")

		require.Len(t, tx.Message.Instructions, 2, "every move carries the salted limit")
		cu := tx.Message.Instructions[1]
		require.Equal(t, solana.ComputeBudget, tx.Message.AccountKeys[cu.ProgramIDIndex])
		require.Equal(t, byte(2), cu.Data[0])
		require.Equal(t, uint32(maxComputeUnits)+s.salt<<16+uint32(n), binary.LittleEndian.Uint32(cu.Data[1:]))
	}

	// Another blockhash makes variant 0 new again.
	wire, err := s.mover(t.Context(), ixs, &wrapConfig{})(solana.Hash{5})
	require.NoError(t, err)
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	require.Equal(t, uint32(maxComputeUnits)+s.salt<<16, binary.LittleEndian.Uint32(tx.Message.Instructions[1].Data[1:]))

	// Instructions with their own compute budget cannot be varied without changing the fee.
	withBudget := append([]solana.Instruction{solana.NewInstruction(solana.ComputeBudget, nil, []byte{3, 1, 0, 0, 0, 0, 0, 0, 0})}, ixs...)
	_, err = s.mover(t.Context(), withBudget, &wrapConfig{})(bh)
	require.NoError(t, err)
	_, err = s.mover(t.Context(), withBudget, &wrapConfig{})(bh)
	require.ErrorIs(t, err, ErrDuplicate)
}

// Two Sessions restored from one key (two processes, say) sign the same move into
// different transactions, so both land instead of one being lost.
func TestSessionsOfOneKeyNeverCollide(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	a := testSession(t, offlineManager(fc, time.Hour), 2_000)
	b := &Session{token: a.token, signer: a.signer, authority: a.authority, target: a.target,
		feePayer: a.feePayer, version: a.version, validUntil: a.validUntil, key: a.key, mgr: a.mgr, salt: a.salt ^ 1}
	ixs := []solana.Instruction{moveIx(a, solana.PublicKey{9})}
	wa, err := a.mover(t.Context(), ixs, &wrapConfig{})(solana.Hash{4})
	require.NoError(t, err)
	wb, err := b.mover(t.Context(), ixs, &wrapConfig{})(solana.Hash{4})
	require.NoError(t, err)
	require.NotEqual(t, wa[1:65], wb[1:65])
}

func TestSaltFitsTheLimit(t *testing.T) {
	for range 1000 {
		s := newSalt()
		require.Less(t, s, uint32(1<<15))
		_, err := distinct(nil, nil, s, maxVariants-1, nil)
		require.NoError(t, err)
	}
	_, err := distinct(nil, nil, 0, maxVariants, nil)
	require.ErrorIs(t, err, ErrDuplicate)
}

func TestRecentSigsForget(t *testing.T) {
	var r recentSigs
	t0 := time.Unix(0, 0)
	require.True(t, r.claim(solana.Signature{1}, t0))
	require.False(t, r.claim(solana.Signature{1}, t0))
	// A signature is remembered for seenTTL at least, across a generation change, even
	// by the claim that makes the change.
	require.True(t, r.claim(solana.Signature{2}, t0.Add(seenTTL)))
	require.False(t, r.claim(solana.Signature{1}, t0.Add(seenTTL+time.Second)))
	require.True(t, r.claim(solana.Signature{3}, t0.Add(seenTTL+time.Second)))
	require.False(t, r.claim(solana.Signature{2}, t0.Add(2*seenTTL)))
	require.False(t, r.claim(solana.Signature{3}, t0.Add(2*seenTTL+time.Second)))
	// The next generation change drops the claims of the one before.
	require.True(t, r.claim(solana.Signature{4}, t0.Add(2*seenTTL+2*time.Second)))
	require.True(t, r.claim(solana.Signature{1}, t0.Add(2*seenTTL+2*time.Second)))
	require.True(t, r.claim(solana.Signature{2}, t0.Add(2*seenTTL+2*time.Second)))
	require.False(t, r.claim(solana.Signature{3}, t0.Add(2*seenTTL+2*time.Second)))
}
