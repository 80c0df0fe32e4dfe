package guard_test

import (
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	spltoken "github.com/gagliardetto/solana-go/programs/token"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

// instructionsFrom turns fuzz bytes into instructions over a small pool of programs and
// accounts, so that the signer shows up in every role: flagged or not, writable or not,
// in the target's instructions and in everyone else's.
func instructionsFrom(b []byte) []solana.Instruction {
	programs := []solana.PublicKey{target, solana.SystemProgramID, solana.TokenProgramID, guard.ComputeBudgetProgramID, allowed, other, signer}
	accounts := []solana.PublicKey{signer, player, token, other, sponsor, goldAccount, gold, silverAcct}
	next := func() byte {
		if len(b) == 0 {
			return 0
		}
		c := b[0]
		b = b[1:]
		return c
	}
	var ixs []solana.Instruction
	for len(b) > 0 && len(ixs) < 8 {
		program := programs[int(next())%len(programs)]
		var metas solana.AccountMetaSlice
		for range int(next()) % 5 {
			c := next()
			metas = append(metas, solana.NewAccountMeta(accounts[int(c)%len(accounts)], c&0x40 != 0, c&0x80 != 0))
		}
		var data []byte
		switch c := next(); {
		case program == guard.ComputeBudgetProgramID && c%3 == 0:
			data = binary.LittleEndian.AppendUint32([]byte{2}, binary.LittleEndian.Uint32([]byte{next(), next(), next(), next() & 0x1f}))
		case program == guard.ComputeBudgetProgramID && c%3 == 1:
			data = binary.LittleEndian.AppendUint64([]byte{3}, uint64(next())<<uint(next()%16))
		case program == solana.SystemProgramID && c%2 == 0: // a transfer or a create account
			data = binary.LittleEndian.AppendUint32(nil, uint32(c%4))
			data = binary.LittleEndian.AppendUint64(data, uint64(next())<<uint(next()%12))
			if c%4 == 0 {
				data = append(binary.LittleEndian.AppendUint64(data, 0), target[:]...)
			}
		case program == solana.TokenProgramID && c%2 == 0: // transfer, approve, burn, checked
			tags := []byte{3, 4, 5, 8, 12, 13, 15, 6}
			tag := tags[int(next())%len(tags)]
			data = binary.LittleEndian.AppendUint64([]byte{tag}, uint64(next()))
			if tag >= 12 {
				data = append(data, 6)
			}
			if tag == 5 {
				data = data[:1]
			}
		case program == target && c%2 == 0:
			data = append(moveDisc[:], c)
		default:
			for range int(c) % 12 {
				data = append(data, next())
			}
		}
		ixs = append(ixs, solana.NewInstruction(program, metas, data))
	}
	return ixs
}

// debitsOnlyWithinBounds is the property, judged by solana-go's decoder rather than the
// guard's: a message the guard accepts lets the session signer be used only by the
// target and allowed programs, never as a program, and pay a priority fee within caps.
func debitsOnlyWithinBounds(t *testing.T, p *guard.Policy, raw []byte) {
	t.Helper()
	var m solana.Message
	if err := m.UnmarshalBase64(base64.StdEncoding.EncodeToString(raw)); err != nil {
		t.Fatalf("the guard accepted bytes solana-go cannot decode: %v", err)
	}
	signerAt := -1
	for i, k := range m.AccountKeys {
		if k == p.Signer {
			signerAt = i
		}
	}
	var limit uint32
	var price uint64
	for i, ix := range m.Instructions {
		program := m.AccountKeys[ix.ProgramIDIndex]
		if program == p.Signer {
			t.Fatalf("instruction %d: the signer runs as a program", i)
		}
		names := false
		for _, a := range ix.Accounts {
			names = names || int(a) == signerAt
		}
		if program == guard.ComputeBudgetProgramID {
			if names {
				t.Fatalf("instruction %d: compute budget names the signer", i)
			}
			switch ix.Data[0] {
			case 2:
				limit = min(binary.LittleEndian.Uint32(ix.Data[1:]), 1_400_000) // the runtime clamps
			case 3:
				price = binary.LittleEndian.Uint64(ix.Data[1:])
			}
			continue
		}
		if names && program != p.TargetProgram && program != allowed {
			t.Fatalf("instruction %d: program %s may debit the signer", i, program)
		}
	}
	if limit > guard.DefaultMaxUnitLimit || price > guard.DefaultMaxUnitPrice {
		t.Fatalf("priority fee outside the caps: limit %d, price %d", limit, price)
	}
}

func FuzzSigningGuard(f *testing.F) {
	f.Add([]byte{0, 3, 0xc0, 1, 2, 4}, true)
	f.Add([]byte{1, 2, 0x40, 3, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true)
	f.Add([]byte{3, 0, 1, 200, 100}, false)
	f.Add([]byte{5, 1, 0x00, 0, 3, 0, 1, 0x80, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, signerPays bool) {
		fuzzScoped(t, b, signerPays)
		p := policy()
		// Raw bytes: never a panic, and nothing accepted that breaks the property.
		if p.Check(b) == nil {
			debitsOnlyWithinBounds(t, p, b)
		}
		ixs := instructionsFrom(b)
		if len(ixs) == 0 {
			return
		}
		payer := sponsor
		if signerPays {
			payer = signer
		}
		msg, err := txn.CompileLegacy(payer, solana.Hash{7}, ixs...)
		if err != nil {
			return
		}
		if p.Check(msg.Bytes()) == nil {
			debitsOnlyWithinBounds(t, p, msg.Bytes())
		}
		lookedUpWithinBounds(t, p, payer, ixs, b)
	})
}

// spendsOnlyWithinLimits is the scoped property, judged by solana-go's System and Token
// decoders: a message the scoped policy accepts carries only allowed target
// instructions, and what it moves from the signer stays within the per-transaction
// limits; the guard's Spend agrees.
func spendsOnlyWithinLimits(t *testing.T, p *guard.Policy, raw []byte, got *guard.Spend) {
	t.Helper()
	var m solana.Message
	if err := m.UnmarshalBase64(base64.StdEncoding.EncodeToString(raw)); err != nil {
		t.Fatalf("the guard accepted bytes solana-go cannot decode: %v", err)
	}
	var lamports, goldSpent uint64
	for i, ix := range m.Instructions {
		program := m.AccountKeys[ix.ProgramIDIndex]
		keys := make([]*solana.AccountMeta, len(ix.Accounts))
		names := false
		for j, a := range ix.Accounts {
			keys[j] = &solana.AccountMeta{PublicKey: m.AccountKeys[a]}
			names = names || m.AccountKeys[a] == p.Signer
		}
		switch {
		case program == p.TargetProgram:
			if len(ix.Data) < 8 || ([8]byte(ix.Data[:8]) != moveDisc && [8]byte(ix.Data[:8]) != buyDisc) {
				t.Fatalf("instruction %d: target instruction %x not allowed", i, ix.Data)
			}
		case program == solana.SystemProgramID && names:
			dec, err := system.DecodeInstruction(keys, ix.Data)
			if err != nil {
				t.Fatalf("instruction %d: accepted a System instruction solana-go cannot decode: %v", i, err)
			}
			switch v := dec.Impl.(type) {
			case *system.Transfer:
				if v.GetFundingAccount().PublicKey == p.Signer {
					lamports += *v.Lamports
				}
			case *system.CreateAccount:
				if v.GetFundingAccount().PublicKey != p.Signer {
					t.Fatalf("instruction %d: the signer is created", i)
				}
				lamports += *v.Lamports
			default:
				t.Fatalf("instruction %d: accepted System %T naming the signer", i, v)
			}
		case program == solana.TokenProgramID && names:
			dec, err := spltoken.DecodeInstruction(keys, ix.Data)
			if err != nil {
				t.Fatalf("instruction %d: accepted a token instruction solana-go cannot decode: %v", i, err)
			}
			if ix.Accounts[0] >= uint16(len(m.AccountKeys)) || m.AccountKeys[ix.Accounts[0]] != goldAccount {
				t.Fatalf("instruction %d: moves %s, not the known gold account", i, m.AccountKeys[ix.Accounts[0]])
			}
			switch v := dec.Impl.(type) {
			case *spltoken.Transfer:
				goldSpent += *v.Amount
			case *spltoken.Approve:
				goldSpent += *v.Amount
			case *spltoken.Burn:
				goldSpent += *v.Amount
			case *spltoken.TransferChecked:
				goldSpent += *v.Amount
			case *spltoken.ApproveChecked:
				goldSpent += *v.Amount
			case *spltoken.BurnChecked:
				goldSpent += *v.Amount
			case *spltoken.Revoke:
			default:
				t.Fatalf("instruction %d: accepted token %T naming the signer", i, v)
			}
		}
	}
	if lamports > p.Lamports.PerTransaction || goldSpent > p.Tokens[0].PerTransaction {
		t.Fatalf("spend over the limits: %d lamports, %d gold", lamports, goldSpent)
	}
	if lamports != got.Lamports || goldSpent != got.Tokens[0] {
		t.Fatalf("the guard measured %d lamports and %d gold, solana-go %d and %d", got.Lamports, got.Tokens[0], lamports, goldSpent)
	}
}

func fuzzScoped(t *testing.T, b []byte, signerPays bool) {
	p := scoped()
	var s guard.Spend
	if p.Measure(b, &s) == nil {
		spendsOnlyWithinLimits(t, p, b, &s)
	}
	ixs := instructionsFrom(b)
	if len(ixs) == 0 {
		return
	}
	payer := sponsor
	if signerPays {
		payer = signer
	}
	msg, err := txn.CompileLegacy(payer, solana.Hash{7}, ixs...)
	if err != nil {
		return
	}
	if p.Measure(msg.Bytes(), &s) == nil {
		spendsOnlyWithinLimits(t, p, msg.Bytes(), &s)
	}
}
