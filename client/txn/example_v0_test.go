package txn_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// A move whose player account comes from a lookup table: the signer stays a static key,
// the player is entry 1 of the table.
func ExampleCompileV0() {
	key, _ := txn.NewSessionKey(make([]byte, 32)) // load from the keystore in real code
	player := solana.MustPublicKeyFromBase58("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
	table := txn.LookupTable{
		Address:   solana.MustPublicKeyFromBase58("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"),
		Addresses: []solana.PublicKey{program, player},
	}
	ix := solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.NewAccountMeta(player, true, false),
		solana.NewAccountMeta(key.PublicKey(), true, true),
	}, []byte{1})
	msg, err := txn.CompileV0(key.PublicKey(), solana.Hash{}, []txn.LookupTable{table}, ix)
	if err != nil {
		fmt.Println(err)
		return
	}
	wire, err := msg.Sign(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	tx, err := solana.TransactionFromBytes(wire)
	if err != nil {
		fmt.Println(err)
		return
	}
	l := tx.Message.AddressTableLookups[0]
	fmt.Println(tx.Message.IsVersioned(), len(tx.Message.AccountKeys), l.AccountKey == table.Address, l.WritableIndexes)
	// Output:
	// true 2 true [1]
}
