// Package spl builds the stock Solana programs' instructions a session needs — SPL Token
// and Token-2022, Associated Token Account, Memo — and decodes their accounts.
package spl

import (
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// Program ids of the stock programs.
var (
	TokenProgramID           = solana.MustPublicKeyFromBase58("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
	Token2022ProgramID       = solana.MustPublicKeyFromBase58("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
	AssociatedTokenProgramID = solana.MustPublicKeyFromBase58("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
	MemoProgramID            = solana.MustPublicKeyFromBase58("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
)

// IsTokenProgram reports whether id is SPL Token or Token-2022, the two programs whose
// instruction layouts this package reads and writes.
func IsTokenProgram(id solana.PublicKey) bool {
	return id == TokenProgramID || id == Token2022ProgramID
}

// AssociatedTokenAddress is the associated token account of owner for mint under
// tokenProgram (Token or Token-2022): the PDA of [owner, tokenProgram, mint] under the
// Associated Token program.
func AssociatedTokenAddress(owner, mint, tokenProgram solana.PublicKey) (solana.PublicKey, error) {
	if !IsTokenProgram(tokenProgram) {
		return solana.PublicKey{}, fmt.Errorf("spl: %s is not a token program", tokenProgram)
	}
	addr, _, err := solana.FindProgramAddress(
		[][]byte{owner[:], tokenProgram[:], mint[:]}, AssociatedTokenProgramID)
	if err != nil {
		return solana.PublicKey{}, fmt.Errorf("spl: associated token address: %w", err)
	}
	return addr, nil
}
