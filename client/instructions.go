package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
)

// Program defaults and limits (process_session_params in the program).
const (
	// DefaultValidity is how long a token lives when no valid-until is sent: the program
	// sets valid_until to its clock + 1 hour.
	DefaultValidity = time.Hour
	// MaxValidity is the furthest valid_until may lie after the program's clock on
	// MagicBlock's deployment (and on any build since August 2023).
	MaxValidity = 7 * 24 * time.Hour
	// GumMaxValidity is the limit of the Gum-era build deployed at pda.GumProgramID.
	GumMaxValidity = 24 * time.Hour
	// DefaultTopUpLamports is what a top-up transfers when no amount is sent
	// (LAMPORTS_PER_SOL / 100).
	DefaultTopUpLamports uint64 = 10_000_000
)

// MaxValidityOf is the validity limit of the deployment at programID: GumMaxValidity for
// the Gum-era one, MaxValidity for MagicBlock's and any other. A deployment of another
// build sets CreateArgs.MaxValidity instead.
func MaxValidityOf(programID solana.PublicKey) time.Duration {
	if programID == pda.GumProgramID {
		return GumMaxValidity
	}
	return MaxValidity
}

// InstructionKind names one of the program's five instructions.
type InstructionKind uint8

// The program's instructions.
const (
	CreateSession InstructionKind = iota + 1
	CreateSessionWithPayer
	CreateSessionV2
	RevokeSession
	RevokeSessionV2
)

// Discriminators: sha256("global:<name>")[:8].
var instructionDiscriminators = [...][8]byte{
	CreateSession:          {242, 193, 143, 179, 150, 25, 122, 227},
	CreateSessionWithPayer: {87, 133, 171, 12, 60, 146, 190, 252},
	CreateSessionV2:        {223, 233, 108, 7, 65, 194, 235, 38},
	RevokeSession:          {86, 92, 198, 120, 144, 2, 7, 194},
	RevokeSessionV2:        {211, 59, 125, 188, 43, 155, 8, 102},
}

var instructionNames = [...]string{
	CreateSession:          "create_session",
	CreateSessionWithPayer: "create_session_with_payer",
	CreateSessionV2:        "create_session_v2",
	RevokeSession:          "revoke_session",
	RevokeSessionV2:        "revoke_session_v2",
}

func (k InstructionKind) valid() bool { return k >= CreateSession && k <= RevokeSessionV2 }

// String returns the instruction's IDL name, e.g. "create_session".
func (k InstructionKind) String() string {
	if !k.valid() {
		return "InstructionKind(" + strconv.Itoa(int(k)) + ")"
	}
	return instructionNames[k]
}

// Discriminator returns the 8 bytes that start the instruction's data (zero for an
// unknown kind).
func (k InstructionKind) Discriminator() [8]byte {
	if !k.valid() {
		return [8]byte{}
	}
	return instructionDiscriminators[k]
}

// InstructionKindOf identifies a gpl_session instruction from its data.
func InstructionKindOf(data []byte) (InstructionKind, bool) {
	if len(data) < 8 {
		return 0, false
	}
	for k := CreateSession; k <= RevokeSessionV2; k++ {
		if [8]byte(data[:8]) == instructionDiscriminators[k] {
			return k, true
		}
	}
	return 0, false
}

// Builder errors. The create-time checks mirror the program so that a request it would
// refuse (or silently misread) fails before anything is sent.
var (
	// ErrClusterTimeRequired means a valid-until was requested without CreateArgs.ClusterTime:
	// the checks need the cluster's clock, and the local clock is not a substitute.
	ErrClusterTimeRequired = errors.New("client: cluster time required")
	// ErrValidUntilNotAfterNow means valid_until is not after the cluster time. The program
	// would accept it and create a token that is already expired.
	ErrValidUntilNotAfterNow = errors.New("client: valid_until is not after the cluster time")
	// ErrLamportsWithoutTopUp means Lamports was given without TopUp true; the program
	// ignores the amount unless top_up is true.
	ErrLamportsWithoutTopUp = errors.New("client: lamports given without top-up")
	// ErrInvalidArgs means arguments that do not apply to the instruction or contradict
	// each other.
	ErrInvalidArgs = errors.New("client: invalid arguments")
	// ErrMissingAccount means a required account was left as the zero key.
	ErrMissingAccount = errors.New("client: required account missing")
)

