package spl_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/spl"
)

// A token top-up: create the session signer's associated token account, paid by the
// wallet, and move 50 tokens (6 decimals) into it with a checked transfer.
func Example_topUp() {
	wallet := solana.MustPublicKeyFromBase58("9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM")
	signer := solana.MustPublicKeyFromBase58("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T")
	mint := solana.MustPublicKeyFromBase58("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
	create, _ := spl.CreateIdempotent(wallet, signer, mint, spl.TokenProgramID)
	from, _ := spl.AssociatedTokenAddress(wallet, mint, spl.TokenProgramID)
	to, _ := spl.AssociatedTokenAddress(signer, mint, spl.TokenProgramID)
	transfer, _ := spl.TransferChecked(spl.TokenProgramID, from, mint, to, wallet, 50_000_000, 6)
	data, _ := transfer.Data()
	fmt.Println(create.ProgramID() == spl.AssociatedTokenProgramID, len(create.Accounts()))
	fmt.Printf("%x\n", data)
	// Output:
	// true 6
	// 0c80f0fa020000000006
}
