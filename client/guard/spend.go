package guard

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/bits"

	"github.com/gagliardetto/solana-go"
)

// MaxTokenLimits bounds Policy.Tokens, so that a Spend is a fixed-size value and
// measuring allocates nothing.
const MaxTokenLimits = 8

// Discriminator is the leading 8 bytes of an instruction's data: an Anchor
// instruction's discriminator (sha256("global:<name>")[:8]).
type Discriminator [8]byte

func (d Discriminator) String() string { return hex.EncodeToString(d[:]) }

// Limit is a per-transaction bound, in lamports or a mint's base units.
type Limit struct {
	PerTransaction uint64
}

// TokenLimit bounds what one mint's token instructions may move per transaction.
type TokenLimit struct {
	Mint solana.PublicKey
	Limit
}

// TokenAccount is a token account the session signer may move, and the mint it holds.
type TokenAccount struct {
	Address solana.PublicKey
	Mint    solana.PublicKey
}

// Spend is what one message costs the session signer, as Measure computed it from the
// System and Token instructions.
type Spend struct {
	// Lamports leave accounts the signer controls through System instructions it funds
	// (transfers, the lamports of accounts it creates). The transaction fee is not among
	// them: see Fee.
	Lamports uint64
	// Fee is the most the signer pays as fee payer: 5,000 lamports per signature
	// (precompile signatures included) plus the priority fee, unit price × unit limit
	// (the message's SetComputeUnitLimit, or the runtime's default of 200,000 per
	// instruction), rounded up. Zero when another account pays. The limits leave it out:
	// the compute caps bound its priority part and the top-up bounds it all, on chain.
	Fee uint64
	// Signatures is the number of signatures the fee counts.
	Signatures uint64
	// Tokens is what token instructions move, in base units, indexed as Policy.Tokens.
	Tokens [MaxTokenLimits]uint64
}

// System program instruction tags (its bincode enum, a little-endian u32).
const (
	sysCreateAccount         = 0
	sysTransfer              = 2
	sysCreateAccountWithSeed = 3
	sysTransferWithSeed      = 11
)

// Token program instruction tags, the same in Token and Token-2022.
const (
	tokTransfer        = 3
	tokApprove         = 4
	tokRevoke          = 5
	tokBurn            = 8
	tokTransferChecked = 12
	tokApproveChecked  = 13
	tokBurnChecked     = 15
)

