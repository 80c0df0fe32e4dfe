// Package guard decides, from the compiled message alone, whether a session key may sign
// it: deny by default, and every debit the key could suffer bounded.
//
// A session signer may appear in a message only
//
//   - as fee payer, paying at most the base fee plus a priority fee within the caps,
//   - in instructions of the session's target program (the program the authority
//     granted the session to; what it lets a session do is the program's to bound),
//   - in Compute Budget instructions whose unit limit and unit price are within the caps
//     (they name no account, but a high price burns the fee payer's lamports),
//   - in instructions of programs the caller allowed explicitly for this session,
//   - when the policy has spend limits (Policy.Lamports, Policy.Tokens), in the System
//     and Token instructions that spend within them (see spend.go's Measure).
//
// Any other instruction that names the signer, in any account position and with any
// flags, is refused: System, SPL Token, Token-2022, Associated Token or any program. The
// caller's AccountMeta flags play no part; the compiler merges them, so only the compiled
// message says what a signature authorises. Policy.Instructions narrows the target
// program to the listed instructions. In a v0 message an account may come from an
// address lookup table: Check refuses such a message, CheckWithTables resolves every
// loaded account through the tables' contents and applies the same rules to it.
//
// These are bounds sessionkit applies before it signs: they stop a bug or compromised
// game logic in the backend, not someone holding the raw key, who signs what they like.
// What the key holds (its top-ups) is the only cap the chain enforces.
package guard

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// Default caps, used where a Policy leaves its cap zero.
const (
	// DefaultMaxUnitLimit is the runtime's own maximum per transaction.
	DefaultMaxUnitLimit uint32 = runtimeMaxUnitLimit
	// DefaultMaxUnitPrice (micro-lamports per compute unit) keeps a move's priority fee
	// at most 1,400 lamports at the maximum limit: under a third of the base fee.
	DefaultMaxUnitPrice uint64 = 1_000
)

// runtimeMaxUnitLimit is the runtime's ceiling, to which it clamps any requested limit.
const runtimeMaxUnitLimit = 1_400_000

// ComputeBudgetProgramID is the Compute Budget program.
var ComputeBudgetProgramID = solana.MustPublicKeyFromBase58("ComputeBudget111111111111111111111111111111")

// Policy is what one session signer may sign.
type Policy struct {
	// Signer is the session signer whose signature the policy guards.
	Signer solana.PublicKey
	// TargetProgram is the program the session was granted for.
	TargetProgram solana.PublicKey
	// AllowedPrograms may name the signer besides the target program. Leave it empty
	// unless the session must use such a program; it is then trusted as the target is.
	AllowedPrograms []solana.PublicKey
	// MaxUnitLimit caps SetComputeUnitLimit; zero means DefaultMaxUnitLimit.
	MaxUnitLimit uint32
	// MaxUnitPrice caps SetComputeUnitPrice (micro-lamports per unit); zero means
	// DefaultMaxUnitPrice.
	MaxUnitPrice uint64
	// Instructions, when not empty, are the only target-program instructions a message
	// may carry, by their leading 8 bytes (Anchor's discriminator), whether or not they
	// name the signer.
	Instructions []Discriminator
	// Lamports, when set, lets System instructions the signer funds (transfer, transfer
	// with seed, create account, create account with seed) through, up to PerTransaction
	// lamports per message; nil refuses every System instruction naming the signer.
	// With Lamports set the System program is measured even if AllowedPrograms lists it.
	Lamports *Limit
	// Tokens bounds, per mint, what Token and Token-2022 instructions with the signer as
	// authority may move per message (transfer, approve, burn and their checked forms; an
	// approval counts as spent). At most MaxTokenLimits. With Tokens or TokenAccounts set,
	// Token and Token-2022 are measured even if AllowedPrograms lists them.
	Tokens []TokenLimit
	// TokenAccounts says which mint each token account the signer may move holds. A
	// token instruction whose source is not listed, or whose mint has no TokenLimit, is
	// refused: deny by default.
	TokenAccounts []TokenAccount
}

