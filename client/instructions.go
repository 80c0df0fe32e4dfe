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
	// MaxValidity is the furthest valid_until may lie after the program's clock.
	MaxValidity = 7 * 24 * time.Hour
	// DefaultTopUpLamports is what a top-up transfers when no amount is sent
	// (LAMPORTS_PER_SOL / 100).
	DefaultTopUpLamports uint64 = 10_000_000
)

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
	// ErrClusterTimeRequired means a valid-until was requested without WithClusterTime:
	// the checks need the cluster's clock, and the local clock is not a substitute.
	ErrClusterTimeRequired = errors.New("cluster time required (WithClusterTime)")
	// ErrValidUntilNotAfterNow means valid_until is not after the cluster time. The program
	// would accept it and create a token that is already expired.
	ErrValidUntilNotAfterNow = errors.New("valid_until is not after the cluster time")
	// ErrLamportsWithoutTopUp means WithLamports was given without WithTopUp(true); the
	// program ignores the amount unless top_up is true.
	ErrLamportsWithoutTopUp = errors.New("lamports given without top-up")
	// ErrInvalidOption means an option that does not apply to the instruction, a zero
	// Option, or options that contradict each other.
	ErrInvalidOption = errors.New("invalid option")
	// ErrMissingAccount means a required account was left as the zero key.
	ErrMissingAccount = errors.New("required account missing")
)

type optionKind uint8

const (
	optTopUp optionKind = iota + 1
	optLamports
	optValidUntil
	optValidity
	optClusterTime
	optProgramID
	optPDACache
	optAuthoritySigner
)

var optionNames = [...]string{
	optTopUp:           "WithTopUp",
	optLamports:        "WithLamports",
	optValidUntil:      "WithValidUntil",
	optValidity:        "WithValidity",
	optClusterTime:     "WithClusterTime",
	optProgramID:       "WithProgramID",
	optPDACache:        "WithPDACache",
	optAuthoritySigner: "WithAuthoritySigner",
}

// Option configures an instruction builder. Options are plain values (no closures), so
// passing them costs no allocation. A builder given an option that does not apply to it
// returns ErrInvalidOption.
type Option struct {
	kind  optionKind
	flag  bool
	num   int64
	key   solana.PublicKey
	cache *pda.Cache
}

// WithTopUp sets the top_up argument of a create instruction: when true the payer also
// transfers lamports to the session signer (DefaultTopUpLamports unless WithLamports).
// Without it the argument is None, which the program reads as false.
func WithTopUp(topUp bool) Option { return Option{kind: optTopUp, flag: topUp} }

// WithLamports sets the top-up amount of a create instruction. It requires
// WithTopUp(true). Builds of the program older than January 2025 ignore the amount and
// transfer DefaultTopUpLamports.
func WithLamports(lamports uint64) Option {
	return Option{kind: optLamports, num: int64(lamports)}
}

// WithValidUntil sets the token's expiry (unix seconds) on a create instruction. It needs
// WithClusterTime: valid_until must be after the cluster time and at most MaxValidity
// later. Without it the argument is None and the program uses its clock + DefaultValidity.
func WithValidUntil(unix int64) Option { return Option{kind: optValidUntil, num: unix} }

// WithValidity sets valid_until to the cluster time plus d (whole seconds), like
// WithValidUntil. It needs WithClusterTime.
func WithValidity(d time.Duration) Option { return Option{kind: optValidity, num: int64(d)} }

// WithClusterTime supplies the cluster's current unix time (Clock sysvar or the latest
// block time) for the create-time checks.
func WithClusterTime(unix int64) Option { return Option{kind: optClusterTime, num: unix} }

// WithProgramID sends the instruction to another deployment of the program (default
// pda.MagicBlockProgramID; pda.GumProgramID for the Gum-era one).
func WithProgramID(id solana.PublicKey) Option { return Option{kind: optProgramID, key: id} }

// WithPDACache makes create builders derive the session token address through c instead
// of afresh (a derivation costs about 8 µs, a cache hit well under 100 ns).
func WithPDACache(c *pda.Cache) Option { return Option{kind: optPDACache, cache: c} }

// WithAuthoritySigner sets whether revoke_session_v2 marks the authority as a signer.
// The program requires the authority's signature while the token is active although the
// IDL does not say so; the default is true, which always works when the authority can
// sign. Use false (see Token.RevokeNeedsAuthority) to let anyone clean up an expired
// token.
func WithAuthoritySigner(sign bool) Option { return Option{kind: optAuthoritySigner, flag: sign} }