var (
	tokenProgramID     = solana.MustPublicKeyFromBase58("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
	token2022ProgramID = solana.MustPublicKeyFromBase58("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
	// The precompiles verify signatures the fee counts; their data starts with the count.
	precompiles = [...]solana.PublicKey{
		solana.MustPublicKeyFromBase58("Ed25519SigVerify111111111111111111111111111"),
		solana.MustPublicKeyFromBase58("KeccakSecp256k11111111111111111111111111111"),
		solana.MustPublicKeyFromBase58("Secp256r1SigVerify1111111111111111111111111"),
	}
)

// Fee constants of the runtime.
const (
	lamportsPerSignature    = 5_000
	defaultUnitsPerIx       = 200_000
	microLamportsPerLamport = 1_000_000
)

func precompileSignatures(program solana.PublicKey, data []byte) uint64 {
	for _, p := range precompiles {
		if p == program && len(data) > 0 {
			return uint64(data[0])
		}
	}
	return 0
}

// feeOf is the fee of a message with sigs signatures and its compute budget.
func feeOf(sigs, limit uint64, hasLimit bool, price uint64, instructions int) uint64 {
	if !hasLimit {
		limit = min(uint64(instructions)*defaultUnitsPerIx, runtimeMaxUnitLimit)
	}
	hi, lo := bits.Mul64(price, limit)
	if hi >= microLamportsPerLamport { // a fee past 2^64 lamports; Div64 would panic
		return math.MaxUint64
	}
	priority, rem := bits.Div64(hi, lo, microLamportsPerLamport)
	if rem > 0 {
		priority++
	}
	hi, base := bits.Mul64(sigs, lamportsPerSignature)
	fee, carry := bits.Add64(base, priority, 0)
	if hi != 0 || carry != 0 {
		return math.MaxUint64
	}
	return fee
}

func (p *Policy) instructionAllowed(data []byte) bool {
	if len(data) < 8 {
		return false
	}
	for _, d := range p.Instructions {
		if [8]byte(data[:8]) == d {
			return true
		}
	}
	return false
}

// signerRoles says where, in one instruction's accounts, the signer may stand: at spend
// (it pays what the instruction moves) or at a free position (it receives, or lends its
// address as a base); anywhere else is refused. -1 is no such position.
type signerRoles struct{ spend, free int }

// place checks the signer's positions in accts against roles; spends reports whether it
// stands at the spending position.
func (r signerRoles) place(accts []byte, nKeys, signerAt int) (spends bool, err *RefusedError) {
	for i, a := range accts {
		if int(a) >= nKeys {
			return false, &RefusedError{Err: ErrLookupTables, Detail: "a spending instruction loads accounts from a lookup table"}
		}
		if int(a) != signerAt {
			continue
		}
		switch i {
		case r.spend:
			spends = true
		case r.free:
		default:
			return false, &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("the session signer is account %d", i)}
		}
	}
	return spends, nil
}

// measureSystem adds what a System instruction naming the signer takes from it.
func (p *Policy) measureSystem(data, accts []byte, nKeys, signerAt int, s *Spend) *RefusedError {
	if len(data) < 4 {
		return &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("System data of %d bytes", len(data))}
	}
	var lamports uint64
	var roles signerRoles
	size := func(want int) *RefusedError {
		if len(data) != want {
			return &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("System instruction %d of %d bytes, want %d", data[0], len(data), want)}
		}
		return nil
	}
	switch tag := binary.LittleEndian.Uint32(data); tag {
	case sysCreateAccount: // lamports u64, space u64, owner; [funder, new account]
		if err := size(4 + 8 + 8 + 32); err != nil {
			return err
		}
		lamports, roles = binary.LittleEndian.Uint64(data[4:]), signerRoles{spend: 0, free: -1}
	case sysTransfer: // lamports u64; [from, to]
		if err := size(4 + 8); err != nil {
			return err
		}
		lamports, roles = binary.LittleEndian.Uint64(data[4:]), signerRoles{spend: 0, free: 1}
	case sysCreateAccountWithSeed: // base, seed (u64 length, bytes), lamports, space, owner; [funder, new account, base]
		n, ok := seedLen(data, 4+32)
		if !ok {
			return &RefusedError{Err: ErrSpendInstruction, Detail: "CreateAccountWithSeed: bad seed"}
		}
		at := 4 + 32 + 8 + n
		if err := size(at + 8 + 8 + 32); err != nil {
			return err
		}
		lamports, roles = binary.LittleEndian.Uint64(data[at:]), signerRoles{spend: 0, free: 2}
	case sysTransferWithSeed: // lamports, from_seed (u64 length, bytes), from_owner; [from, base, to]
		// The debited account is derived from the base: whoever signs as base controls it.
		n, ok := seedLen(data, 4+8)
		if !ok {
			return &RefusedError{Err: ErrSpendInstruction, Detail: "TransferWithSeed: bad seed"}
		}
		if err := size(4 + 8 + 8 + n + 32); err != nil {
			return err
		}
		lamports, roles = binary.LittleEndian.Uint64(data[4:]), signerRoles{spend: 1, free: 2}
	default:
		return &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("System instruction %d", tag)}
	}
	spends, err := roles.place(accts, nKeys, signerAt)
	if err != nil {
		return err
	}
	if spends {
		var carry uint64
		if s.Lamports, carry = bits.Add64(s.Lamports, lamports, 0); carry != 0 {
			return &RefusedError{Err: ErrSpendLimit, Detail: "lamports overflow"}
		}
	}
	return nil
}

// seedLen reads a bincode string's length at data[at:], bounded by what follows.
func seedLen(data []byte, at int) (int, bool) {
	if len(data) < at+8 {
		return 0, false
	}
	n := binary.LittleEndian.Uint64(data[at:])
	if n > 32 || uint64(len(data)-at-8) < n { // the runtime's MAX_SEED_LEN is 32
		return 0, false
	}
	return int(n), true
}

