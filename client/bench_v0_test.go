package client

import (
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// BenchmarkCompileV0 is BenchmarkCompileLegacy's move as a v0 message whose player state
// and token come from a lookup table of 32 addresses (the target: at most 1.2 times the
// legacy compile).
func BenchmarkCompileV0(b *testing.B) {
	k := key("session")
	ix := gameInstruction(k, key("token"))
	bh := solana.Hash(key("blockhash"))
	table := txn.LookupTable{Address: key("table")}
	for i := range 30 {
		table.Addresses = append(table.Addresses, key(string(rune('a'+i))))
	}
	table.Addresses = append(table.Addresses, key("player state"), key("token"))
	tables := []txn.LookupTable{table}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := txn.CompileV0(k, bh, tables, ix); err != nil {
			b.Fatal(err)
		}
	}
}