// Refusal reasons; a *RefusedError unwraps to one of them.
var (
	// ErrForeignProgram: an instruction of a program neither targeted nor allowed names
	// the session signer.
	ErrForeignProgram = errors.New("guard: instruction of another program names the session signer")
	// ErrComputeBudget: a Compute Budget instruction over the caps, unknown to the guard,
	// or repeated.
	ErrComputeBudget = errors.New("guard: compute budget outside the caps")
	// ErrSignerAsProgram: the session signer's key is used as a program id.
	ErrSignerAsProgram = errors.New("guard: session signer used as a program")
	// ErrMalformed: the bytes are not a message the guard can read completely.
	ErrMalformed = errors.New("guard: malformed message")
	// ErrLookupTables: a v0 message loads accounts from lookup tables that Check cannot
	// see into, or that CheckWithTables was not given (or not given that far).
	ErrLookupTables = errors.New("guard: address lookup tables are not supported")
	// ErrInstructionNotAllowed: a target-program instruction not in Policy.Instructions.
	ErrInstructionNotAllowed = errors.New("guard: instruction not allowed for the session")
	// ErrSpendLimit: the message spends more lamports or tokens than the policy allows per
	// transaction, or spends a mint it has no limit for.
	ErrSpendLimit = errors.New("guard: spend over the per-transaction limit")
	// ErrTokenAccount: a token instruction moves an account of the signer's that the
	// policy does not know (not in Policy.TokenAccounts, or holding another mint).
	ErrTokenAccount = errors.New("guard: token account unknown to the policy")
	// ErrSpendInstruction: a System or Token instruction that names the signer in a way
	// the guard does not measure (an Assign, a SetAuthority, the signer as destination of
	// a create, ...).
	ErrSpendInstruction = errors.New("guard: instruction the guard cannot measure names the session signer")
)

// RefusedError names the instruction the guard refused, its program and why. Index is
// -1 for a refusal about the whole message.
type RefusedError struct {
	Index   int
	Program solana.PublicKey
	Err     error
	Detail  string
}

