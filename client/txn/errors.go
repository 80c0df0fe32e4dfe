package txn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
)

// Anchor framework errors (codes below 6000), raised by any Anchor program.
var (
	// ErrInstructionFallbackNotFound (101): the deployed build lacks the instruction,
	// e.g. create_session_v2 sent to a pre-V2 build.
	ErrInstructionFallbackNotFound = errors.New("txn: instruction not supported by the deployed program")
	// ErrInstructionDidNotDeserialize (102): the instruction arguments did not decode.
	ErrInstructionDidNotDeserialize = errors.New("txn: instruction data did not deserialize")
	// ErrConstraintMut (2000): an account that must be writable was not.
	ErrConstraintMut = errors.New("txn: account must be writable")
	// ErrConstraintHasOne (2001): an account other than the one the program's account
	// records, e.g. a revoke with another authority than the token's.
	ErrConstraintHasOne = errors.New("txn: account does not match the one recorded (has_one)")
	// ErrConstraintSeeds (2006): an account is not at the PDA of its seeds.
	ErrConstraintSeeds = errors.New("txn: account address does not match its seeds")
	// ErrConstraintExecutable (2007): an account that must be a program is not executable.
	ErrConstraintExecutable = errors.New("txn: account is not executable")
	// ErrAccountDiscriminatorMismatch (3002): an account of another type, e.g. a V2
	// session token passed to revoke_session.
	ErrAccountDiscriminatorMismatch = errors.New("txn: account discriminator mismatch")
	// ErrAccountOwnedByWrongProgram (3007): an account is not owned by the program.
	ErrAccountOwnedByWrongProgram = errors.New("txn: account owned by the wrong program")
	// ErrAccountNotSigner (3010): a required signature is missing.
	ErrAccountNotSigner = errors.New("txn: account did not sign")
	// ErrAccountNotSystemOwned (3011): an account that must be a System account (a
	// wallet) is not.
	ErrAccountNotSystemOwned = errors.New("txn: account is not owned by the system program")
	// ErrAccountNotInitialized (3012): the account does not exist (a session token
	// already revoked, say).
	ErrAccountNotInitialized = errors.New("txn: account not initialized")
	// ErrDeclaredProgramIDMismatch (4100): the program at this address was built for
	// another id (e.g. the Gum build deployed elsewhere).
	ErrDeclaredProgramIDMismatch = errors.New("txn: program id mismatch")
)

// Runtime and System Program errors.
var (
	// ErrAccountInUse: the System Program's AccountAlreadyInUse (Custom(0)), e.g.
	// creating a session token that already exists.
	ErrAccountInUse = errors.New("txn: account already in use")
	// ErrInsufficientFunds: a payer lacks lamports for rent, top-up or fees (System
	// ResultWithNegativeLamports, the InsufficientFunds instruction error, and the
	// InsufficientFundsForFee/ForRent and AccountNotFound transaction errors).
	ErrInsufficientFunds = errors.New("txn: insufficient funds")
	// ErrBlockhashNotFound: the transaction's blockhash expired or is unknown to the node.
	ErrBlockhashNotFound = errors.New("txn: blockhash not found")
	// ErrAlreadyProcessed: the same transaction was already processed.
	ErrAlreadyProcessed = errors.New("txn: transaction already processed")
)

type errorInfo struct {
	name, msg string
	sentinel  error
}

