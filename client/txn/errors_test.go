package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
)

const (
	sessionProgram = "KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5"
	gameProgram    = "Game111111111111111111111111111111111111111"
)

// Logs in the shape the runtime and Anchor print them.
var (
	duplicateCreateLogs = []string{
		"Program " + sessionProgram + " invoke [1]",
		"Program log: Instruction: CreateSession",
		"Program 11111111111111111111111111111111 invoke [2]",
		"Allocate: account Address { address: 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin, base: None } already in use",
		"Program 11111111111111111111111111111111 failed: custom program error: 0x0",
		"Program " + sessionProgram + " consumed 7241 of 200000 compute units",
		"Program " + sessionProgram + " failed: custom program error: 0x0",
	}
	validityLogs = []string{
		"Program " + sessionProgram + " invoke [1]",
		"Program log: Instruction: CreateSession",
		"Program log: AnchorError thrown in programs/gpl_session/src/lib.rs:215. Error Code: ValidityTooLong. Error Number: 6000. Error Message: Requested validity is too long.",
		"Program " + sessionProgram + " consumed 9000 of 200000 compute units",
		"Program " + sessionProgram + " failed: custom program error: 0x1770",
	}
	seedsLogs = []string{
		"Program " + sessionProgram + " invoke [1]",
		"Program log: AnchorError caused by account: session_token. Error Code: ConstraintSeeds. Error Number: 2006. Error Message: A seeds constraint was violated.",
		"Program log: Left:",
		"Program log: 9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
		"Program " + sessionProgram + " failed: custom program error: 0x7d6",
	}
	gameInvalidTokenLogs = []string{
		"Program " + gameProgram + " invoke [1]",
		"Program log: AnchorError thrown in programs/game/src/lib.rs:40. Error Code: InvalidToken. Error Number: 6001. Error Message: Invalid session token.",
		"Program " + gameProgram + " failed: custom program error: 0x1771",
	}
	gameOwnErrorLogs = []string{
		"Program " + gameProgram + " invoke [1]",
		"Program log: AnchorError occurred. Error Code: Cheater. Error Number: 6000. Error Message: No cheating.",
		"Program " + gameProgram + " failed: custom program error: 0x1770",
	}
	tokenProgramLogs = []string{
		"Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [1]",
		"Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1",
	}
)

// Codes of a program like gpl_session, as its client would declare them.
var (
	ErrValidityTooLong  = NewErrorCode(6000, "ValidityTooLong", "Requested validity is too long", "test: validity")
	ErrInvalidToken     = NewErrorCode(6001, "InvalidToken", "Invalid session token", "test: invalid token")
	ErrNoToken          = NewErrorCode(6002, "NoToken", "No session token provided", "test: no token")
	ErrInvalidAuthority = NewErrorCode(6003, "InvalidAuthority", "Invalid authority", "test: invalid authority")
	testParser          = NewParser(ErrValidityTooLong, ErrInvalidToken, ErrNoToken, ErrInvalidAuthority)
)

func custom(idx, code float64) map[string]any {
	return map[string]any{"InstructionError": []any{idx, map[string]any{"Custom": code}}}
}