func (e *RefusedError) Error() string {
	s := e.Err.Error()
	if e.Index >= 0 {
		s += fmt.Sprintf(": instruction %d (program %s)", e.Index, e.Program)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *RefusedError) Unwrap() error { return e.Err }

func malformed(detail string) error {
	return &RefusedError{Index: -1, Err: ErrMalformed, Detail: detail}
}

// Compute Budget instruction tags (the program's borsh enum).
const (
	cbRequestHeapFrame         = 1
	cbSetComputeUnitLimit      = 2
	cbSetComputeUnitPrice      = 3
	cbSetLoadedAccountsDataMax = 4
)

// Check judges a serialized message (legacy or v0, the bytes every signer signs). It
// returns nil when p.Signer may sign it, or a *RefusedError. It does not allocate. A v0
// message that loads accounts from lookup tables is refused with ErrLookupTables; judge
// it with CheckWithTables.
func (p *Policy) Check(msg []byte) error {
	var s Spend
	return p.measure(msg, nil, false, &s)
}

// Measure is Check that also reports, in *s, what the message spends of the signer's:
// the session counts it against per-session totals. *s is reset first; on a refusal it
// holds what was measured up to the refused instruction. It does not allocate.
func (p *Policy) Measure(msg []byte, s *Spend) error { return p.measure(msg, nil, false, s) }

// measure is Measure, or with resolve MeasureWithTables.
func (p *Policy) measure(msg []byte, tables []txn.LookupTable, resolve bool, s *Spend) error {
	*s = Spend{}
	if len(p.Tokens) > MaxTokenLimits {
		return &RefusedError{Index: -1, Err: ErrSpendLimit, Detail: fmt.Sprintf("the policy has %d token limits, at most %d", len(p.Tokens), MaxTokenLimits)}
	}
	r := reader{b: msg}
	version := -1
	if len(msg) > 0 && msg[0]&0x80 != 0 {
		version = int(msg[0] & 0x7f)
		if version != 0 {
			return malformed(fmt.Sprintf("message version %d", version))
		}
		r.off = 1
	}
	nSigners, ok1 := r.byte()
	s.Signatures = uint64(nSigners)
	_, ok2 := r.byte()
	_, ok3 := r.byte()
	nKeys, ok4 := r.compact()
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return malformed("truncated header")
	}
	if int(nSigners) > nKeys || nKeys == 0 {
		return malformed(fmt.Sprintf("%d signers among %d keys", nSigners, nKeys))
	}
	keysAt := r.off
	if !r.skip(32 * nKeys) {
		return malformed("truncated account keys")
	}
	signerAt := -1
	for i := range nKeys {
		if solana.PublicKey(msg[keysAt+32*i:keysAt+32*i+32]) == p.Signer {
			signerAt = i
			break
		}
	}
	if !r.skip(32) { // recent blockhash
		return malformed("truncated blockhash")
	}
	nIxs, ok := r.compact()
	if !ok {
		return malformed("truncated instruction count")
	}
	key := func(i int) solana.PublicKey { return solana.PublicKey(msg[keysAt+32*i : keysAt+32*i+32]) }

	var lk loaded
	if version == 0 && resolve {
		if err := lk.resolve(msg, r, nKeys, nIxs, tables, p.Signer); err != nil {
			return err
		}
	}
	var seenCB [cbSetLoadedAccountsDataMax + 1]bool
	var unitLimit, unitPrice uint64
	hasLimit := false
	budgeted := 0 // instructions other than Compute Budget ones, for the default unit limit
	// An index past the static keys is a lookup-table account in v0, malformed otherwise.
	beyondKeys := false
	for ix := range nIxs {
		progIdx, ok := r.byte()
		if !ok || int(progIdx) >= nKeys {
			return malformed(fmt.Sprintf("instruction %d: program index", ix))
		}
		nAccts, ok := r.compact()
		if !ok {
			return malformed(fmt.Sprintf("instruction %d: account count", ix))
		}
		acctsAt := r.off
		if !r.skip(nAccts) {
			return malformed(fmt.Sprintf("instruction %d: truncated accounts", ix))
		}
		nData, ok := r.compact()
		if !ok {
			return malformed(fmt.Sprintf("instruction %d: data length", ix))
		}
		dataAt := r.off
		if !r.skip(nData) {
			return malformed(fmt.Sprintf("instruction %d: truncated data", ix))
		}
		names := false
		for _, a := range msg[acctsAt : acctsAt+nAccts] {
			if int(a) >= nKeys {
				if version < 0 || (resolve && int(a) >= nKeys+lk.n) {
					return malformed(fmt.Sprintf("instruction %d: account index %d of %d keys", ix, a, nKeys+lk.n))
				}
				beyondKeys = true
			}
			names = names || int(a) == signerAt || lk.signer[a]
		}
		program := key(int(progIdx))
		data, accts := msg[dataAt:dataAt+nData], msg[acctsAt:acctsAt+nAccts]
		if program != ComputeBudgetProgramID {
			budgeted++
			if n := precompileSignatures(program, data); n > 0 {
				s.Signatures += n
			}
		}
		switch {
		case int(progIdx) == signerAt:
			return &RefusedError{Index: ix, Program: program, Err: ErrSignerAsProgram}
		case program == ComputeBudgetProgramID:
			if err := p.checkComputeBudget(data, &seenCB); err != nil {
				return &RefusedError{Index: ix, Program: program, Err: ErrComputeBudget, Detail: err.Error()}
			}
			if names {
				return &RefusedError{Index: ix, Program: program, Err: ErrForeignProgram}
			}
			switch data[0] {
			case cbSetComputeUnitLimit:
				unitLimit, hasLimit = uint64(min(binary.LittleEndian.Uint32(data[1:]), runtimeMaxUnitLimit)), true
			case cbSetComputeUnitPrice:
				unitPrice = binary.LittleEndian.Uint64(data[1:])
			}
		case program == p.TargetProgram && len(p.Instructions) > 0 && !p.instructionAllowed(data):
			return &RefusedError{Index: ix, Program: program, Err: ErrInstructionNotAllowed, Detail: "data starts " + hexPrefix(data)}
		case names && p.Lamports != nil && program == solana.SystemProgramID:
			if err := p.measureSystem(data, accts, nKeys, signerAt, s); err != nil {
				err.Index, err.Program = ix, program
				return err
			}
		case names && (len(p.Tokens) > 0 || len(p.TokenAccounts) > 0) && (program == tokenProgramID || program == token2022ProgramID):
			if err := p.measureToken(data, accts, nKeys, signerAt, key, s); err != nil {
				err.Index, err.Program = ix, program
				return err
			}
		case !names, program == p.TargetProgram, p.allowed(program):
		default:
			return &RefusedError{Index: ix, Program: program, Err: ErrForeignProgram}
		}
	}
	if version == 0 {
		nLookups, ok := r.compact()
		if !ok {
			return malformed("truncated lookup tables")
		}
		switch {
		case resolve:
			r.off = lk.end // resolve read the lookups
		case nLookups > 0:
			return &RefusedError{Index: -1, Err: ErrLookupTables, Detail: fmt.Sprintf("%d tables", nLookups)}
		}
		if beyondKeys && lk.n == 0 {
			return malformed("account index past the keys without lookup tables")
		}
	}
	if r.off != len(msg) {
		return malformed(fmt.Sprintf("%d bytes after the message", len(msg)-r.off))
	}
	if signerAt == 0 {
		s.Fee = feeOf(s.Signatures, unitLimit, hasLimit, unitPrice, budgeted)
	}
	return p.withinLimits(s)
}

