package deploy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/localnet/deploy"
)

func ExampleProgramDataAddress() {
	fmt.Println(deploy.ProgramDataAddress(solana.TokenProgramID))
	// Output: 3gvYRKWyXRR9xKWe1ZjPhLY5ZJRN7KDB4rFZFGoJfFk2
}

// Deploy a program under a fresh keypair on any cluster, here a local one.
func ExampleDeploy() {
	ctx := context.Background()
	client := rpc.New("http://127.0.0.1:8899")
	payer, err := solana.PrivateKeyFromSolanaKeygenFile(os.ExpandEnv("$HOME/.config/solana/id.json"))
	if err != nil {
		log.Fatal(err)
	}
	elf, err := os.ReadFile("program/build/my_program.so")
	if err != nil {
		log.Fatal(err)
	}
	program := solana.NewWallet().PrivateKey
	id, err := deploy.Deploy(ctx, client, payer, program, elf, deploy.Params{})
	if err != nil {
		log.Fatal(err) // a *deploy.Error names the failed step
	}
	fmt.Println("deployed", id)
}
