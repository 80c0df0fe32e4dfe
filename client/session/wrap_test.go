package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/stretchr/testify/require"
)

func TestWrapChecksInstructions(t *testing.T) {
	s := testSession(t, nil, 0)
	player := solana.NewWallet().PublicKey()
	other := solana.NewWallet().PublicKey()
	meta := func(pk solana.PublicKey) *solana.AccountMeta { return solana.Meta(pk) }
	ix := func(program solana.PublicKey, metas ...*solana.AccountMeta) solana.Instruction {
		return solana.NewInstruction(program, metas, []byte{7})
	}
	transfer := system.NewTransferInstruction(1, other, s.signer).Build()

	tests := []struct {
		name    string
		ixs     []solana.Instruction
		params  MoveParams
		wantErr error
		index   int
		program solana.PublicKey
	}{
		{name: "move", ixs: []solana.Instruction{moveIx(s, player)}},
		{name: "two moves", ixs: []solana.Instruction{moveIx(s, player), moveIx(s, other)}},
		{name: "a transfer into the signer names it too", ixs: []solana.Instruction{moveIx(s, player), transfer}, params: MoveParams{Signers: []*txn.SessionKey{newKey(t)}}, wantErr: guard.ErrForeignProgram, index: 1, program: solana.SystemProgramID},
		{name: "no signer", ixs: []solana.Instruction{ix(s.target, meta(player).WRITE(), meta(s.token))}, wantErr: ErrMissingSigner, index: 0, program: s.target},
		{name: "signer not signing", ixs: []solana.Instruction{moveIx(s, player), ix(s.target, meta(s.signer), meta(s.token))}, wantErr: ErrMissingSigner, index: 1, program: s.target},
		{name: "no token", ixs: []solana.Instruction{moveIx(s, player), ix(s.target, meta(s.signer).SIGNER(), meta(s.target))}, wantErr: ErrMissingToken, index: 1, program: s.target},
		{name: "signer for another program", ixs: []solana.Instruction{ix(other, meta(s.signer).SIGNER().WRITE(), meta(s.token))}, wantErr: guard.ErrForeignProgram, index: 0, program: other},
		{name: "signer named, unflagged, by another program", ixs: []solana.Instruction{ix(other, meta(player).WRITE(), meta(s.signer))}, wantErr: guard.ErrForeignProgram, index: 0, program: other},
		{name: "system transfer out of the signer", ixs: []solana.Instruction{moveIx(s, player), system.NewTransferInstruction(1, s.signer, other).Build()}, wantErr: guard.ErrForeignProgram, index: 1, program: solana.SystemProgramID},
		{name: "system transfer out of the signer, unflagged", ixs: []solana.Instruction{moveIx(s, player), ix(solana.SystemProgramID, meta(s.signer).WRITE(), meta(other).WRITE())}, wantErr: guard.ErrForeignProgram, index: 1, program: solana.SystemProgramID},
		{name: "unit price over the cap", ixs: []solana.Instruction{moveIx(s, player), computeUnitPrice(guard.DefaultMaxUnitPrice + 1)}, wantErr: guard.ErrComputeBudget, index: 1, program: solana.ComputeBudget},
		{name: "unit price within the cap", ixs: []solana.Instruction{moveIx(s, player), computeUnitPrice(guard.DefaultMaxUnitPrice)}},
		{name: "another authority", ixs: []solana.Instruction{moveIx(s, player)}, params: MoveParams{Authority: other}, wantErr: ErrWrongAuthority, index: -1},
		{name: "same authority", ixs: []solana.Instruction{moveIx(s, player)}, params: MoveParams{Authority: s.authority}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := s.Wrap(context.Background(), solana.Hash{1}, tc.ixs, tc.params)
			if tc.wantErr == nil {
				require.NoError(t, err)
				require.NoError(t, tx.VerifySignatures())
				require.Equal(t, s.signer, tx.Message.AccountKeys[0])
				require.Equal(t, uint8(1), tx.Message.Header.NumRequiredSignatures)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			require.Nil(t, tx)
			var ie *guard.RefusedError
			if tc.index < 0 || !errors.As(err, &ie) {
				require.Negative(t, tc.index, "want an InstructionError, got %v", err)
				return
			}
			require.Equal(t, tc.index, ie.Index)
			require.Equal(t, tc.program, ie.Program)
			require.Contains(t, err.Error(), tc.program.String())
		})
	}
}