// CreateArgs are the arguments of the three create instructions. The pointer fields are
// the instruction's borsh Options one to one: nil sends None, so that every encoding the
// program accepts can be built (new(false) sends Some(false)).
type CreateArgs struct {
	// TopUp is top_up: when true the payer also transfers lamports to the session signer
	// (DefaultTopUpLamports unless Lamports is set). None reads as false.
	TopUp *bool
	// Lamports is the top-up amount; it requires TopUp true. Builds of the program older
	// than January 2025 ignore it and transfer DefaultTopUpLamports.
	Lamports *uint64
	// ValidUntil is valid_until in unix seconds. It needs ClusterTime: it must be after
	// the cluster time and at most the deployment's maximum validity later. None makes the program use its clock
	// plus DefaultValidity.
	ValidUntil *int64
	// ValidFor sets valid_until to ClusterTime plus ValidFor (whole seconds) instead.
	ValidFor time.Duration
	// ClusterTime is the cluster's current unix time (Clock sysvar or the latest block
	// time) for the checks; 0 means unknown.
	ClusterTime int64
	// ProgramID is the deployment (zero: pda.MagicBlockProgramID; pda.GumProgramID for the
	// Gum-era one).
	ProgramID solana.PublicKey
	// MaxValidity is the deployment's validity limit, checked before anything is sent;
	// zero means MaxValidityOf(ProgramID).
	MaxValidity time.Duration
	// PDACache, when set, derives the token address through the cache (a derivation costs
	// about 8 µs, a hit well under 100 ns).
	PDACache *pda.Cache
}

// RevokeArgs are the arguments of the two revoke instructions.
type RevokeArgs struct {
	// ProgramID is the deployment (zero: pda.MagicBlockProgramID).
	ProgramID solana.PublicKey
	// AuthorityUnsigned builds revoke_session_v2 without the authority as signer. The
	// program requires the authority's signature while the token is active although the
	// IDL does not say so; leave it false (the authority signs) unless the token has
	// expired (see TokenAccount.RevokeNeedsAuthority) and anyone may clean it up. Not for
	// revoke_session, which never asks for it.
	AuthorityUnsigned bool
}

func programOrDefault(id solana.PublicKey) solana.PublicKey {
	if id.IsZero() {
		return pda.MagicBlockProgramID
	}
	return id
}

// createParams are create arguments after validation.
type createParams struct {
	programID     solana.PublicKey
	cache         *pda.Cache
	topUp         *bool
	lamports      *uint64
	validUntil    int64
	hasValidUntil bool
}

func resolveCreate(kind InstructionKind, a *CreateArgs) (createParams, error) {
	p := createParams{programID: programOrDefault(a.ProgramID), cache: a.PDACache, topUp: a.TopUp, lamports: a.Lamports}
	if a.Lamports != nil && (a.TopUp == nil || !*a.TopUp) {
		return p, fmt.Errorf("%w: %s: the program ignores lamports unless top_up is true", ErrLamportsWithoutTopUp, kind)
	}
	if a.ValidFor != 0 && a.ValidUntil != nil {
		return p, fmt.Errorf("%w: %s: both ValidUntil and ValidFor", ErrInvalidArgs, kind)
	}
	if a.ValidFor == 0 && a.ValidUntil == nil {
		return p, nil
	}
	if a.ClusterTime == 0 {
		return p, fmt.Errorf("%w: %s: to check the requested valid_until", ErrClusterTimeRequired, kind)
	}
	p.validUntil, p.hasValidUntil = a.ClusterTime+int64(a.ValidFor/time.Second), true
	if a.ValidUntil != nil {
		p.validUntil = *a.ValidUntil
	}
	limit := a.MaxValidity
	if limit <= 0 {
		limit = MaxValidityOf(p.programID)
	}
	return p, checkValidUntil(kind, p.validUntil, a.ClusterTime, limit)
}

