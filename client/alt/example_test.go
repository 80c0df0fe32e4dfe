package alt_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/alt"
)

// A table is created for a recent slot (one listed in the SlotHashes sysvar) and
// extended in the same transaction; messages can use its addresses from the next slot.
func ExampleNewCreate() {
	authority := solana.MustPublicKeyFromBase58("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
	create, table, err := alt.NewCreate(authority, authority, 1234)
	if err != nil {
		fmt.Println(err)
		return
	}
	extend, err := alt.NewExtend(table, authority, authority, []solana.PublicKey{solana.SystemProgramID})
	if err != nil {
		fmt.Println(err)
		return
	}
	derived, _, _ := alt.Derive(authority, 1234)
	fmt.Println(create.ProgramID() == alt.ProgramID, extend.Accounts()[0].PublicKey == table, derived == table)
	// Output:
	// true true true
}
