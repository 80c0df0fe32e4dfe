package programidl_test

import (
	"fmt"

	programidl "github.com/sessionkit/sessionkit/program-idl"
)

func ExampleSession() {
	idl, err := programidl.Session()
	if err != nil {
		fmt.Println(err)
		return
	}
	ix, err := idl.Instruction("create_session")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %x\n", ix.Name, ix.Discriminator)
	for _, a := range ix.Accounts {
		fmt.Printf("  %-15s writable=%-5t signer=%t\n", a.Name, a.Writable, a.Signer)
	}
	for _, arg := range ix.Args {
		fmt.Printf("  %s: %s\n", arg.Name, arg.Type)
	}
	// Output:
	// create_session f2c18fb396197ae3
	//   session_token   writable=true  signer=false
	//   session_signer  writable=true  signer=true
	//   authority       writable=true  signer=true
	//   target_program  writable=false signer=false
	//   system_program  writable=false signer=false
	//   top_up: option<bool>
	//   valid_until: option<i64>
	//   lamports: option<u64>
}

func ExampleIDL_FixedSize() {
	idl, _ := programidl.Session()
	for _, name := range []string{"SessionToken", "SessionTokenV2"} {
		acc, _ := idl.Account(name)
		body, _ := idl.FixedSize(programidl.Type{Kind: programidl.KindDefined, Name: name})
		fmt.Printf("%s: %d-byte discriminator + %d = %d bytes\n", name, len(acc.Discriminator), body, len(acc.Discriminator)+body)
	}
	// Output:
	// SessionToken: 8-byte discriminator + 104 = 112 bytes
	// SessionTokenV2: 8-byte discriminator + 136 = 144 bytes
}