func TestParseProgramErrors(t *testing.T) {
	sysID := solana.SystemProgramID
	sessID := pda.MagicBlockProgramID
	gameID := solana.MustPublicKeyFromBase58(gameProgram)
	tokenID := solana.TokenProgramID
	tests := []struct {
		name     string
		v        any
		logs     []string
		idx      int
		code     uint32
		errName  string
		sentinel error
		program  *solana.PublicKey
		account  string
	}{
		{"6000", custom(0, 6000), nil, 0, 6000, "ValidityTooLong", ErrValidityTooLong, nil, ""},
		{"6001", custom(1, 6001), nil, 1, 6001, "InvalidToken", ErrInvalidToken, nil, ""},
		{"6002", custom(0, 6002), nil, 0, 6002, "NoToken", ErrNoToken, nil, ""},
		{"6003", custom(2, 6003), nil, 2, 6003, "InvalidAuthority", ErrInvalidAuthority, nil, ""},
		{"101", custom(0, 101), nil, 0, 101, "InstructionFallbackNotFound", ErrInstructionFallbackNotFound, nil, ""},
		{"102", custom(0, 102), nil, 0, 102, "InstructionDidNotDeserialize", ErrInstructionDidNotDeserialize, nil, ""},
		{"2000", custom(0, 2000), nil, 0, 2000, "ConstraintMut", ErrConstraintMut, nil, ""},
		{"2001", custom(0, 2001), nil, 0, 2001, "ConstraintHasOne", ErrConstraintHasOne, nil, ""},
		{"2006", custom(0, 2006), nil, 0, 2006, "ConstraintSeeds", ErrConstraintSeeds, nil, ""},
		{"2007", custom(0, 2007), nil, 0, 2007, "ConstraintExecutable", ErrConstraintExecutable, nil, ""},
		{"3002", custom(0, 3002), nil, 0, 3002, "AccountDiscriminatorMismatch", ErrAccountDiscriminatorMismatch, nil, ""},
		{"3007", custom(0, 3007), nil, 0, 3007, "AccountOwnedByWrongProgram", ErrAccountOwnedByWrongProgram, nil, ""},
		{"3010", custom(0, 3010), nil, 0, 3010, "AccountNotSigner", ErrAccountNotSigner, nil, ""},
		{"3011", custom(0, 3011), nil, 0, 3011, "AccountNotSystemOwned", ErrAccountNotSystemOwned, nil, ""},
		{"3012", custom(0, 3012), nil, 0, 3012, "AccountNotInitialized", ErrAccountNotInitialized, nil, ""},
		{"4100", custom(0, 4100), nil, 0, 4100, "DeclaredProgramIdMismatch", ErrDeclaredProgramIDMismatch, nil, ""},
		{"3005 has a name, no sentinel", custom(0, 3005), nil, 0, 3005, "AccountNotEnoughKeys", nil, nil, ""},
		{"duplicate create without logs", custom(0, 0), nil, 0, 0, "AccountAlreadyInUse", ErrAccountInUse, nil, ""},
		{"no funds without logs", custom(1, 1), nil, 1, 1, "ResultWithNegativeLamports", ErrInsufficientFunds, nil, ""},
		{"unknown low code without logs", custom(0, 7), nil, 0, 7, "", nil, nil, ""},
		{"duplicate create with logs", custom(0, 0), duplicateCreateLogs, 0, 0, "AccountAlreadyInUse", ErrAccountInUse, &sysID, ""},
		{"anchor log", custom(0, 6000), validityLogs, 0, 6000, "ValidityTooLong", ErrValidityTooLong, &sessID, ""},
		{"anchor account log", custom(0, 2006), seedsLogs, 0, 2006, "ConstraintSeeds", ErrConstraintSeeds, &sessID, "session_token"},
		{"session error raised by the target", custom(1, 6001), gameInvalidTokenLogs, 1, 6001, "InvalidToken", ErrInvalidToken, &gameID, ""},
		{"target's own 6000", custom(1, 6000), gameOwnErrorLogs, 1, 6000, "Cheater", nil, &gameID, ""},
		{"another program's Custom(1)", custom(0, 1), tokenProgramLogs, 0, 1, "", nil, &tokenID, ""},
		{"json.Number", map[string]any{"InstructionError": []any{json.Number("3"), map[string]any{"Custom": json.Number("6003")}}}, nil, 3, 6003, "InvalidAuthority", ErrInvalidAuthority, nil, ""},
		{"raw JSON", json.RawMessage(`{"InstructionError":[4,{"Custom":2006}]}`), nil, 4, 2006, "ConstraintSeeds", ErrConstraintSeeds, nil, ""},
		{"JSON bytes", []byte(` {"InstructionError": [255, {"Custom": 4294967295}]} `), nil, 255, 4294967295, "", nil, nil, ""},
		{"Go integers", map[string]any{"InstructionError": []any{2, map[string]any{"Custom": uint32(6000)}}}, nil, 2, 6000, "ValidityTooLong", ErrValidityTooLong, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testParser.TransactionError(tt.v, tt.logs)
			var pe *ProgramError
			require.True(t, errors.As(err, &pe), "%T %v", err, err)
			require.Equal(t, tt.idx, pe.InstructionIndex)
			require.Equal(t, tt.code, pe.Code)
			require.Equal(t, tt.errName, pe.Name)
			require.Equal(t, tt.program, pe.ProgramID)
			require.Equal(t, tt.account, pe.Account)
			require.Equal(t, tt.logs, pe.Logs)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			} else {
				require.Nil(t, errors.Unwrap(err))
			}
			require.NotErrorIs(t, err, ErrBlockhashNotFound)
		})
	}
}

