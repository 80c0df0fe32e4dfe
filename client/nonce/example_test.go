package nonce_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/nonce"
)

// A durable-nonce transaction starts with the advance and is signed on the account's
// nonce, read with Decode, instead of a recent blockhash.
func ExampleDecode() {
	authority := solana.MustPublicKeyFromBase58("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
	data, _ := (&nonce.Account{Authority: authority, Nonce: solana.Hash{1}, LamportsPerSignature: 5000}).MarshalBinary() // getAccountInfo in real code
	a, err := nonce.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	account := solana.MustPublicKeyFromBase58("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T")
	first := nonce.NewAdvance(account, a.Authority)
	fmt.Println(a.Authority == authority, a.Nonce == solana.Hash{1}, first.Accounts()[2].IsSigner)
	// Output:
	// true true true
}
