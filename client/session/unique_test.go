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
		tx, err := build(bh)
		require.NoError(t, err)
		require.False(t, seen[tx.Signatures[0]], "move %d repeats an earlier transaction", n)
		seen[tx.Signatures[0]] = true
		again, err := build(bh)
		require.NoError(t, err)
		require.Same(t, tx, again, "one action asking twice for one blockhash gets one transaction")

		if n == 0 {
			require.Len(t, tx.Message.Instructions, 1, "the first move is sent as is")
			continue
		}
		require.Len(t, tx.Message.Instructions, 2)
		cu := tx.Message.Instructions[1]
		require.Equal(t, solana.ComputeBudget, tx.Message.AccountKeys[cu.ProgramIDIndex])
		require.Equal(t, byte(2), cu.Data[0])
		require.Equal(t, uint32(maxComputeUnits-n), binary.LittleEndian.Uint32(cu.Data[1:]))
	}

	// Another blockhash makes the plain move new again.
	tx, err := s.mover(t.Context(), ixs, &wrapConfig{})(solana.Hash{5})
	require.NoError(t, err)
	require.Len(t, tx.Message.Instructions, 1)

	// Instructions with their own compute budget cannot be varied without changing the fee.
	withBudget := append([]solana.Instruction{solana.NewInstruction(solana.ComputeBudget, nil, []byte{3, 1, 0, 0, 0, 0, 0, 0, 0})}, ixs...)
	_, err = s.mover(t.Context(), withBudget, &wrapConfig{})(bh)
	require.NoError(t, err)
	_, err = s.mover(t.Context(), withBudget, &wrapConfig{})(bh)
	require.ErrorIs(t, err, ErrDuplicate)
}

func TestRecentSigsForget(t *testing.T) {
	var r recentSigs
	t0 := time.Unix(0, 0)
	require.True(t, r.claim(solana.Signature{1}, t0))
	require.False(t, r.claim(solana.Signature{1}, t0))
	for i := range 1023 {
		var sig solana.Signature
		binary.LittleEndian.PutUint32(sig[8:], uint32(i))
		require.True(t, r.claim(sig, t0.Add(seenTTL+time.Second)))
	}
	// The 1024th claim pruned everything older than seenTTL, including signature {1}.
	require.True(t, r.claim(solana.Signature{1}, t0.Add(seenTTL+time.Second)))
}