func TestProgramErrorMessage(t *testing.T) {
	err := testParser.TransactionError(custom(0, 2006), seedsLogs)
	require.EqualError(t, err, "txn: instruction 0: custom program error 2006 (0x7d6) ConstraintSeeds: A seeds constraint was violated (account session_token) [program "+sessionProgram+"]")
	err = testParser.TransactionError(custom(1, 6000), nil)
	require.EqualError(t, err, "txn: instruction 1: custom program error 6000 (0x1770) ValidityTooLong: Requested validity is too long")
	err = testParser.TransactionError(custom(0, 6060), nil)
	require.EqualError(t, err, "txn: instruction 0: custom program error 6060 (0x17ac)")
}

// A parser without the program's codes leaves them unnamed, yet errors.Is still
// matches the program's sentinels, except where the logs name another error.
func TestErrorCodeMatchesUnnamed(t *testing.T) {
	err := ParseTransactionError(custom(1, 6001), nil)
	var pe *ProgramError
	require.True(t, errors.As(err, &pe))
	require.Empty(t, pe.Name)
	require.ErrorIs(t, err, ErrInvalidToken)
	require.NotErrorIs(t, err, ErrValidityTooLong)
	require.EqualError(t, err, "txn: instruction 1: custom program error 6001 (0x1771)")

	require.ErrorIs(t, ParseTransactionError(custom(1, 6001), gameInvalidTokenLogs), ErrInvalidToken)
	require.NotErrorIs(t, ParseTransactionError(custom(1, 6000), gameOwnErrorLogs), ErrValidityTooLong)
	require.NotErrorIs(t, ParseTransactionError(custom(0, 0), duplicateCreateLogs), NewErrorCode(0, "X", "", ""))
	require.Equal(t, uint32(6001), ErrInvalidToken.Code())
	require.Equal(t, "InvalidToken", ErrInvalidToken.Name())
	require.EqualError(t, ErrInvalidToken, "test: invalid token")
}

