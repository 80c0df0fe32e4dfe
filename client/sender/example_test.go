package sender_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

func ExampleSender_Send() {
	ctx := context.Background()
	s, err := sender.New(sender.NewRPCClient("http://127.0.0.1:8899", nil),
		sender.WithWebSocket("ws://127.0.0.1:8900"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	from, err := txn.GenerateSessionKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	// CompileLegacy never writes into the instructions, so every signing may share them.
	ix := system.NewTransferInstruction(1_000_000, from.PublicKey(), solana.NewWallet().PublicKey()).Build()
	res, err := s.Send(ctx, func(blockhash solana.Hash) ([]byte, error) {
		msg, err := txn.CompileLegacy(from.PublicKey(), blockhash, ix)
		if err != nil {
			return nil, err
		}
		return msg.Sign(from)
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