// anchorErrors lists Anchor's framework errors that are not specific to token programs.
var anchorErrors = map[uint32]errorInfo{
	100:  {"InstructionMissing", "8 byte instruction identifier not provided", nil},
	101:  {"InstructionFallbackNotFound", "Fallback functions are not supported", ErrInstructionFallbackNotFound},
	102:  {"InstructionDidNotDeserialize", "The program could not deserialize the given instruction", ErrInstructionDidNotDeserialize},
	103:  {"InstructionDidNotSerialize", "The program could not serialize the given instruction", nil},
	2000: {"ConstraintMut", "A mut constraint was violated", ErrConstraintMut},
	2001: {"ConstraintHasOne", "A has one constraint was violated", ErrConstraintHasOne},
	2002: {"ConstraintSigner", "A signer constraint was violated", nil},
	2003: {"ConstraintRaw", "A raw constraint was violated", nil},
	2004: {"ConstraintOwner", "An owner constraint was violated", nil},
	2005: {"ConstraintRentExempt", "A rent exemption constraint was violated", nil},
	2006: {"ConstraintSeeds", "A seeds constraint was violated", ErrConstraintSeeds},
	2007: {"ConstraintExecutable", "An executable constraint was violated", ErrConstraintExecutable},
	2011: {"ConstraintClose", "A close constraint was violated", nil},
	2012: {"ConstraintAddress", "An address constraint was violated", nil},
	2013: {"ConstraintZero", "Expected zero account discriminant", nil},
	2019: {"ConstraintSpace", "A space constraint was violated", nil},
	2020: {"ConstraintAccountIsNone", "A required account for the constraint is None", nil},
	2500: {"RequireViolated", "A require expression was violated", nil},
	2501: {"RequireEqViolated", "A require_eq expression was violated", nil},
	2502: {"RequireKeysEqViolated", "A require_keys_eq expression was violated", nil},
	2503: {"RequireNeqViolated", "A require_neq expression was violated", nil},
	2504: {"RequireKeysNeqViolated", "A require_keys_neq expression was violated", nil},
	2505: {"RequireGtViolated", "A require_gt expression was violated", nil},
	2506: {"RequireGteViolated", "A require_gte expression was violated", nil},
	3000: {"AccountDiscriminatorAlreadySet", "The account discriminator was already set on this account", nil},
	3001: {"AccountDiscriminatorNotFound", "No 8 byte discriminator was found on the account", nil},
	3002: {"AccountDiscriminatorMismatch", "8 byte discriminator did not match what was expected", ErrAccountDiscriminatorMismatch},
	3003: {"AccountDidNotDeserialize", "Failed to deserialize the account", nil},
	3004: {"AccountDidNotSerialize", "Failed to serialize the account", nil},
	3005: {"AccountNotEnoughKeys", "Not enough account keys given to the instruction", nil},
	3006: {"AccountNotMutable", "The given account is not mutable", nil},
	3007: {"AccountOwnedByWrongProgram", "The given account is owned by a different program than expected", ErrAccountOwnedByWrongProgram},
	3008: {"InvalidProgramId", "Program ID was not as expected", nil},
	3009: {"InvalidProgramExecutable", "Program account is not executable", nil},
	3010: {"AccountNotSigner", "The given account did not sign", ErrAccountNotSigner},
	3011: {"AccountNotSystemOwned", "The given account is not owned by the system program", ErrAccountNotSystemOwned},
	3012: {"AccountNotInitialized", "The program expected this account to be already initialized", ErrAccountNotInitialized},
	3013: {"AccountNotProgramData", "The given account is not a program data account", nil},
	3015: {"AccountSysvarMismatch", "The given public key does not match the required sysvar", nil},
	4100: {"DeclaredProgramIdMismatch", "The declared program id does not match the actual program id", ErrDeclaredProgramIDMismatch},
	4101: {"TryingToInitPayerAsProgramAccount", "You cannot/should not initialize the payer account as a program account", nil},
	4102: {"InvalidNumericConversion", "The program could not perform the numeric conversion, out of range integral type conversion attempted", nil},
	5000: {"Deprecated", "The API being used is deprecated and should no longer be used", nil},
}

// systemErrors is the System Program's SystemError enum.
var systemErrors = map[uint32]errorInfo{
	0: {"AccountAlreadyInUse", "an account with the same address already exists", ErrAccountInUse},
	1: {"ResultWithNegativeLamports", "account does not have enough SOL to perform the operation", ErrInsufficientFunds},
	2: {"InvalidProgramId", "cannot assign account to this program id", nil},
	3: {"InvalidAccountDataLength", "cannot allocate account data of this length", nil},
	4: {"MaxSeedLengthExceeded", "length of requested seed is too long", nil},
	5: {"AddressWithSeedMismatch", "provided address does not match addressed derived from seed", nil},
	6: {"NonceNoRecentBlockhashes", "advancing stored nonce requires a populated RecentBlockhashes sysvar", nil},
	7: {"NonceBlockhashNotExpired", "stored nonce is still in recent_blockhashes", nil},
	8: {"NonceUnexpectedBlockhashValue", "specified nonce does not match stored nonce", nil},
}

// ErrorCode is one custom error code of a program (Custom(n), n ≥ 6000 for Anchor
// programs) with its IDL name: a sentinel that errors.Is matches against a
// *ProgramError by number, whichever Parser made it, unless the error came from the
// System Program or the logs name it differently (another program's error sharing the
// number). A Parser given the code also names it in the error's message.
type ErrorCode struct {
	code      uint32
	name, msg string
	text      string
}

