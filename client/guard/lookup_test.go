package guard_test

import (
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

var (
	tableAddr = key("lookup table")
	stand     = key("stand-in") // what a message was compiled against where the chain holds the signer
)

func compileV0(t testing.TB, payer solana.PublicKey, tables []txn.LookupTable, ixs ...solana.Instruction) []byte {
	t.Helper()
	msg, err := txn.CompileV0(payer, solana.Hash(key("blockhash")), tables, ixs...)
	require.NoError(t, err)
	return msg.Bytes()
}

func TestV0GuardLookups(t *testing.T) {
	table := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{other, player, token, stand}}}
	// The chain's table where the message was compiled against the stand-in: entry 3 is
	// the session signer.
	hiding := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{other, player, token, signer}}}
	drain := system.NewTransferInstruction(1_000_000, stand, other).Build()
	drain.Accounts()[0].IsSigner = false // loaded from a table, so not a signer
	cbNaming := solana.NewInstruction(guard.ComputeBudgetProgramID, solana.AccountMetaSlice{solana.NewAccountMeta(stand, false, false)},
		[]byte{2, 0, 0, 1, 0})
	foreignReads := solana.NewInstruction(other, solana.AccountMetaSlice{solana.NewAccountMeta(player, false, false)}, nil)

	tests := []struct {
		name    string
		payer   solana.PublicKey
		ixs     []solana.Instruction
		tables  []txn.LookupTable // given to the guard
		wantErr error             // nil: accepted
	}{
		{"move with player and token looked up", signer, []solana.Instruction{unitLimit(200_000), move()}, table, nil},
		{"a foreign program reading a looked-up account", signer, []solana.Instruction{move(), foreignReads}, table, nil},
		{"the same transfer from the stand-in", sponsor, []solana.Instruction{move(), drain}, table, nil},
		{"the signer hidden behind a table in a transfer", sponsor, []solana.Instruction{move(), drain}, hiding, guard.ErrForeignProgram},
		{"the signer hidden behind a table in compute budget", signer, []solana.Instruction{cbNaming, move()}, hiding, guard.ErrForeignProgram},
		{"table not given", signer, []solana.Instruction{move()}, nil, guard.ErrLookupTables},
		{"another table given", signer, []solana.Instruction{move()}, []txn.LookupTable{{Address: key("another"), Addresses: table[0].Addresses}}, guard.ErrLookupTables},
		{"table given shorter than the chain's", signer, []solana.Instruction{move()}, []txn.LookupTable{{Address: tableAddr, Addresses: table[0].Addresses[:2]}}, guard.ErrLookupTables},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := compileV0(t, tc.payer, table, tc.ixs...)
			err := policy().CheckWithTables(msg, tc.tables)
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
				var refused *guard.RefusedError
				require.True(t, errors.As(err, &refused))
			}
			// Check, which cannot see into tables, refuses every one of them.
			require.ErrorIs(t, policy().Check(msg), guard.ErrLookupTables)
		})
	}
}

// A v0 message without lookups is judged by both alike, and a static signer stays
// refused in a foreign program with tables given.
func TestV0GuardStatic(t *testing.T) {
	transfer := system.NewTransferInstruction(1, signer, other).Build()
	for _, ixs := range [][]solana.Instruction{{move()}, {move(), transfer}} {
		msg := compileV0(t, signer, []txn.LookupTable{}, ixs...)
		want := policy().Check(msg)
		require.Equal(t, want, policy().CheckWithTables(msg, nil))
		require.Equal(t, want == nil, len(ixs) == 1)
	}
	table := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{player, token, other}}}
	msg := compileV0(t, signer, table, move(), transfer)
	require.ErrorIs(t, policy().CheckWithTables(msg, table), guard.ErrForeignProgram)
}

func TestV0GuardMalformed(t *testing.T) {
	table := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{player, token}}}
	msg := compileV0(t, signer, table, move())
	for n := range len(msg) {
		err := policy().CheckWithTables(msg[:n], table)
		require.Error(t, err, "truncated at %d", n)
	}
	require.ErrorIs(t, policy().CheckWithTables(append(msg[:len(msg):len(msg)], 0), table), guard.ErrMalformed)
}

func TestV0GuardDoesNotAllocate(t *testing.T) {
	table := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{other, player, token}}}
	msg := compileV0(t, signer, table, unitLimit(200_000), move())
	p := policy()
	allocs := testing.AllocsPerRun(100, func() {
		if err := p.CheckWithTables(msg, table); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs)
}

func BenchmarkCheckWithTables(b *testing.B) {
	table := []txn.LookupTable{{Address: tableAddr, Addresses: []solana.PublicKey{other, player, token}}}
	msg := compileV0(b, signer, table, unitLimit(200_000), move())
	p := policy()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.CheckWithTables(msg, table); err != nil {
			b.Fatal(err)
		}
	}
}