// measureToken adds what a Token or Token-2022 instruction with the signer as authority
// moves out of the signer's token account.
func (p *Policy) measureToken(data, accts []byte, nKeys, signerAt int, key func(int) solana.PublicKey, s *Spend) *RefusedError {
	if len(data) == 0 {
		return &RefusedError{Err: ErrSpendInstruction, Detail: "empty token instruction"}
	}
	mintAt, authorityAt, want := -1, 2, 9
	switch data[0] {
	case tokTransfer, tokApprove: // amount; [source, destination or delegate, authority]
	case tokRevoke: // [source, authority]
		authorityAt, want = 1, 1
	case tokBurn: // amount; [account, mint, authority]
		mintAt = 1
	case tokTransferChecked, tokApproveChecked: // amount, decimals; [source, mint, destination or delegate, authority]
		mintAt, authorityAt, want = 1, 3, 10
	case tokBurnChecked: // amount, decimals; [account, mint, authority]
		mintAt, want = 1, 10
	default:
		return &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("token instruction %d", data[0])}
	}
	if len(data) != want {
		return &RefusedError{Err: ErrSpendInstruction, Detail: fmt.Sprintf("token instruction %d of %d bytes, want %d", data[0], len(data), want)}
	}
	spends, err := signerRoles{spend: authorityAt, free: -1}.place(accts, nKeys, signerAt)
	if err != nil {
		return err
	}
	if !spends || len(accts) <= authorityAt {
		return &RefusedError{Err: ErrSpendInstruction, Detail: "the session signer is not the authority"}
	}
	source := key(int(accts[0]))
	mint, known := solana.PublicKey{}, false
	for _, ta := range p.TokenAccounts {
		if ta.Address == source {
			mint, known = ta.Mint, true
			break
		}
	}
	if !known {
		return &RefusedError{Err: ErrTokenAccount, Detail: "source " + source.String()}
	}
	if mintAt >= 0 && key(int(accts[mintAt])) != mint {
		return &RefusedError{Err: ErrTokenAccount, Detail: fmt.Sprintf("source %s holds mint %s, the instruction names %s", source, mint, key(int(accts[mintAt])))}
	}
	limit := -1
	for i := range p.Tokens {
		if p.Tokens[i].Mint == mint {
			limit = i
			break
		}
	}
	if limit < 0 {
		return &RefusedError{Err: ErrSpendLimit, Detail: "no token limit for mint " + mint.String()}
	}
	if data[0] == tokRevoke {
		return nil
	}
	var carry uint64
	if s.Tokens[limit], carry = bits.Add64(s.Tokens[limit], binary.LittleEndian.Uint64(data[1:]), 0); carry != 0 {
		return &RefusedError{Err: ErrSpendLimit, Detail: "token amount overflow"}
	}
	return nil
}

// withinLimits checks a whole message's spend against the per-transaction limits.
func (p *Policy) withinLimits(s *Spend) error {
	if p.Lamports != nil && s.Lamports > p.Lamports.PerTransaction {
		return &RefusedError{Index: -1, Program: solana.SystemProgramID, Err: ErrSpendLimit,
			Detail: fmt.Sprintf("native-token-limit perTransaction: %d lamports over the limit %d", s.Lamports, p.Lamports.PerTransaction)}
	}
	for i := range p.Tokens {
		if s.Tokens[i] > p.Tokens[i].PerTransaction {
			return &RefusedError{Index: -1, Err: ErrSpendLimit,
				Detail: fmt.Sprintf("token-limit perTransaction of mint %s: %d over the limit %d", p.Tokens[i].Mint, s.Tokens[i], p.Tokens[i].PerTransaction)}
		}
	}
	return nil
}

// hexPrefix shows up to the first 8 bytes of data in hex.
func hexPrefix(data []byte) string {
	if len(data) == 0 {
		return "(empty)"
	}
	return hex.EncodeToString(data[:min(len(data), 8)])
}