// NewErrorCode declares a program's error code: its number, IDL name and IDL message,
// and the sentinel's own text (which starts with the declaring package's name).
func NewErrorCode(code uint32, name, msg, text string) *ErrorCode {
	return &ErrorCode{code: code, name: name, msg: msg, text: text}
}

func (c *ErrorCode) Error() string { return c.text }

// Code is the error's number.
func (c *ErrorCode) Code() uint32 { return c.code }

// Name is the error's IDL name, e.g. "InvalidToken".
func (c *ErrorCode) Name() string { return c.name }

// Msg is the error's IDL message.
func (c *ErrorCode) Msg() string { return c.msg }

// ProgramError is a failed instruction's custom program error ({"Custom": n}), named
// from the Parser's codes, Anchor's or the System Program's tables, or from the
// AnchorError line of the logs. errors.Is matches it against the sentinel for its
// code: an *ErrorCode, or one of this package's (ErrConstraintSeeds for 2006, say).
//
// Which program raised the code is known only from logs (ProgramID). Without logs,
// Custom(0) and Custom(1) are read as System Program errors: in transactions made of
// Anchor programs and the System Program nothing else returns codes below 100.
// Programs that share code numbers (a game and the session program it calls into
// through the session macros, say) are told apart by the AnchorError log line when
// there is one.
type ProgramError struct {
	InstructionIndex int
	Code             uint32
	Name             string // "" when unknown
	Msg              string
	// ProgramID is the program that returned the error; nil when logs are missing.
	ProgramID *solana.PublicKey
	// Account is the account Anchor blamed ("AnchorError caused by account: …"), or "".
	Account  string
	Logs     []string
	sentinel error
	// logName is the AnchorError line's name for the code, which overrules a sentinel
	// that shares the number.
	logName string
}

func (e *ProgramError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "txn: instruction %d: custom program error %d (0x%x)", e.InstructionIndex, e.Code, e.Code)
	if e.Name != "" {
		b.WriteString(" " + e.Name)
	}
	if e.Msg != "" {
		b.WriteString(": " + e.Msg)
	}
	if e.Account != "" {
		b.WriteString(" (account " + e.Account + ")")
	}
	if e.ProgramID != nil {
		b.WriteString(" [program " + e.ProgramID.String() + "]")
	}
	return b.String()
}

// Unwrap returns the sentinel for the code, or nil.
func (e *ProgramError) Unwrap() error { return e.sentinel }

// Is matches an *ErrorCode by number, so that program clients' sentinels match errors
// parsed without their codes.
func (e *ProgramError) Is(target error) bool {
	c, ok := target.(*ErrorCode)
	if !ok || c.code != e.Code || e.fromSystem() {
		return false
	}
	return e.logName == "" || e.logName == c.name
}

func (e *ProgramError) fromSystem() bool {
	if e.ProgramID == nil {
		return e.Code <= 1
	}
	return *e.ProgramID == solana.SystemProgramID
}

// InstructionError is a failed instruction's built-in error other than Custom, e.g.
// "MissingRequiredSignature" or {"BorshIoError": "…"}.
type InstructionError struct {
	InstructionIndex int
	Name             string
	// Detail is the variant's payload as JSON, or "".
	Detail string
	Logs   []string
}

func (e *InstructionError) Error() string {
	s := fmt.Sprintf("txn: instruction %d: %s", e.InstructionIndex, e.Name)
	if e.Detail != "" {
		s += " " + e.Detail
	}
	return s
}

// Unwrap maps InsufficientFunds to ErrInsufficientFunds.
func (e *InstructionError) Unwrap() error {
	if e.Name == "InsufficientFunds" {
		return ErrInsufficientFunds
	}
	return nil
}

// TransactionError is a transaction-level error, e.g. "BlockhashNotFound",
// "AlreadyProcessed" or {"InsufficientFundsForRent": {"account_index": 1}}. A value of
// an unrecognised shape has an empty Name and its JSON in Detail.
type TransactionError struct {
	Name   string
	Detail string
	Logs   []string
}

func (e *TransactionError) Error() string {
	switch {
	case e.Name == "":
		return "txn: transaction failed: " + e.Detail
	case e.Detail != "":
		return "txn: transaction failed: " + e.Name + " " + e.Detail
	}
	return "txn: transaction failed: " + e.Name
}