func TestParseOtherErrors(t *testing.T) {
	tests := []struct {
		name     string
		v        any
		want     error // typed value expected (Logs nil)
		sentinel error
	}{
		{"missing signature", map[string]any{"InstructionError": []any{1.0, "MissingRequiredSignature"}},
			&InstructionError{InstructionIndex: 1, Name: "MissingRequiredSignature"}, nil},
		{"insufficient funds", map[string]any{"InstructionError": []any{0.0, "InsufficientFunds"}},
			&InstructionError{InstructionIndex: 0, Name: "InsufficientFunds"}, ErrInsufficientFunds},
		{"object variant", map[string]any{"InstructionError": []any{2.0, map[string]any{"BorshIoError": "Unknown"}}},
			&InstructionError{InstructionIndex: 2, Name: "BorshIoError", Detail: `"Unknown"`}, nil},
		{"blockhash", "BlockhashNotFound", &TransactionError{Name: "BlockhashNotFound"}, ErrBlockhashNotFound},
		{"already processed", "AlreadyProcessed", &TransactionError{Name: "AlreadyProcessed"}, ErrAlreadyProcessed},
		{"no fee payer", "AccountNotFound", &TransactionError{Name: "AccountNotFound"}, ErrInsufficientFunds},
		{"fee", "InsufficientFundsForFee", &TransactionError{Name: "InsufficientFundsForFee"}, ErrInsufficientFunds},
		{"rent", map[string]any{"InsufficientFundsForRent": map[string]any{"account_index": 2.0}},
			&TransactionError{Name: "InsufficientFundsForRent", Detail: `{"account_index":2}`}, ErrInsufficientFunds},
		{"duplicate instruction", json.RawMessage(`{"DuplicateInstruction":0}`),
			&TransactionError{Name: "DuplicateInstruction", Detail: "0"}, nil},
		{"number", 5.0, &TransactionError{Detail: "5"}, nil},
		{"list", []any{"a"}, &TransactionError{Detail: `["a"]`}, nil},
		{"two keys", map[string]any{"A": 1.0, "B": 2.0}, &TransactionError{Detail: `{"A":1,"B":2}`}, nil},
		{"index too big", custom(256, 6000), &TransactionError{Detail: `{"InstructionError":[256,{"Custom":6000}]}`}, nil},
		{"negative index", custom(-1, 6000), &TransactionError{Detail: `{"InstructionError":[-1,{"Custom":6000}]}`}, nil},
		{"fractional code", custom(0, 1.5), &TransactionError{Detail: `{"InstructionError":[0,{"Custom":1.5}]}`}, nil},
		{"code over u32", custom(0, 1<<32), &TransactionError{Detail: `{"InstructionError":[0,{"Custom":4294967296}]}`}, nil},
		{"short pair", map[string]any{"InstructionError": []any{0.0}}, &TransactionError{Detail: `{"InstructionError":[0]}`}, nil},
		{"inner two keys", map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 1.0, "X": 2.0}}},
			&TransactionError{Detail: `{"InstructionError":[0,{"Custom":1,"X":2}]}`}, nil},
		{"bad JSON", []byte(`{"InstructionError":`), &TransactionError{Detail: `"{\"InstructionError\":"`}, nil},
		{"trailing JSON", []byte(`"AlreadyProcessed" 1`), &TransactionError{Detail: `"\"AlreadyProcessed\" 1"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ParseTransactionError(tt.v, nil)
			require.Equal(t, tt.want, err)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			} else {
				require.Nil(t, errors.Unwrap(err))
			}
		})
	}
}

func TestParseNil(t *testing.T) {
	require.NoError(t, ParseTransactionError(nil, []string{"log"}))
	require.NoError(t, ParseTransactionError(json.RawMessage("null"), nil))
	require.NoError(t, ParseSimulation(nil))
	require.NoError(t, ParseSimulation(&rpc.SimulateTransactionResult{Logs: []string{"ok"}}))
}

func TestErrorStrings(t *testing.T) {
	require.EqualError(t, ParseTransactionError("BlockhashNotFound", nil), "txn: transaction failed: BlockhashNotFound")
	require.EqualError(t, ParseTransactionError(map[string]any{"InsufficientFundsForRent": map[string]any{"account_index": 1.0}}, nil),
		`txn: transaction failed: InsufficientFundsForRent {"account_index":1}`)
	require.EqualError(t, ParseTransactionError(7.0, nil), "txn: transaction failed: 7")
	require.EqualError(t, ParseTransactionError(map[string]any{"InstructionError": []any{1.0, "MissingRequiredSignature"}}, nil),
		"txn: instruction 1: MissingRequiredSignature")
	require.EqualError(t, ParseTransactionError(map[string]any{"InstructionError": []any{1.0, map[string]any{"BorshIoError": "x"}}}, nil),
		`txn: instruction 1: BorshIoError "x"`)
}

func TestParseSimulation(t *testing.T) {
	res := &rpc.SimulateTransactionResult{Err: custom(0, 0), Logs: duplicateCreateLogs}
	err := ParseSimulation(res)
	require.ErrorIs(t, err, ErrAccountInUse)
	var pe *ProgramError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, duplicateCreateLogs, pe.Logs)
}

func TestParseRPCError(t *testing.T) {
	logs := make([]any, len(validityLogs))
	for i, l := range validityLogs {
		logs[i] = l
	}
	preflight := &jsonrpc.RPCError{
		Code:    -32002,
		Message: "Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1770",
		Data: map[string]any{
			"accounts": nil,
			"err":      map[string]any{"InstructionError": []any{json.Number("0"), map[string]any{"Custom": json.Number("6000")}}},
			"logs":     logs,
		},
	}
	err := testParser.RPCError(fmt.Errorf("send transaction: %w", preflight))
	require.ErrorIs(t, err, ErrValidityTooLong)
	var pe *ProgramError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, validityLogs, pe.Logs)
	require.Equal(t, pda.MagicBlockProgramID, *pe.ProgramID)

	raw := &jsonrpc.RPCError{Code: -32002, Data: json.RawMessage(`{"err":"BlockhashNotFound","logs":[]}`)}
	require.ErrorIs(t, ParseRPCError(raw), ErrBlockhashNotFound)

	noData := &jsonrpc.RPCError{Code: -32005, Message: "Node is behind"}
	require.Same(t, noData, ParseRPCError(noData))
	nullErr := &jsonrpc.RPCError{Code: -32002, Data: map[string]any{"err": nil}}
	require.Same(t, nullErr, ParseRPCError(nullErr))
	badRaw := &jsonrpc.RPCError{Code: -32002, Data: []byte(`{`)}
	require.Same(t, badRaw, ParseRPCError(badRaw))
	plain := errors.New("connection refused")
	require.Same(t, plain, ParseRPCError(plain))
	require.NoError(t, ParseRPCError(nil))
}

func FuzzParseTransactionErrorJSON(f *testing.F) {
	for _, s := range []string{
		`{"InstructionError":[0,{"Custom":6000}]}`,
		`{"InstructionError":[3,"MissingRequiredSignature"]}`,
		`{"InstructionError":[1,{"BorshIoError":"x"}]}`,
		`"BlockhashNotFound"`,
		`{"InsufficientFundsForRent":{"account_index":1}}`,
		`null`, `[]`, `{}`, `1e400`, `{"InstructionError":[1e10,{"Custom":-1}]}`,
	} {
		f.Add([]byte(s), "Program log: AnchorError caused by account: x. Error Code: Y. Error Number: 6000. Error Message: Z.")
	}
	f.Add([]byte(`{"InstructionError":[0,{"Custom":0}]}`), "Program 11111111111111111111111111111111 failed: custom program error: 0x0")
	f.Fuzz(func(t *testing.T, data []byte, log string) {
		for _, logs := range [][]string{nil, {log}} {
			err := testParser.TransactionError(data, logs)
			if err == nil {
				continue
			}
			_ = err.Error()
			var pe *ProgramError
			var ie *InstructionError
			var te *TransactionError
			if !errors.As(err, &pe) && !errors.As(err, &ie) && !errors.As(err, &te) {
				t.Fatalf("untyped error %T", err)
			}
			// The same value through the RPC-error path gives the same answer.
			v, _ := decodeJSON(data)
			rpcErr := &jsonrpc.RPCError{Data: map[string]any{"err": v, "logs": toAnySlice(logs)}}
			if got := testParser.RPCError(rpcErr); got != rpcErr && got.Error() != err.Error() {
				t.Fatalf("RPC path: %v, direct: %v", got, err)
			}
		}
	})
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