// createParams are create options after validation.
type createParams struct {
	programID      solana.PublicKey
	cache          *pda.Cache
	topUp          bool
	hasTopUp       bool
	lamports       uint64
	hasLamports    bool
	validUntil     int64
	hasValidUntil  bool
	clusterTime    int64
	hasClusterTime bool
}

func optionError(kind InstructionKind, format string, args ...any) error {
	return fmt.Errorf("client: %s: %w: "+format, append([]any{kind, ErrInvalidOption}, args...)...)
}

func resolveCreate(kind InstructionKind, opts []Option) (createParams, error) {
	p := createParams{programID: pda.MagicBlockProgramID}
	var validity time.Duration
	var hasValidity bool
	for i := range opts {
		o := &opts[i]
		switch o.kind {
		case optTopUp:
			p.topUp, p.hasTopUp = o.flag, true
		case optLamports:
			p.lamports, p.hasLamports = uint64(o.num), true
		case optValidUntil:
			p.validUntil, p.hasValidUntil = o.num, true
		case optValidity:
			validity, hasValidity = time.Duration(o.num), true
		case optClusterTime:
			p.clusterTime, p.hasClusterTime = o.num, true
		case optProgramID:
			p.programID = o.key
		case optPDACache:
			p.cache = o.cache
		case 0:
			return p, optionError(kind, "zero Option value")
		default:
			return p, optionError(kind, "%s does not apply", optionNames[o.kind])
		}
	}
	if p.hasLamports && !p.topUp {
		return p, fmt.Errorf("client: %s: %w: the program ignores lamports unless top_up is true", kind, ErrLamportsWithoutTopUp)
	}
	if p.programID.IsZero() {
		return p, optionError(kind, "WithProgramID with the zero key")
	}
	if hasValidity && p.hasValidUntil {
		return p, optionError(kind, "both WithValidUntil and WithValidity")
	}
	if !hasValidity && !p.hasValidUntil {
		return p, nil
	}
	if !p.hasClusterTime {
		return p, fmt.Errorf("client: %s: %w to check the requested valid_until", kind, ErrClusterTimeRequired)
	}
	if hasValidity {
		p.validUntil, p.hasValidUntil = p.clusterTime+int64(validity/time.Second), true
	}
	return p, checkValidUntil(kind, p.validUntil, p.clusterTime)
}

// checkValidUntil mirrors the program's `valid_until <= now + 7 days` and adds the
// not-in-the-past check the program lacks.
func checkValidUntil(kind InstructionKind, validUntil, now int64) error {
	if validUntil <= now {
		return fmt.Errorf("client: %s: %w: valid_until %d, cluster time %d (the token would be born expired)",
			kind, ErrValidUntilNotAfterNow, validUntil, now)
	}
	// Unsigned difference: exact for any two int64 values with validUntil > now.
	maxSecs := uint64(MaxValidity / time.Second)
	if uint64(validUntil)-uint64(now) > maxSecs {
		return fmt.Errorf("client: %s: %w: valid_until %d is %d s after cluster time %d, the program allows at most %d s",
			kind, ErrValidityTooLong, validUntil, uint64(validUntil)-uint64(now), now, maxSecs)
	}
	return nil
}

// CreateEffect is what a create instruction built with the same options does on chain.
type CreateEffect struct {
	// TopUpLamports is transferred from the payer to the session signer (0 without
	// top-up). Builds older than January 2025 transfer DefaultTopUpLamports whatever
	// WithLamports said; check the signer's balance when the exact amount matters.
	TopUpLamports uint64
	// ValidUntil is the token's expiry. Without a valid-until option the program uses its
	// own clock at execution + DefaultValidity, so this (cluster time + 1 h) is a lower
	// bound.
	ValidUntil int64
}

