package guard_test

import (
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	spltoken "github.com/gagliardetto/solana-go/programs/token"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/guard"
)

var (
	gold        = key("gold mint")
	silver      = key("silver mint")
	goldAccount = key("signer's gold account")
	silverAcct  = key("signer's silver account")
	treasury    = key("treasury")
	token2022   = solana.MustPublicKeyFromBase58("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
	// moveDisc is move()'s discriminator; buyDisc another allowed one.
	moveDisc = guard.Discriminator{1, 2, 3, 4, 5, 6, 7, 8}
	buyDisc  = guard.Discriminator{8, 7, 6, 5, 4, 3, 2, 1}
)

// scoped is a policy with every static bound: two instructions, 1,000 lamports and
// 50 gold per transaction, the signer's gold and silver accounts known (silver has no
// limit).
func scoped() *guard.Policy {
	return &guard.Policy{
		Signer: signer, TargetProgram: target,
		Instructions:  []guard.Discriminator{moveDisc, buyDisc},
		Lamports:      &guard.Limit{PerTransaction: 1_000},
		Tokens:        []guard.TokenLimit{{Mint: gold, Limit: guard.Limit{PerTransaction: 50}}},
		TokenAccounts: []guard.TokenAccount{{Address: goldAccount, Mint: gold}, {Address: silverAcct, Mint: silver}},
	}
}

func build[T solana.Instruction](t testing.TB, b interface{ ValidateAndBuild() (T, error) }) solana.Instruction {
	t.Helper()
	ix, err := b.ValidateAndBuild()
	require.NoError(t, err)
	return ix
}

func withProgram(ix solana.Instruction, program solana.PublicKey) solana.Instruction {
	data, _ := ix.Data()
	return solana.NewInstruction(program, ix.Accounts(), data)
}

func TestScopedSpend(t *testing.T) {
	transfer := func(n uint64) solana.Instruction {
		return build(t, system.NewTransferInstruction(n, signer, other))
	}
	goldTransfer := func(n uint64) solana.Instruction {
		return build(t, spltoken.NewTransferInstruction(n, goldAccount, treasury, signer, nil))
	}
	goldChecked := func(n uint64, mint solana.PublicKey) solana.Instruction {
		return build(t, spltoken.NewTransferCheckedInstruction(n, 6, goldAccount, mint, treasury, signer, nil))
	}
	buy := solana.NewInstruction(target, solana.AccountMetaSlice{
		solana.NewAccountMeta(signer, true, true), solana.NewAccountMeta(token, false, false),
	}, append(buyDisc[:], 9))
	tests := []struct {
		name     string
		ixs      []solana.Instruction
		err      error
		index    int
		detail   string
		lamports uint64
		gold     uint64
	}{
		{name: "allowed move", ixs: []solana.Instruction{move()}},
		{name: "allowed buy", ixs: []solana.Instruction{buy}},
		{name: "instruction not allowed", ixs: []solana.Instruction{solana.NewInstruction(target, nil, []byte{9, 9, 9, 9, 9, 9, 9, 9})}, err: guard.ErrInstructionNotAllowed, index: 0, detail: "0909090909090909"},
		{name: "short target data", ixs: []solana.Instruction{move(), solana.NewInstruction(target, nil, []byte{1, 2})}, err: guard.ErrInstructionNotAllowed, index: 1},
		{name: "transfer within the limit", ixs: []solana.Instruction{move(), transfer(600), transfer(400)}, lamports: 1_000},
		{name: "transfers over the limit", ixs: []solana.Instruction{transfer(600), transfer(401)}, err: guard.ErrSpendLimit, index: -1, detail: "1001 lamports over the limit 1000"},
		{name: "credit costs nothing", ixs: []solana.Instruction{build(t, system.NewTransferInstruction(5_000, other, signer))}},
		{name: "create account funded", ixs: []solana.Instruction{build(t, system.NewCreateAccountInstruction(900, 0, target, signer, other))}, lamports: 900},
		{name: "create account as the new account", ixs: []solana.Instruction{build(t, system.NewCreateAccountInstruction(0, 0, target, other, signer))}, err: guard.ErrSpendInstruction, index: 0},
		{name: "create account with seed", ixs: []solana.Instruction{build(t, system.NewCreateAccountWithSeedInstruction(signer, "seed", 700, 0, target, signer, other, signer))}, lamports: 700},
		{name: "transfer with seed", ixs: []solana.Instruction{build(t, system.NewTransferWithSeedInstruction(2_000, "s", target, other, signer, player))}, err: guard.ErrSpendLimit, index: -1, detail: "2000 lamports"},
		{name: "assign refused", ixs: []solana.Instruction{build(t, system.NewAssignInstruction(target, signer))}, err: guard.ErrSpendInstruction, index: 0, detail: "System instruction 1"},
		{name: "gold within the limit", ixs: []solana.Instruction{goldTransfer(20), goldChecked(30, gold)}, gold: 50},
		{name: "gold over the limit", ixs: []solana.Instruction{goldTransfer(20), goldChecked(31, gold)}, err: guard.ErrSpendLimit, index: -1, detail: "51 over the limit 50"},
		{name: "gold by Token-2022", ixs: []solana.Instruction{withProgram(goldTransfer(50), token2022)}, gold: 50},
		{name: "approve counts as spent", ixs: []solana.Instruction{build(t, spltoken.NewApproveInstruction(51, goldAccount, other, signer, nil))}, err: guard.ErrSpendLimit, index: -1},
		{name: "burn", ixs: []solana.Instruction{build(t, spltoken.NewBurnInstruction(10, goldAccount, gold, signer, nil))}, gold: 10},
		{name: "checked with the wrong mint", ixs: []solana.Instruction{goldChecked(1, silver)}, err: guard.ErrTokenAccount, index: 0, detail: "the instruction names"},
		{name: "unknown source account", ixs: []solana.Instruction{build(t, spltoken.NewTransferInstruction(1, other, treasury, signer, nil))}, err: guard.ErrTokenAccount, index: 0, detail: other.String()},
		{name: "mint without a limit", ixs: []solana.Instruction{build(t, spltoken.NewTransferInstruction(1, silverAcct, treasury, signer, nil))}, err: guard.ErrSpendLimit, index: 0, detail: silver.String()},
		{name: "set authority refused", ixs: []solana.Instruction{build(t, spltoken.NewSetAuthorityInstruction(spltoken.AuthorityAccountOwner, other, goldAccount, signer, nil))}, err: guard.ErrSpendInstruction, index: 0},
		{name: "signer as destination", ixs: []solana.Instruction{build(t, spltoken.NewTransferInstruction(1, goldAccount, signer, other, nil))}, err: guard.ErrSpendInstruction, index: 0},
		{name: "unit price over the cap still refused", ixs: []solana.Instruction{unitPrice(guard.DefaultMaxUnitPrice + 1), move()}, err: guard.ErrComputeBudget, index: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s guard.Spend
			err := scoped().Measure(compile(t, signer, tt.ixs...), &s)
			if tt.err == nil {
				require.NoError(t, err)
				require.Equal(t, tt.lamports, s.Lamports)
				require.Equal(t, tt.gold, s.Tokens[0])
				return
			}
			require.ErrorIs(t, err, tt.err)
			var re *guard.RefusedError
			require.True(t, errors.As(err, &re))
			require.Equal(t, tt.index, re.Index)
			require.Contains(t, err.Error(), tt.detail)
		})
	}
}

