package guard_test

import (
	"encoding/base64"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/txn"
)

// lookedUpWithinBounds is FuzzSigningGuard's property for v0 messages: ixs compiled with
// a lookup table, which the chain may hold with the session signer in place of an
// account the message was compiled against (chosen by the fuzz bytes). What
// CheckWithTables accepts, resolved through the chain's table by solana-go, names the
// signer only in the target's and allowed programs' instructions.
func lookedUpWithinBounds(t *testing.T, p *guard.Policy, payer solana.PublicKey, ixs []solana.Instruction, b []byte) {
	t.Helper()
	compiled := []solana.PublicKey{player, token, other, sponsor, signer}
	chain := append([]solana.PublicKey(nil), compiled...)
	if len(b) > 0 && b[0]&1 == 1 {
		chain[int(b[0]>>1)%4] = signer
	}
	tables := []txn.LookupTable{{Address: tableAddr, Addresses: chain}}
	// Raw bytes too: never a panic, and nothing accepted that breaks the property.
	if p.CheckWithTables(b, tables) == nil {
		resolvedWithinBounds(t, p, b, chain)
	}
	msg, err := txn.CompileV0(payer, solana.Hash{7}, []txn.LookupTable{{Address: tableAddr, Addresses: compiled}}, ixs...)
	if err != nil {
		return
	}
	if p.CheckWithTables(msg.Bytes(), tables) == nil {
		resolvedWithinBounds(t, p, msg.Bytes(), chain)
	}
}

// resolvedWithinBounds decodes raw with solana-go, resolves its lookups through the
// table at tableAddr holding chain, and checks that only the target and allowed
// programs name the signer.
func resolvedWithinBounds(t *testing.T, p *guard.Policy, raw []byte, chain []solana.PublicKey) {
	t.Helper()
	var m solana.Message
	if err := m.UnmarshalBase64(base64.StdEncoding.EncodeToString(raw)); err != nil {
		t.Fatalf("the guard accepted bytes solana-go cannot decode: %v", err)
	}
	if err := m.SetAddressTables(map[solana.PublicKey]solana.PublicKeySlice{tableAddr: chain}); err != nil {
		t.Fatal(err)
	}
	if err := m.ResolveLookups(); err != nil {
		t.Fatalf("the guard accepted lookups solana-go cannot resolve: %v", err)
	}
	for i, ix := range m.Instructions {
		program := m.AccountKeys[ix.ProgramIDIndex]
		if program == p.Signer {
			t.Fatalf("instruction %d: the signer runs as a program", i)
		}
		names := false
		for _, a := range ix.Accounts {
			names = names || m.AccountKeys[a] == p.Signer
		}
		if names && program != p.TargetProgram && program != allowed {
			t.Fatalf("instruction %d: program %s names the signer through the table", i, program)
		}
	}
}