// EffectiveCreate applies the program's defaults to opts (the same options given to a
// create builder) and reports the top-up and expiry the instruction will produce. It
// needs WithClusterTime and runs the same checks as the builders.
func EffectiveCreate(opts ...Option) (CreateEffect, error) {
	p, err := resolveCreate(CreateSession, opts)
	if err != nil {
		return CreateEffect{}, err
	}
	if !p.hasClusterTime {
		return CreateEffect{}, fmt.Errorf("client: %w to compute the default valid_until", ErrClusterTimeRequired)
	}
	var e CreateEffect
	if p.topUp {
		e.TopUpLamports = DefaultTopUpLamports
		if p.hasLamports {
			e.TopUpLamports = p.lamports
		}
	}
	e.ValidUntil = p.clusterTime + int64(DefaultValidity/time.Second)
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
	return fmt.Errorf("client: %s: %w: %s is the zero key", kind, ErrMissingAccount, account)
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

// NewCreateSession builds create_session. Options: WithTopUp, WithLamports,
// WithValidUntil or WithValidity (with WithClusterTime), WithProgramID, WithPDACache.
func NewCreateSession(a CreateSessionAccounts, opts ...Option) (solana.Instruction, error) {
	switch {
	case a.SessionSigner.IsZero():
		return nil, missing(CreateSession, "session_signer")
	case a.Authority.IsZero():
		return nil, missing(CreateSession, "authority")
	case a.TargetProgram.IsZero():
		return nil, missing(CreateSession, "target_program")
	}
	ix, err := newCreate(CreateSession, pda.V1, opts, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
	if err != nil {
		return nil, err
	}
	ix.add(a.SessionSigner, true, true)
	ix.add(a.Authority, true, true)
	ix.add(a.TargetProgram, false, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// NewCreateSessionWithPayer builds create_session_with_payer; options as for
// NewCreateSession.
func NewCreateSessionWithPayer(a CreateSessionWithPayerAccounts, opts ...Option) (solana.Instruction, error) {
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
	ix, err := newCreate(CreateSessionWithPayer, pda.V1, opts, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
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

// NewCreateSessionV2 builds create_session_v2; options as for NewCreateSession. Builds
// of the program without V2 reject it with InstructionFallbackNotFound (Anchor 101).
func NewCreateSessionV2(a CreateSessionV2Accounts, opts ...Option) (solana.Instruction, error) {
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
	ix, err := newCreate(CreateSessionV2, pda.V2, opts, a.SessionToken, a.TargetProgram, a.SessionSigner, a.Authority)
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

// newCreate validates the options, encodes the arguments and adds the token account.
func newCreate(kind InstructionKind, v pda.Version, opts []Option, token, target, signer, authority solana.PublicKey) (*instruction, error) {
	p, err := resolveCreate(kind, opts)
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
	if p.hasTopUp {
		b := byte(0)
		if p.topUp {
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
	if p.hasLamports {
		dst = binary.LittleEndian.AppendUint64(append(dst, 1), p.lamports)
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
	// Authority is the token's authority; see WithAuthoritySigner.
	Authority solana.PublicKey
}

// revokeParams are revoke options after validation.
type revokeParams struct {
	programID       solana.PublicKey
	authoritySigner bool
}

func resolveRevoke(kind InstructionKind, opts []Option) (revokeParams, error) {
	p := revokeParams{programID: pda.MagicBlockProgramID, authoritySigner: true}
	for i := range opts {
		o := &opts[i]
		switch {
		case o.kind == optProgramID:
			p.programID = o.key
		case o.kind == optAuthoritySigner && kind == RevokeSessionV2:
			p.authoritySigner = o.flag
		case o.kind == 0:
			return p, optionError(kind, "zero Option value")
		default:
			return p, optionError(kind, "%s does not apply", optionNames[o.kind])
		}
	}
	if p.programID.IsZero() {
		return p, optionError(kind, "WithProgramID with the zero key")
	}
	return p, nil
}

// NewRevokeSession builds revoke_session. Options: WithProgramID.
func NewRevokeSession(a RevokeSessionAccounts, opts ...Option) (solana.Instruction, error) {
	switch {
	case a.SessionToken.IsZero():
		return nil, missing(RevokeSession, "session_token")
	case a.Authority.IsZero():
		return nil, missing(RevokeSession, "authority")
	}
	p, err := resolveRevoke(RevokeSession, opts)
	if err != nil {
		return nil, err
	}
	ix := &instruction{programID: p.programID}
	ix.nData = copy(ix.data[:], instructionDiscriminators[RevokeSession][:])
	ix.add(a.SessionToken, true, false)
	ix.add(a.Authority, true, false)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}

// NewRevokeSessionV2 builds revoke_session_v2. Options: WithProgramID,
// WithAuthoritySigner (default true: the authority signs).
func NewRevokeSessionV2(a RevokeSessionV2Accounts, opts ...Option) (solana.Instruction, error) {
	switch {
	case a.SessionToken.IsZero():
		return nil, missing(RevokeSessionV2, "session_token")
	case a.FeePayer.IsZero():
		return nil, missing(RevokeSessionV2, "fee_payer")
	case a.Authority.IsZero():
		return nil, missing(RevokeSessionV2, "authority")
	}
	p, err := resolveRevoke(RevokeSessionV2, opts)
	if err != nil {
		return nil, err
	}
	ix := &instruction{programID: p.programID}
	ix.nData = copy(ix.data[:], instructionDiscriminators[RevokeSessionV2][:])
	ix.add(a.SessionToken, true, false)
	ix.add(a.FeePayer, true, false)
	ix.add(a.Authority, false, p.authoritySigner)
	ix.add(solana.SystemProgramID, false, false)
	return ix, nil
}