// checkValidUntil mirrors the program's `valid_until <= now + limit` and adds the
// not-in-the-past check the program lacks.
func checkValidUntil(kind InstructionKind, validUntil, now int64, limit time.Duration) error {
	if validUntil <= now {
		return fmt.Errorf("%w: %s: valid_until %d, cluster time %d (the token would be born expired)",
			ErrValidUntilNotAfterNow, kind, validUntil, now)
	}
	// Unsigned difference: exact for any two int64 values with validUntil > now.
	maxSecs := uint64(limit / time.Second)
	if uint64(validUntil)-uint64(now) > maxSecs {
		return fmt.Errorf("%w: %s: valid_until %d is %d s after cluster time %d, the program allows at most %d s",
			ErrValidityTooLong, kind, validUntil, uint64(validUntil)-uint64(now), now, maxSecs)
	}
	return nil
}

// CreateEffect is what a create instruction built with the same arguments does on chain.
type CreateEffect struct {
	// TopUpLamports is transferred from the payer to the session signer (0 without
	// top-up). Builds older than January 2025 transfer DefaultTopUpLamports whatever
	// Lamports said; check the signer's balance when the exact amount matters.
	TopUpLamports uint64
	// ValidUntil is the token's expiry. Without a valid-until argument the program uses
	// its own clock at execution + DefaultValidity, so this (cluster time + 1 h) is a
	// lower bound.
	ValidUntil int64
}

// EffectiveCreate applies the program's defaults to args (the arguments given to a
// create builder) and reports the top-up and expiry the instruction will produce. It
// needs args.ClusterTime and runs the same checks as the builders.
func EffectiveCreate(args CreateArgs) (CreateEffect, error) {
	p, err := resolveCreate(CreateSession, &args)
	if err != nil {
		return CreateEffect{}, err
	}
	if args.ClusterTime == 0 {
		return CreateEffect{}, fmt.Errorf("%w: to compute the default valid_until", ErrClusterTimeRequired)
	}
	var e CreateEffect
	if p.topUp != nil && *p.topUp {
		e.TopUpLamports = DefaultTopUpLamports
		if p.lamports != nil {
			e.TopUpLamports = *p.lamports
		}
	}
	e.ValidUntil = args.ClusterTime + int64(DefaultValidity/time.Second)
	if p.hasValidUntil {
		e.ValidUntil = p.validUntil
	}
	return e, nil
}

// maxCreateData is the discriminator plus Some(bool), Some(i64), Some(u64).
const maxCreateData = 8 + 2 + 9 + 9

// maxAccounts is the longest account list of any gpl_session instruction.
const maxAccounts = 6

// instruction is one gpl_session instruction. Metas and data live inline so that a
// build costs a single allocation, and every build returns fresh metas (solana-go's
// NewTransaction writes through them).
type instruction struct {
	programID solana.PublicKey
	metas     [maxAccounts]solana.AccountMeta
	ptrs      [maxAccounts]*solana.AccountMeta
	nAccounts int
	data      [maxCreateData]byte
	nData     int
}

func (ix *instruction) ProgramID() solana.PublicKey { return ix.programID }

func (ix *instruction) Accounts() []*solana.AccountMeta {
	return ix.ptrs[:ix.nAccounts:ix.nAccounts]
}

func (ix *instruction) Data() ([]byte, error) { return ix.data[:ix.nData:ix.nData], nil }

func (ix *instruction) add(key solana.PublicKey, writable, signer bool) {
	ix.metas[ix.nAccounts] = solana.AccountMeta{PublicKey: key, IsWritable: writable, IsSigner: signer}
	ix.ptrs[ix.nAccounts] = &ix.metas[ix.nAccounts]
	ix.nAccounts++
}

func missing(kind InstructionKind, account string) error {
	return fmt.Errorf("%w: %s: %s is the zero key", ErrMissingAccount, kind, account)
}

