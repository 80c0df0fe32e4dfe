package txn_test

import (
	"bytes"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

var program = solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi")

func ExampleCompileLegacy() {
	key, _ := txn.NewSessionKey(make([]byte, 32)) // load from the keystore in real code
	ix := solana.NewInstruction(program, solana.AccountMetaSlice{
		solana.NewAccountMeta(key.PublicKey(), true, true),
	}, []byte{1})
	msg, err := txn.CompileLegacy(key.PublicKey(), solana.Hash{}, ix)
	if err != nil {
		fmt.Println(err)
		return
	}
	wire, err := msg.Sign(key)
	fmt.Println(len(wire), msg.Signers()[0] == key.PublicKey(), err)
	fmt.Println(key)
	// Output:
	// 171 true <nil>
	// SessionKey(4zvwRjXUKGfvwnParsHAS3HuSVzV5cA4McphgmoCtajS)
}

// A SessionKey prints as its public key with every verb, so it is safe in logs and
// errors; Zero wipes it when it is no longer needed.
func ExampleSessionKey_String() {
	key, err := txn.NewSessionKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer key.Zero()
	fmt.Printf("%v\n%x\n", key, key)
	// Output:
	// SessionKey(GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB)
	// SessionKey(GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB)
}