// Unwrap maps the names that have a sentinel.
func (e *TransactionError) Unwrap() error {
	switch e.Name {
	case "BlockhashNotFound":
		return ErrBlockhashNotFound
	case "AlreadyProcessed":
		return ErrAlreadyProcessed
	case "InsufficientFundsForFee", "InsufficientFundsForRent", "AccountNotFound":
		return ErrInsufficientFunds
	}
	return nil
}

// A Parser turns the cluster's transaction errors into typed errors, naming the custom
// codes of the programs it was given (besides the System Program's and Anchor's). The
// zero Parser, and a nil one, know no program's own codes.
type Parser struct {
	codes map[uint32]*ErrorCode
}

// NewParser returns a Parser that names codes. A later code replaces an earlier one of
// the same number.
func NewParser(codes ...*ErrorCode) *Parser {
	p := &Parser{codes: make(map[uint32]*ErrorCode, len(codes))}
	for _, c := range codes {
		p.codes[c.code] = c
	}
	return p
}

var generic *Parser

// ParseTransactionError is TransactionError of a Parser that knows no program's own
// codes.
func ParseTransactionError(v any, logs []string) error { return generic.TransactionError(v, logs) }

// ParseSimulation is Simulation of a Parser that knows no program's own codes.
func ParseSimulation(res *rpc.SimulateTransactionResult) error { return generic.Simulation(res) }

// ParseRPCError is RPCError of a Parser that knows no program's own codes.
func ParseRPCError(err error) error { return generic.RPCError(err) }

// TransactionError converts a transaction error as solana-go decodes it (the Err field
// of GetSignatureStatuses, GetTransaction meta and SimulateTransaction results:
// strings, map[string]any and []any with float64 or json.Number numbers;
// json.RawMessage and []byte are read as JSON text) into a *ProgramError,
// *InstructionError or *TransactionError. logs, when known, name the failing program
// and Anchor's account. It returns nil for a nil value or JSON null.
func (p *Parser) TransactionError(v any, logs []string) error {
	switch x := v.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return p.transactionErrorJSON(x, logs)
	case []byte:
		return p.transactionErrorJSON(x, logs)
	case string:
		return &TransactionError{Name: x, Logs: logs}
	case map[string]any:
		if len(x) != 1 {
			break
		}
		for name, val := range x { // the only entry
			if name != "InstructionError" {
				return &TransactionError{Name: name, Detail: compactJSON(val), Logs: logs}
			}
			if err := p.instructionError(val, logs); err != nil {
				return err
			}
		}
	}
	return &TransactionError{Detail: compactJSON(v), Logs: logs}
}

func (p *Parser) transactionErrorJSON(b []byte, logs []string) error {
	v, ok := decodeJSON(b)
	if !ok {
		return &TransactionError{Detail: strconv.Quote(string(b)), Logs: logs}
	}
	return p.TransactionError(v, logs)
}

// decodeJSON decodes exactly one JSON value, keeping numbers as json.Number.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF { // nothing may follow the value
		return nil, false
	}
	return v, true
}

// Simulation returns the typed error of a failed simulation (with its logs), or nil
// when the simulation succeeded.
func (p *Parser) Simulation(res *rpc.SimulateTransactionResult) error {
	if res == nil {
		return nil
	}
	return p.TransactionError(res.Err, res.Logs)
}

// RPCError turns a failed preflight — a *jsonrpc.RPCError anywhere in err's chain
// whose data holds the simulation's "err" (and "logs") — into the typed transaction
// error. Any other error is returned unchanged.
func (p *Parser) RPCError(err error) error {
	var rpcErr *jsonrpc.RPCError
	if !errors.As(err, &rpcErr) {
		return err
	}
	data := rpcErr.Data
	switch raw := data.(type) {
	case json.RawMessage:
		data, _ = decodeJSON(raw)
	case []byte:
		data, _ = decodeJSON(raw)
	}
	m, ok := data.(map[string]any)
	if !ok || m["err"] == nil {
		return err
	}
	var logs []string
	if ls, ok := m["logs"].([]any); ok {
		for _, l := range ls {
			if s, ok := l.(string); ok {
				logs = append(logs, s)
			}
		}
	}
	return p.TransactionError(m["err"], logs)
}

