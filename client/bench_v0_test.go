package client

import (
	"fmt"
	"testing"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// BenchmarkCompileV0 is BenchmarkCompileLegacy's move as a v0 message whose player state
// and token come from a lookup table (the target: at most 1.2 times the legacy compile).
// The table holds just those two, or 30 other addresses before them: the compiler reads
// a table once, so a longer one costs its length.
func BenchmarkCompileV0(b *testing.B) {
	k := key("session")
	ix := gameInstruction(k, key("token"))
	bh := solana.Hash(key("blockhash"))
	for _, others := range []int{0, 30} {
		table := txn.LookupTable{Address: key("table")}
		for i := range others {
			table.Addresses = append(table.Addresses, key(fmt.Sprint("other ", i)))
		}
		table.Addresses = append(table.Addresses, key("player state"), key("token"))
		tables := []txn.LookupTable{table}
		b.Run(fmt.Sprintf("table-%d", len(table.Addresses)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := txn.CompileV0(k, bh, tables, ix); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