// The fee is what the signer pays as fee payer: signatures and the priority fee.
func TestScopedFee(t *testing.T) {
	var s guard.Spend
	require.NoError(t, scoped().Measure(compile(t, signer, unitLimit(200_001), unitPrice(1_000), move()), &s))
	require.Equal(t, uint64(5_000+201), s.Fee, "ceil(200001 × 1000 / 10^6) = 201")
	require.NoError(t, scoped().Measure(compile(t, signer, unitPrice(3), move(), move()), &s))
	require.Equal(t, uint64(5_000+2), s.Fee, "the default limit, 2 × 200,000 units, at 3 micro-lamports")
	require.NoError(t, scoped().Measure(compile(t, sponsor, unitPrice(3), move()), &s))
	require.Zero(t, s.Fee, "another fee payer pays")
}

func TestScopedTooManyTokenLimits(t *testing.T) {
	p := scoped()
	p.Tokens = make([]guard.TokenLimit, guard.MaxTokenLimits+1)
	require.ErrorIs(t, p.Check(compile(t, signer, move())), guard.ErrSpendLimit)
}

// BenchmarkPolicyCheck is the static path of a scoped move: a game instruction among the
// allowed, a gold transfer and a SOL transfer measured against their limits.
func BenchmarkPolicyCheck(b *testing.B) {
	msg := compile(b, signer, unitLimit(200_000), move(),
		build(b, spltoken.NewTransferInstruction(5, goldAccount, treasury, signer, nil)),
		build(b, system.NewTransferInstruction(100, signer, other)))
	p := scoped()
	var s guard.Spend
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Measure(msg, &s); err != nil {
			b.Fatal(err)
		}
	}
}