// CreateSessionAccounts are the accounts of create_session.
type CreateSessionAccounts struct {
	// SessionSigner is the new session key: it signs and receives the top-up.
	SessionSigner solana.PublicKey
	// Authority is the user's wallet: it signs and pays rent and top-up.
	Authority solana.PublicKey
	// TargetProgram is the program the session acts on; it must be executable.
	TargetProgram solana.PublicKey
	// SessionToken is the token's address. Leave it zero to have it derived; a wrong
	// address fails on chain with ConstraintSeeds.
	SessionToken solana.PublicKey
}

// CreateSessionWithPayerAccounts are the accounts of create_session_with_payer (V1 token
// paid by Payer; revoking it still refunds the rent to Authority).
type CreateSessionWithPayerAccounts struct {
	SessionSigner solana.PublicKey
	// Payer signs and pays rent and top-up.
	Payer solana.PublicKey
	// Authority signs (read-only) and is recorded in the token.
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	SessionToken  solana.PublicKey // optional, as in CreateSessionAccounts
}

// CreateSessionV2Accounts are the accounts of create_session_v2 (V2 token: FeePayer is
// recorded and gets the rent back on revoke).
type CreateSessionV2Accounts struct {
	SessionSigner solana.PublicKey
	// FeePayer signs and pays rent and top-up.
	FeePayer solana.PublicKey
	// Authority signs (read-only) and is recorded in the token.
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	SessionToken  solana.PublicKey // optional, as in CreateSessionAccounts
}

