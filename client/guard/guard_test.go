package guard_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

func key(name string) solana.PublicKey { return sha256.Sum256([]byte("guard test " + name)) }

var (
	signer  = key("session signer")
	target  = key("game")
	token   = key("session token")
	player  = key("player")
	sponsor = key("sponsor")
	allowed = key("allowed program")
	other   = key("someone")
)

func policy() *guard.Policy {
	return &guard.Policy{Signer: signer, TargetProgram: target, AllowedPrograms: []solana.PublicKey{allowed}}
}

func move() solana.Instruction {
	return solana.NewInstruction(target, solana.AccountMetaSlice{
		solana.NewAccountMeta(player, true, false),
		solana.NewAccountMeta(signer, true, true),
		solana.NewAccountMeta(token, false, false),
	}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0})
}

func unitLimit(n uint32) solana.Instruction {
	return solana.NewInstruction(guard.ComputeBudgetProgramID, nil, binary.LittleEndian.AppendUint32([]byte{2}, n))
}

func unitPrice(n uint64) solana.Instruction {
	return solana.NewInstruction(guard.ComputeBudgetProgramID, nil, binary.LittleEndian.AppendUint64([]byte{3}, n))
}

func compile(t testing.TB, payer solana.PublicKey, ixs ...solana.Instruction) []byte {
	t.Helper()
	msg, err := txn.CompileLegacy(payer, solana.Hash(key("blockhash")), ixs...)
	require.NoError(t, err)
	return msg.Bytes()
}

// The first two rows are the hardening issue's reproductions: each landed before the
// guard judged the compiled message.
func TestCheck(t *testing.T) {
	transfer := system.NewTransferInstruction(1_000_000, signer, other).Build()
	data, err := transfer.Data()
	require.NoError(t, err)
	transferUnflagged := solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(signer, true, false), // IsSigner false: the compiler signs it anyway
		solana.NewAccountMeta(other, true, false),
	}, data)
	foreignMove := solana.NewInstruction(key("another game"), solana.AccountMetaSlice{
		solana.NewAccountMeta(player, true, false),
		solana.NewAccountMeta(signer, false, false),
	}, []byte{9})
	readOnlyMention := solana.NewInstruction(key("another game"), solana.AccountMetaSlice{
		solana.NewAccountMeta(signer, false, false),
	}, nil)
	credit := system.NewTransferInstruction(5, other, signer).Build()
	memo := solana.NewInstruction(key("memo"), nil, []byte("hi"))
	tests := []struct {
		name  string
		payer solana.PublicKey
		ixs   []solana.Instruction
		err   error
		index int
	}{
		{"move", signer, []solana.Instruction{move()}, nil, 0},
		{"system transfer from the signer, unflagged", signer, []solana.Instruction{move(), transferUnflagged}, guard.ErrForeignProgram, 1},
		{"another program naming the signer, unflagged", signer, []solana.Instruction{foreignMove}, guard.ErrForeignProgram, 0},
		{"read-only mention", signer, []solana.Instruction{readOnlyMention}, guard.ErrForeignProgram, 0},
		{"a credit to the signer is refused too", sponsor, []solana.Instruction{credit}, guard.ErrForeignProgram, 0},
		{"allowed program", signer, []solana.Instruction{solana.NewInstruction(allowed, solana.AccountMetaSlice{solana.NewAccountMeta(signer, true, true)}, nil)}, nil, 0},
		{"other programs that leave the signer out", signer, []solana.Instruction{memo, move()}, nil, 0},
		{"sponsored move", sponsor, []solana.Instruction{move()}, nil, 0},
		{"unit limit at the cap", signer, []solana.Instruction{unitLimit(guard.DefaultMaxUnitLimit), move()}, nil, 0},
		{"unit limit past the runtime's ceiling costs the ceiling", signer, []solana.Instruction{unitLimit(guard.DefaultMaxUnitLimit + 1), move()}, nil, 0},
		{"unit price at the cap", signer, []solana.Instruction{unitPrice(guard.DefaultMaxUnitPrice), move()}, nil, 0},
		{"unit price over the cap", signer, []solana.Instruction{move(), unitPrice(guard.DefaultMaxUnitPrice + 1)}, guard.ErrComputeBudget, 1},
		{"unit price twice", signer, []solana.Instruction{unitPrice(1), unitPrice(1), move()}, guard.ErrComputeBudget, 1},
		{"unknown compute budget instruction", signer, []solana.Instruction{solana.NewInstruction(guard.ComputeBudgetProgramID, nil, []byte{9, 0})}, guard.ErrComputeBudget, 0},
		{"short unit price", signer, []solana.Instruction{solana.NewInstruction(guard.ComputeBudgetProgramID, nil, []byte{3, 1})}, guard.ErrComputeBudget, 0},
		{"compute budget naming the signer", signer, []solana.Instruction{solana.NewInstruction(guard.ComputeBudgetProgramID, solana.AccountMetaSlice{solana.NewAccountMeta(signer, false, false)}, binary.LittleEndian.AppendUint32([]byte{2}, 1))}, guard.ErrForeignProgram, 0},
		{"signer as a program", sponsor, []solana.Instruction{solana.NewInstruction(signer, nil, nil)}, guard.ErrSignerAsProgram, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy().Check(compile(t, tt.payer, tt.ixs...))
			if tt.err == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.err)
			var re *guard.RefusedError
			require.True(t, errors.As(err, &re))
			require.Equal(t, tt.index, re.Index)
			require.Equal(t, tt.ixs[tt.index].ProgramID(), re.Program)
			require.Contains(t, err.Error(), tt.ixs[tt.index].ProgramID().String(), "the error names the program")
		})
	}
}

func TestCustomCaps(t *testing.T) {
	p := policy()
	p.MaxUnitLimit, p.MaxUnitPrice = 50_000, 10
	require.NoError(t, p.Check(compile(t, signer, unitLimit(50_000), unitPrice(10), move())))
	require.ErrorIs(t, p.Check(compile(t, signer, unitLimit(50_001), move())), guard.ErrComputeBudget)
	require.ErrorIs(t, p.Check(compile(t, signer, unitPrice(11), move())), guard.ErrComputeBudget)
}

func TestMalformed(t *testing.T) {
	good := compile(t, signer, move())
	for name, b := range map[string][]byte{
		"empty":          nil,
		"header only":    good[:3],
		"truncated keys": good[:40],
		"truncated":      good[:len(good)-1],
		"trailing byte":  append(append([]byte(nil), good...), 0),
		"version 1":      append([]byte{0x81}, good...),
	} {
		err := policy().Check(b)
		require.ErrorIs(t, err, guard.ErrMalformed, name)
	}
}

func TestV0(t *testing.T) {
	legacy := compile(t, signer, move())
	v0 := append(append([]byte{0x80}, legacy...), 0) // no lookup tables
	require.NoError(t, policy().Check(v0))
	withTable := append(append([]byte{0x80}, legacy...), 1)
	withTable = append(withTable, key("table").Bytes()...)
	withTable = append(withTable, 1, 0, 0)
	require.ErrorIs(t, policy().Check(withTable), guard.ErrLookupTables)
}

func BenchmarkSigningGuard(b *testing.B) {
	msg := compile(b, signer, unitLimit(200_000), move())
	p := policy()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Check(msg); err != nil {
			b.Fatal(err)
		}
	}
}
