package sender_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client/sender"
)

func ExampleSender_Send() {
	ctx := context.Background()
	s, err := sender.New(sender.NewRPCClient("http://127.0.0.1:8899", nil),
		sender.WithWebSocket("ws://127.0.0.1:8900"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	from, to := solana.NewWallet().PrivateKey, solana.NewWallet().PublicKey()
	res, err := s.Send(ctx, func(blockhash solana.Hash) (*solana.Transaction, error) {
		// New instructions on every call: a re-signed transaction must not share them.
		ix := system.NewTransferInstruction(1_000_000, from.PublicKey(), to).Build()
		tx, err := solana.NewTransaction([]solana.Instruction{ix}, blockhash, solana.TransactionPayer(from.PublicKey()))
		if err != nil {
			return nil, err
		}
		_, err = tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey {
			if pk == from.PublicKey() {
				return &from
			}
			return nil
		})
		return tx, err
	})

	var txErr *sender.FailedError
	var sendErr *sender.SendError
	switch {
	case err == nil:
		fmt.Println("landed", res.Signature, "in slot", res.Slot)
	case errors.As(err, &txErr):
		fmt.Println("program refused the move:", txErr.Err, txErr.Logs)
	case errors.Is(err, sender.ErrOutcomeUnknown) && errors.As(err, &sendErr):
		fmt.Println("may have landed; look up", sendErr.Signatures)
	case errors.Is(err, sender.ErrBlockhashExpired):
		fmt.Println("not applied; safe to try again")
	default:
		fmt.Println("not applied:", err)
	}
}

func ExampleNewBlockhashCache() {
	client := sender.NewRPCClient("http://127.0.0.1:8899", nil)
	// One cache for every Sender of the process: one getLatestBlockhash per second.
	cache, err := sender.NewBlockhashCache(client)
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close()
	for range 4 {
		s, err := sender.New(client, sender.WithBlockhashCache(cache))
		if err != nil {
			log.Fatal(err)
		}
		defer s.Close()
	}
}
