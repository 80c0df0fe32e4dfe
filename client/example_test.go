package client_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

var (
	wallet     = solana.MustPublicKeyFromBase58("GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18")
	gameID     = solana.MustPublicKeyFromBase58("GzipU9TY7QLaQtkrxqgorbSaUppeiye4gDW7xNfcaacR")
	sessionKey = solana.MustPublicKeyFromBase58("3ukGCsTbaXHNYZ3Ett239BXVKqvbCNnv7PMLAWm2o5SS")
)

func ExampleNewCreateSession() {
	clusterTime := int64(1_700_000_000) // from the Clock sysvar, not time.Now()
	ix, err := client.NewCreateSession(
		client.CreateSessionAccounts{SessionSigner: sessionKey, Authority: wallet, TargetProgram: gameID},
		client.CreateArgs{TopUp: new(true), ClusterTime: clusterTime, ValidFor: time.Hour},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, _ := ix.Data()
	fmt.Printf("%x\n", data)
	for _, m := range ix.Accounts() {
		fmt.Println(m.PublicKey, m.IsWritable, m.IsSigner)
	}
	// Output:
	// f2c18fb396197ae301010110ff53650000000000
	// KCwkH79saFdpsxENH7GzMCpt42Xdh1ovYdAwwJsNYzQ true false
	// 3ukGCsTbaXHNYZ3Ett239BXVKqvbCNnv7PMLAWm2o5SS true true
	// GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18 true true
	// GzipU9TY7QLaQtkrxqgorbSaUppeiye4gDW7xNfcaacR false false
	// 11111111111111111111111111111111 false false
}

func ExampleNewCreateSession_validityTooLong() {
	_, err := client.NewCreateSession(client.CreateSessionAccounts{SessionSigner: sessionKey, Authority: wallet, TargetProgram: gameID}, client.CreateArgs{ClusterTime: 1_700_000_000, ValidFor: 8 * 24 * time.Hour})
	fmt.Println(errors.Is(err, client.ErrValidityTooLong))
	// Output: true
}

func ExampleEffectiveCreate() {
	eff, err := client.EffectiveCreate(client.CreateArgs{TopUp: new(true), ClusterTime: 1_700_000_000})
	fmt.Println(eff.TopUpLamports, eff.ValidUntil, err)
	// Output: 10000000 1700003600 <nil>
}

func ExampleTokenAccount_RevokeNeedsAuthority() {
	tok := client.SessionTokenV2{Authority: wallet, TargetProgram: gameID, SessionSigner: sessionKey,
		FeePayer: wallet, ValidUntil: 1_700_003_600}.TokenAccount()
	addr, _, _ := tok.Address(pda.MagicBlockProgramID)
	for _, now := range []int64{1_700_003_600, 1_700_003_601} {
		ix, _ := client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: addr, FeePayer: tok.FeePayer, Authority: tok.Authority}, client.RevokeArgs{AuthorityUnsigned: !tok.RevokeNeedsAuthority(now)})
		fmt.Println(now, "authority signs:", ix.Accounts()[2].IsSigner)
	}
	// Output:
	// 1700003600 authority signs: true
	// 1700003601 authority signs: false
}

func ExampleDecodeToken() {
	data, _ := client.SessionToken{Authority: wallet, TargetProgram: gameID, SessionSigner: sessionKey, ValidUntil: 1_700_003_600}.MarshalBinary()
	owner := pda.MagicBlockProgramID // from getAccountInfo

	tok, err := client.DecodeToken(pda.MagicBlockProgramID, owner, data)
	fmt.Println(tok.Version, tok.Authority, tok.ValidUntil, err)

	_, err = client.DecodeToken(pda.MagicBlockProgramID, solana.SystemProgramID, data)
	fmt.Println(errors.Is(err, client.ErrWrongOwner))
	// Output:
	// v1 GimJrr2WjB3Zb1smYELHnnd1DoeLHVkY2HD3pT2KBZ18 1700003600 <nil>
	// true
}

func ExampleParseTransactionError() {
	// The Err field of a GetSignatureStatuses or SimulateTransaction result.
	var statusErr any = map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 6003.0}}}
	err := client.ParseTransactionError(statusErr, nil)
	fmt.Println(errors.Is(err, client.ErrInvalidAuthority))
	fmt.Println(err)

	err = client.ParseTransactionError(json.RawMessage(`{"InstructionError":[1,{"Custom":0}]}`), nil)
	fmt.Println(errors.Is(err, txn.ErrAccountInUse))
	// Output:
	// true
	// txn: instruction 0: custom program error 6003 (0x1773) InvalidAuthority: Invalid authority
	// true
}

func ExampleValidateSessionToken() {
	const clusterTime = 1_700_000_000
	data, _ := client.SessionToken{Authority: wallet, TargetProgram: gameID, SessionSigner: sessionKey, ValidUntil: clusterTime + 60}.MarshalBinary()
	addr, _, _ := pda.SessionToken(pda.MagicBlockProgramID, gameID, sessionKey, wallet)

	want := client.Expected{
		Version:       pda.V1,
		TargetProgram: gameID,
		SessionSigner: sessionKey,
		Authority:     wallet,
		ClusterTime:   clusterTime,
		Signers:       []solana.PublicKey{sessionKey},
	}
	_, err := client.ValidateSessionToken(addr, pda.MagicBlockProgramID, data, want)
	fmt.Println(err)

	want.ClusterTime += 60
	_, err = client.ValidateSessionToken(addr, pda.MagicBlockProgramID, data, want)
	fmt.Println(errors.Is(err, client.ErrExpired))
	// Output:
	// <nil>
	// true
}