// parseInstructionError reads the [index, error] pair; nil means the shape was wrong.
func (p *Parser) instructionError(val any, logs []string) error {
	pair, ok := val.([]any)
	if !ok || len(pair) != 2 {
		return nil
	}
	idx, ok := toUint(pair[0], math.MaxUint8)
	if !ok {
		return nil
	}
	switch inner := pair[1].(type) {
	case string:
		return &InstructionError{InstructionIndex: int(idx), Name: inner, Logs: logs}
	case map[string]any:
		if len(inner) != 1 {
			return nil
		}
		for name, payload := range inner {
			if name != "Custom" {
				return &InstructionError{InstructionIndex: int(idx), Name: name, Detail: compactJSON(payload), Logs: logs}
			}
			code, ok := toUint(payload, math.MaxUint32)
			if !ok {
				return nil
			}
			return p.programError(int(idx), uint32(code), logs)
		}
	}
	return nil
}

// toUint reads a JSON number decoded as float64, json.Number or a Go integer.
func toUint(v any, limit uint64) (uint64, bool) {
	var n uint64
	switch x := v.(type) {
	case float64:
		if x < 0 || x > float64(limit) || x != math.Trunc(x) {
			return 0, false
		}
		n = uint64(x)
	case json.Number:
		u, err := strconv.ParseUint(string(x), 10, 64)
		if err != nil {
			return 0, false
		}
		n = u
	case int:
		if x < 0 {
			return 0, false
		}
		n = uint64(x)
	case int64:
		if x < 0 {
			return 0, false
		}
		n = uint64(x)
	case uint64:
		n = x
	case uint32:
		n = uint64(x)
	case uint8:
		n = uint64(x)
	default:
		return 0, false
	}
	return n, n <= limit
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (p *Parser) programError(idx int, code uint32, logs []string) *ProgramError {
	e := &ProgramError{InstructionIndex: idx, Code: code, Logs: logs}
	e.ProgramID = failedProgram(logs)
	logName, logMsg, account := anchorErrorLog(logs, code)
	e.Account, e.logName = account, logName

	var info errorInfo
	var found bool
	switch {
	case e.fromSystem():
		info, found = systemErrors[code]
	default:
		if c, ok := p.code(code); ok {
			info, found = errorInfo{c.name, c.msg, c}, true
		} else {
			info, found = anchorErrors[code]
		}
		// Another program's error that shares the number: trust the log.
		if found && logName != "" && logName != info.name {
			info, found = errorInfo{}, false
		}
	}
	switch {
	case found:
		e.Name, e.Msg, e.sentinel = info.name, info.msg, info.sentinel
	case logName != "":
		e.Name, e.Msg = logName, logMsg
	}
	return e
}

func (p *Parser) code(n uint32) (*ErrorCode, bool) {
	if p == nil {
		return nil, false
	}
	c, ok := p.codes[n]
	return c, ok
}

// failedProgram finds the innermost program that failed: the first
// "Program <id> failed: …" line; nil if there is none.
func failedProgram(logs []string) *solana.PublicKey {
	for _, l := range logs {
		rest, ok := strings.CutPrefix(l, "Program ")
		if !ok {
			continue
		}
		id, _, ok := strings.Cut(rest, " failed: ")
		if !ok {
			continue
		}
		if pk, err := solana.PublicKeyFromBase58(id); err == nil {
			return &pk
		}
	}
	return nil
}

// anchorErrorLog reads Anchor's error line for code, e.g. "Program log: AnchorError
// caused by account: session_token. Error Code: ConstraintSeeds. Error Number: 2006.
// Error Message: A seeds constraint was violated."
func anchorErrorLog(logs []string, code uint32) (name, msg, account string) {
	number := "Error Number: " + strconv.FormatUint(uint64(code), 10) + ". "
	for _, l := range logs {
		_, rest, ok := strings.Cut(l, "AnchorError ")
		if !ok || !strings.Contains(rest, number) {
			continue
		}
		if _, after, ok := strings.Cut(rest, "caused by account: "); ok {
			account, _, _ = strings.Cut(after, ". Error Code: ")
		}
		if _, after, ok := strings.Cut(rest, "Error Code: "); ok {
			name, _, _ = strings.Cut(after, ". ")
		}
		if _, after, ok := strings.Cut(rest, "Error Message: "); ok {
			msg = strings.TrimSuffix(after, ".")
		}
		return name, msg, account
	}
	return "", "", ""
}
