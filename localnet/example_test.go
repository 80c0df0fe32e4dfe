package localnet_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/localnet"
)

// Start a throwaway cluster with a program loaded at a fixed address and a
// funded key, send a transfer and read the result.
func ExampleStart() {
	ctx := context.Background()
	program, err := localnet.ProgramFile(
		solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5"),
		"program/gplsession/gpl_session.so")
	if err != nil {
		log.Fatal(err)
	}
	alice := solana.NewWallet().PrivateKey
	n, err := localnet.Start(ctx,
		localnet.WithPrograms(program),
		localnet.WithFunded(alice.PublicKey(), 2*solana.LAMPORTS_PER_SOL),
	)
	if err != nil {
		log.Fatal(err) // a *localnet.StartError carries the runtime's output
	}
	defer n.Close()

	bob := solana.NewWallet().PublicKey()
	transfer := system.NewTransferInstruction(1_000_000, alice.PublicKey(), bob).Build()
	if _, err := n.Send(ctx, alice, []solana.Instruction{transfer}); err != nil {
		log.Fatal(err)
	}
	bal, err := n.RPC().GetBalance(ctx, bob, rpc.CommitmentConfirmed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bal.Value)
}

// Expiry tests move the cluster clock instead of waiting.
func ExampleNet_WarpTime() {
	ctx := context.Background()
	n, err := localnet.Start(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()
	now, err := n.ClusterTime(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := n.WarpTime(ctx, now.Add(24*time.Hour)); err != nil {
		log.Fatal(err) // wraps localnet.ErrUnsupported on solana-test-validator
	}
}
