package guard_test

import (
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

// instructionsFrom turns fuzz bytes into instructions over a small pool of programs and
// accounts, so that the signer shows up in every role: flagged or not, writable or not,
// in the target's instructions and in everyone else's.
func instructionsFrom(b []byte) []solana.Instruction {
	programs := []solana.PublicKey{target, solana.SystemProgramID, solana.TokenProgramID, guard.ComputeBudgetProgramID, allowed, other, signer}
	accounts := []solana.PublicKey{signer, player, token, other, sponsor}
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
