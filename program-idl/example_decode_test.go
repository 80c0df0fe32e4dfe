package programidl_test

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	programidl "github.com/sessionkit/sessionkit/program-idl"
)

func ExampleIDL_DecodeInstruction() {
	idl, err := programidl.Session()
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := client.NewCreateSession(client.CreateSessionAccounts{
		SessionSigner: solana.MustPublicKeyFromBase58("9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu"),
		Authority:     solana.MustPublicKeyFromBase58("AKnL4NNf3DGWZJS6cPknBuEGnVsV4A4m5tgebLHaRSZ9"),
		TargetProgram: solana.MustPublicKeyFromBase58("B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi"),
	}, client.CreateArgs{TopUp: new(true), Lamports: new(uint64(5_000_000))})
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := ix.Data()
	var keys []solana.PublicKey
	for _, m := range ix.Accounts() {
		keys = append(keys, m.PublicKey)
	}

	d, err := idl.DecodeInstruction(data, keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Name())
	for _, a := range d.Args {
		fmt.Printf("  %s: %s = %s\n", a.Name, a.Type, programidl.FormatValue(a.Value))
	}
	for _, a := range d.Accounts {
		fmt.Printf("  %-14s %s\n", a.Name, a.Key)
	}

	// Malformed data is a *DecodeError naming the value and the byte.
	data[9] = 2
	_, err = idl.DecodeInstruction(data, keys)
	fmt.Println(err, errors.Is(err, programidl.ErrInvalidBool))
	// Output:
	// create_session
	//   top_up: option<bool> = true
	//   valid_until: option<i64> = None
	//   lamports: option<u64> = 5000000
	//   session_token  FsJq4jEtRaPyhBcYnA8Lnxet4UdXaGnQPDtuPmqCVTps
	//   session_signer 9hSR6S7WPtxmTojgo6GG3k4yDPecgJY292j7xrsUGWBu
	//   authority      AKnL4NNf3DGWZJS6cPknBuEGnVsV4A4m5tgebLHaRSZ9
	//   target_program B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi
	//   system_program 11111111111111111111111111111111
	// programidl: invalid bool: create_session.top_up at byte 9: byte 2 true
}

// A policy that names the target program's instructions finds each one's discriminator
// by name, and the instruction again from the data of an instruction it is shown.
func ExampleIDL_InstructionOf() {
	game, err := programidl.ExampleGame()
	if err != nil {
		fmt.Println(err)
		return
	}
	allowed, _ := game.Instruction("move_player")
	fmt.Printf("allow %s: data starts %x\n", allowed.Name, allowed.Discriminator)

	for _, data := range [][]byte{
		{17, 58, 68, 221, 186, 117, 140, 231, 2},
		{114, 27, 219, 144, 50, 15, 228, 66},
		{1, 2, 3},
	} {
		ix, err := game.InstructionOf(data)
		switch {
		case err != nil:
			fmt.Println("refuse:", err)
		case ix != allowed:
			fmt.Println("refuse:", ix.Name)
		default:
			fmt.Println("accept:", ix.Name)
		}
	}
	// Output:
	// allow move_player: data starts 113a44ddba758ce7
	// accept: move_player
	// refuse: init_player
	// refuse: programidl: unknown instruction discriminator at byte 0: data starts 010203
}
