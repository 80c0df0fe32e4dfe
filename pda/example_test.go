package pda_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
)

func ExampleSessionToken() {
	target := solana.MustPublicKeyFromBase58("GzipU9TY7QLaQtkrxqgorbSaUppeiye4gDW7xNfcaacR")
	signer := solana.MustPublicKeyFromBase58("3ukGCsTbaXHNYZ3Ett239BXVKqvbCNnv7PMLAWm2o5SS")
	authority := solana.MustPublicKeyFromBase58("GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18")

	addr, bump, err := pda.SessionTokenV2(pda.MagicBlockProgramID, target, signer, authority)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(addr, bump)
	// Output: fXjPizwNXPvtsM8evwsWF4JNJB65zMpASQjHY7KX72Y 252
}

func ExampleCache() {
	// One cache per process, sized for the number of live sessions it serves.
	cache := pda.NewCache(4096)

	target := solana.MustPublicKeyFromBase58("GzipU9TY7QLaQtkrxqgorbSaUppeiye4gDW7xNfcaacR")
	signer := solana.MustPublicKeyFromBase58("3ukGCsTbaXHNYZ3Ett239BXVKqvbCNnv7PMLAWm2o5SS")
	authority := solana.MustPublicKeyFromBase58("GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18")

	first, _, _ := cache.Find(pda.V2, pda.MagicBlockProgramID, target, signer, authority)
	again, _, _ := cache.Find(pda.V2, pda.MagicBlockProgramID, target, signer, authority) // lock-free hit
	fmt.Println(first == again, first)
	// Output: true fXjPizwNXPvtsM8evwsWF4JNJB65zMpASQjHY7KX72Y
}

func ExampleAddress() {
	target := solana.MustPublicKeyFromBase58("GzipU9TY7QLaQtkrxqgorbSaUppeiye4gDW7xNfcaacR")
	signer := solana.MustPublicKeyFromBase58("3ukGCsTbaXHNYZ3Ett239BXVKqvbCNnv7PMLAWm2o5SS")
	authority := solana.MustPublicKeyFromBase58("GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18")

	// With a bump remembered from an earlier Find, one hash suffices.
	addr, err := pda.Address(pda.V2, pda.MagicBlockProgramID, target, signer, authority, 252)
	fmt.Println(addr, err)
	// Output: fXjPizwNXPvtsM8evwsWF4JNJB65zMpASQjHY7KX72Y <nil>
}