// NewCreateSession builds create_session.
func NewCreateSession(a CreateSessionAccounts, args CreateArgs) (solana.Instruction, error) {
	switch {
	case a.SessionSigner.IsZero():
		return nil, missing(CreateSession, "session_signer")
	case a.Authority.IsZero():
		return nil, missing(CreateSession, "authority")
	case a.TargetProgram.IsZero():
		return nil, missing(CreateSession, "target_program")
	}
	ix, err := newCreate(CreateSession, pda.V1, &args, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
	if err != nil {
		return nil, err
	}
	ix.add(a.SessionSigner, true, true)
	ix.add(a.Authority, true, true)
	ix.add(a.TargetProgram, false, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// NewCreateSessionWithPayer builds create_session_with_payer.
func NewCreateSessionWithPayer(a CreateSessionWithPayerAccounts, args CreateArgs) (solana.Instruction, error) {
	switch {
	case a.SessionSigner.IsZero():
		return nil, missing(CreateSessionWithPayer, "session_signer")
	case a.Payer.IsZero():
		return nil, missing(CreateSessionWithPayer, "payer")
	case a.Authority.IsZero():
		return nil, missing(CreateSessionWithPayer, "authority")
	case a.TargetProgram.IsZero():
		return nil, missing(CreateSessionWithPayer, "target_program")
	}
	ix, err := newCreate(CreateSessionWithPayer, pda.V1, &args, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
	if err != nil {
		return nil, err
	}
	ix.add(a.SessionSigner, true, true)
	ix.add(a.Payer, true, true)
	ix.add(a.Authority, false, true)
	ix.add(a.TargetProgram, false, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// NewCreateSessionV2 builds create_session_v2. Builds of the program without V2 reject
// it with InstructionFallbackNotFound (Anchor 101).
func NewCreateSessionV2(a CreateSessionV2Accounts, args CreateArgs) (solana.Instruction, error) {
	switch {
	case a.SessionSigner.IsZero():
		return nil, missing(CreateSessionV2, "session_signer")
	case a.FeePayer.IsZero():
		return nil, missing(CreateSessionV2, "fee_payer")
	case a.Authority.IsZero():
		return nil, missing(CreateSessionV2, "authority")
	case a.TargetProgram.IsZero():
		return nil, missing(CreateSessionV2, "target_program")
	}
	ix, err := newCreate(CreateSessionV2, pda.V2, &args, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
	if err != nil {
		return nil, err
	}
	ix.add(a.SessionSigner, true, true)
	ix.add(a.FeePayer, true, true)
	ix.add(a.Authority, false, true)
	ix.add(a.TargetProgram, false, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// newCreate validates the arguments, encodes them and adds the token account.
func newCreate(kind InstructionKind, v pda.Version, args *CreateArgs, token, target, signer, authority solana.PublicKey) (*instruction, error) {
	p, err := resolveCreate(kind, args)
	if err != nil {
		return nil, err
	}
	if token.IsZero() {
		if token, _, err = p.cache.Find(v, p.programID, target, signer, authority); err != nil {
			return nil, fmt.Errorf("client: %s: session token address: %w", kind, err)
		}
	}
	ix := &instruction{programID: p.programID}
	ix.nData = len(appendCreateArgs(ix.data[:0], kind, &p))
	ix.add(token, true, false)
	return ix, nil
}

// appendCreateArgs writes the discriminator and the borsh (Option<bool>, Option<i64>,
// Option<u64>) arguments.
func appendCreateArgs(dst []byte, kind InstructionKind, p *createParams) []byte {
	disc := instructionDiscriminators[kind]
	dst = append(dst, disc[:]...)
	if p.topUp != nil {
		b := byte(0)
		if *p.topUp {
			b = 1
		}
		dst = append(dst, 1, b)
	} else {
		dst = append(dst, 0)
	}
	if p.hasValidUntil {
		dst = binary.LittleEndian.AppendUint64(append(dst, 1), uint64(p.validUntil))
	} else {
		dst = append(dst, 0)
	}
	if p.lamports != nil {
		dst = binary.LittleEndian.AppendUint64(append(dst, 1), *p.lamports)
	} else {
		dst = append(dst, 0)
	}
	return dst
}

// RevokeSessionAccounts are the accounts of revoke_session.
type RevokeSessionAccounts struct {
	// SessionToken is the V1 token to close.
	SessionToken solana.PublicKey
	// Authority is the token's authority; it receives the rent and need not sign (anyone
	// may revoke a V1 token).
	Authority solana.PublicKey
}

// RevokeSessionV2Accounts are the accounts of revoke_session_v2.
type RevokeSessionV2Accounts struct {
	// SessionToken is the V2 token to close.
	SessionToken solana.PublicKey
	// FeePayer is the token's recorded fee payer; it receives the rent.
	FeePayer solana.PublicKey
	// Authority is the token's authority; see RevokeArgs.AuthorityUnsigned.
	Authority solana.PublicKey
}

// NewRevokeSession builds revoke_session.
func NewRevokeSession(a RevokeSessionAccounts, args RevokeArgs) (solana.Instruction, error) {
	switch {
	case a.SessionToken.IsZero():
		return nil, missing(RevokeSession, "session_token")
	case a.Authority.IsZero():
		return nil, missing(RevokeSession, "authority")
	}
	if args.AuthorityUnsigned {
		return nil, fmt.Errorf("%w: %s never asks for the authority's signature", ErrInvalidArgs, RevokeSession)
	}
	ix := &instruction{programID: programOrDefault(args.ProgramID)}
	ix.nData = copy(ix.data[:], instructionDiscriminators[RevokeSession][:])
	ix.add(a.SessionToken, true, false)
	ix.add(a.Authority, true, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// NewRevokeSessionV2 builds revoke_session_v2; the authority signs unless
// args.AuthorityUnsigned.
func NewRevokeSessionV2(a RevokeSessionV2Accounts, args RevokeArgs) (solana.Instruction, error) {
	switch {
	case a.SessionToken.IsZero():
		return nil, missing(RevokeSessionV2, "session_token")
	case a.FeePayer.IsZero():
		return nil, missing(RevokeSessionV2, "fee_payer")
	case a.Authority.IsZero():
		return nil, missing(RevokeSessionV2, "authority")
	}
	ix := &instruction{programID: programOrDefault(args.ProgramID)}
	ix.nData = copy(ix.data[:], instructionDiscriminators[RevokeSessionV2][:])
	ix.add(a.SessionToken, true, false)
	ix.add(a.FeePayer, true, false)
	ix.add(a.Authority, false, !args.AuthorityUnsigned)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}
