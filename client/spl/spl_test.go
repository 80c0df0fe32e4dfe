package spl

import (
	"testing"

	"github.com/gagliardetto/solana-go"
)

func TestAssociatedTokenAddress(t *testing.T) {
	owner := solana.MustPublicKeyFromBase58("9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM")
	mint := solana.MustPublicKeyFromBase58("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v")
	got, err := AssociatedTokenAddress(owner, mint, TokenProgramID)
	if err != nil {
		t.Fatal(err)
	}
	// solana-go's own derivation of the classic Token program's ATA is an independent check.
	want, _, err := solana.FindAssociatedTokenAddress(owner, mint)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("ATA = %s, want %s", got, want)
	}
	other, err := AssociatedTokenAddress(owner, mint, Token2022ProgramID)
	if err != nil {
		t.Fatal(err)
	}
	if other == got {
		t.Fatal("Token-2022 ATA equals the Token ATA")
	}
	if _, err := AssociatedTokenAddress(owner, mint, MemoProgramID); err == nil {
		t.Fatal("memo program accepted as a token program")
	}
}
