package grant_test

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
)

func Example() {
	g, err := grant.Parse([]byte(`{
	  "version": 1,
	  "targetProgram": "G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd",
	  "permissions": [
	    {"type": "max-uses", "data": {"count": 100}},
	    {"type": "native-token-limit", "data": {"total": "10000000"}}
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	canonical, _ := g.Canonical()
	fmt.Println(string(canonical))
	hash, _ := g.Hash()
	authority := solana.MustPublicKeyFromBase58("5YNmS1R9nNSCDzb5a7mMJ1dwK9uHeAAF4CmPEwKgVWr8")
	memo, _ := grant.Memo(authority, hash).Data()
	fmt.Println(string(memo))
	// Output:
	// {"version":1,"targetProgram":"G4meqkGx8ZDjXsYfQ1pSpyzBC1bU6n6YFqzQ6Xx6AfTd","permissions":[{"type":"native-token-limit","data":{"total":"10000000"}},{"type":"max-uses","data":{"count":100}}]}
	// sessionkit-grant-v1 sha256:1d16f054d22cf43c1d3f01c58db052b888700b2946e8286d6b0fab3876b7e3b9
}