func TestWrapSigners(t *testing.T) {
	s := testSession(t, nil, 0)
	payer := newKey(t)
	fresh := newKey(t)
	newAcct := solana.NewInstruction(s.target, solana.AccountMetaSlice{
		solana.Meta(fresh.PublicKey()).WRITE().SIGNER(),
		solana.Meta(s.signer).SIGNER(),
		solana.Meta(s.token),
	}, []byte{9})

	tx, err := s.Wrap(context.Background(), solana.Hash{2}, []solana.Instruction{newAcct}, MoveParams{Payer: payer, Signers: []*txn.SessionKey{fresh}})
	require.NoError(t, err)
	require.NoError(t, tx.VerifySignatures())
	require.Equal(t, uint8(3), tx.Message.Header.NumRequiredSignatures)
	require.Equal(t, payer.PublicKey(), tx.Message.AccountKeys[0])

	_, err = s.Wrap(context.Background(), solana.Hash{2}, []solana.Instruction{newAcct}, MoveParams{Payer: payer})
	require.ErrorIs(t, err, ErrMissingKey)
	require.Contains(t, err.Error(), fresh.PublicKey().String())
}

func TestWrapLeavesInstructionsUntouched(t *testing.T) {
	s := testSession(t, nil, 0)
	// The signer appears read-only here; as fee payer the transaction makes it writable,
	// which solana.NewTransaction would write back into this meta.
	ix := moveIx(s, solana.NewWallet().PublicKey())
	before := *ix.Accounts()[1]
	_, err := s.Wrap(context.Background(), solana.Hash{3}, []solana.Instruction{ix}, MoveParams{})
	require.NoError(t, err)
	require.Equal(t, before, *ix.Accounts()[1])
}

func TestWrapRefusals(t *testing.T) {
	fc := &fakeClock{}
	fc.unix.Store(1_000)
	m := offlineManager(fc, time.Hour)
	ctx := context.Background()

	live := testSession(t, m, 1_001)
	tx, err := live.Wrap(ctx, solana.Hash{}, []solana.Instruction{moveIx(live, solana.PublicKey{})}, MoveParams{})
	require.NoError(t, err)
	require.NotNil(t, tx)

	expired := testSession(t, m, 1_000)
	_, err = expired.Wrap(ctx, solana.Hash{}, []solana.Instruction{moveIx(expired, solana.PublicKey{})}, MoveParams{})
	require.ErrorIs(t, err, client.ErrExpired)

	revoked := testSession(t, m, 5_000)
	revoked.state.Store(stateRevoked)
	_, err = revoked.Wrap(ctx, solana.Hash{}, []solana.Instruction{moveIx(revoked, solana.PublicKey{})}, MoveParams{})
	require.ErrorIs(t, err, ErrRevoked)
	require.True(t, revoked.Revoked())
}

func TestSessionPrintsNoKey(t *testing.T) {
	s := testSession(t, nil, 1_700_000_000)
	seed := s.key.Seed()
	secrets := []string{
		s.key.PrivateKey().String(),
		fmt.Sprintf("%x", seed[:8]),
		fmt.Sprintf("%v", seed[:8]),
		fmt.Sprintf("%d", seed[:8]),
	}
	snap := s.Snapshot()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		for _, v := range []any{s, snap, &snap, snap.Seed} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range secrets {
				require.NotContains(t, out, secret, "%s of %T", verb, v)
			}
		}
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "snap", snap, "seed", snap.Seed)
	for _, secret := range secrets {
		require.NotContains(t, logged.String(), secret)
	}
	_, err := json.Marshal(snap)
	require.Error(t, err)
	require.Equal(t, "session "+s.token.String()+" (v1, authority "+s.authority.String()+", target "+s.target.String()+
		", signer "+s.signer.String()+", valid until 2023-11-14T22:13:20Z)", s.String())
}

func computeUnitPrice(microLamports uint64) solana.Instruction {
	return solana.NewInstruction(solana.ComputeBudget, nil, binary.LittleEndian.AppendUint64([]byte{3}, microLamports))
}