func (p *Policy) allowed(program solana.PublicKey) bool {
	for _, a := range p.AllowedPrograms {
		if a == program {
			return true
		}
	}
	return false
}

// checkComputeBudget reads one Compute Budget instruction. The runtime refuses a
// transaction that repeats one, but refusing here costs nothing and keeps the reading
// simple: each kind is judged once.
func (p *Policy) checkComputeBudget(data []byte, seen *[cbSetLoadedAccountsDataMax + 1]bool) error {
	if len(data) == 0 {
		return errors.New("empty instruction")
	}
	tag := data[0]
	if tag < cbRequestHeapFrame || tag > cbSetLoadedAccountsDataMax {
		return fmt.Errorf("unknown instruction %d", tag)
	}
	if seen[tag] {
		return fmt.Errorf("instruction %d repeated", tag)
	}
	seen[tag] = true
	switch tag {
	case cbSetComputeUnitLimit:
		if len(data) != 5 {
			return fmt.Errorf("unit limit of %d bytes", len(data)-1)
		}
		// The runtime clamps a request to its ceiling, so a larger value (which session
		// salts use) costs what the ceiling does.
		limit, max := min(binary.LittleEndian.Uint32(data[1:]), runtimeMaxUnitLimit), p.MaxUnitLimit
		if max == 0 {
			max = DefaultMaxUnitLimit
		}
		if limit > max {
			return fmt.Errorf("unit limit %d over the cap %d", limit, max)
		}
	case cbSetComputeUnitPrice:
		if len(data) != 9 {
			return fmt.Errorf("unit price of %d bytes", len(data)-1)
		}
		price, max := binary.LittleEndian.Uint64(data[1:]), p.MaxUnitPrice
		if max == 0 {
			max = DefaultMaxUnitPrice
		}
		if price > max {
			return fmt.Errorf("unit price %d micro-lamports over the cap %d", price, max)
		}
	default: // heap frame and loaded-data size cost compute, not lamports
		if len(data) != 5 {
			return fmt.Errorf("instruction %d of %d bytes", tag, len(data))
		}
	}
	return nil
}

// reader walks a message without allocating.
type reader struct {
	b   []byte
	off int
}

func (r *reader) byte() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	c := r.b[r.off]
	r.off++
	return c, true
}

func (r *reader) skip(n int) bool {
	if n < 0 || n > len(r.b)-r.off {
		return false
	}
	r.off += n
	return true
}

// compact reads Solana's short_vec length: at most three bytes, canonical.
func (r *reader) compact() (int, bool) {
	var n int
	for i := range 3 {
		c, ok := r.byte()
		if !ok {
			return 0, false
		}
		n |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c == 0 && i > 0 { // a trailing zero byte is not canonical
				return 0, false
			}
			return n, n <= 0xffff
		}
	}
	return 0, false
}
