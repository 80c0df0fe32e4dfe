package sender_test

import (
	"encoding/binary"
	"fmt"
	"log"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// A transaction's fees follow from its message alone: 5,000 lamports per signature and
// the unit price times the unit limit, rounded up to a lamport.
func ExampleTransactionFees() {
	payer := solana.MustPublicKeyFromBase58("9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin")
	limit := []byte{2, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(limit[1:], 30_000)
	price := make([]byte, 9)
	price[0] = 3
	binary.LittleEndian.PutUint64(price[1:], 2_500)
	msg, err := txn.CompileLegacy(payer, solana.Hash{1},
		system.NewTransferInstruction(1, payer, solana.SystemProgramID).Build(),
		solana.NewInstruction(solana.ComputeBudget, nil, limit),
		solana.NewInstruction(solana.ComputeBudget, nil, price))
	if err != nil {
		log.Fatal(err)
	}
	wire, err := msg.Assemble(make([]solana.Signature, 1))
	if err != nil {
		log.Fatal(err)
	}
	f, err := sender.TransactionFees(wire)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Base, f.Priority, f.Total())
	// Output: 5000 75 5075
}

// Several Senders share one estimator (WithFeeEstimator), so a set of accounts is read
// once for all of them; zero fields of the policy take the defaults.
func ExampleNewFeeEstimator() {
	client := sender.NewRPCClient("http://127.0.0.1:8899", nil)
	fees, err := sender.NewFeeEstimator(client, sender.FeePolicy{Floor: 100, Ceiling: 5_000, MaxLamports: 2_000})
	if err != nil {
		log.Fatal(err)
	}
	defer fees.Close()
	p := fees.Policy()
	fmt.Println(p.Percentile, p.RaisePercent, p.Refresh, p.MaxAge)
	// Output: 75 50 2s 30s
}
