package client

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
)

// Validation failures, one per check of the program's Session derive and
// session_auth_or (wire reference §6, steps a–f). Steps a and b fail with
// ErrWrongOwner and ErrNotSessionToken.
var (
	// ErrPDAMismatch (step c): the token is not at the PDA of (prefix, target program,
	// session signer, authority). On chain: InvalidToken (6001).
	ErrPDAMismatch = errors.New("session token is not at the expected PDA")
	// ErrAuthorityMismatch (step d): the token records another authority.
	ErrAuthorityMismatch = errors.New("session token authority mismatch")
	// ErrExpired (step e): the cluster time is not before valid_until. On chain:
	// InvalidToken (6001).
	ErrExpired = errors.New("session token expired")
	// ErrSignerMissing (step f): the session signer did not sign.
	ErrSignerMissing = errors.New("session signer did not sign")
)

// ValidationError reports the first failed check for a token account. It unwraps to
// the check's sentinel (through *AccountError for steps a and b).
type ValidationError struct {
	// Token is the token account's address.
	Token solana.PublicKey
	Err   error
	// Detail says what was expected and what was found, when Err does not.
	Detail string
}

func (e *ValidationError) Error() string {
	reason := e.Err.Error()
	var ae *AccountError
	if errors.As(e.Err, &ae) {
		reason = ae.describe()
	}
	s := "client: token " + e.Token.String() + ": " + reason
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *ValidationError) Unwrap() error { return e.Err }

// Expected is what a target program expects of a session token when it processes an
// instruction.
type Expected struct {
	// ProgramID is the session program; zero means pda.MagicBlockProgramID.
	ProgramID solana.PublicKey
	// Version is the token type the target program declares (Account<SessionToken> or
	// Account<SessionTokenV2>); 0 accepts either.
	Version pda.Version
	// TargetProgram is the program that runs the check (crate::id() in its macros).
	//
	// A zero TargetProgram, SessionSigner or Authority takes the token's own value, so
	// that Expected{} judges a token by itself: steps c and d then prove only that it
	// sits at the PDA of its own fields, which is where the program creates tokens.
	TargetProgram solana.PublicKey
	// SessionSigner is the key in the `signer =` field.
	SessionSigner solana.PublicKey
	// Authority is the `authority =` expression, e.g. the game account's stored owner.
	Authority solana.PublicKey
	// ClusterTime is the cluster's unix time (Clock sysvar or block time), never the
	// local clock.
	ClusterTime int64
	// Signers are the keys whose signatures the transaction carries.
	Signers []solana.PublicKey
	// NoTransaction skips step f, for judging a token with no transaction in view
	// (inspecting or listing it). Signers is then ignored.
	NoTransaction bool
	// Cache, if set, memoises the PDA derivation of step c.
	Cache *pda.Cache
}

// ValidateSessionToken runs, off chain and in the program's order, the checks a target
// program makes when given the token account at address (with its owner and data):
//
//	a. owner is the session program
//	b. discriminator (of want.Version) and length
//	c. address == PDA(prefix, TargetProgram, SessionSigner, Authority) under the program
//	d. the token's authority == Authority
//	e. ClusterTime < valid_until (strict)
//	f. SessionSigner is among Signers (skipped with NoTransaction)
//
// It returns the decoded token (when steps a and b pass) and a *ValidationError for the
// first failed check.
func ValidateSessionToken(address, owner solana.PublicKey, data []byte, want Expected) (TokenAccount, error) {
	programID := want.ProgramID
	if programID.IsZero() {
		programID = pda.MagicBlockProgramID
	}
	fail := func(err error, format string, args ...any) error {
		return &ValidationError{Token: address, Err: err, Detail: fmt.Sprintf(format, args...)}
	}

	v, err := checkToken(want.Version, programID, owner, data) // a, b
	if err != nil {
		return TokenAccount{}, &ValidationError{Token: address, Err: err}
	}
	tok := decodeToken(v, data)
	want = want.resolve(tok)

	pdaAddr, _, err := want.Cache.Find(v, programID, want.TargetProgram, want.SessionSigner, want.Authority) // c
	if err != nil {
		return tok, fail(ErrPDAMismatch, "%v", err)
	}
	if pdaAddr != address {
		return tok, fail(ErrPDAMismatch, "expected %s for %s", pdaAddr, pdaMismatchCause(tok, want))
	}
	if tok.Authority != want.Authority { // d
		return tok, fail(ErrAuthorityMismatch, "token has %s, expected %s", tok.Authority, want.Authority)
	}
	if !tok.Active(want.ClusterTime) { // e
		return tok, fail(ErrExpired, "valid_until %d, cluster time %d", tok.ValidUntil, want.ClusterTime)
	}
	if !want.NoTransaction && !slices.Contains(want.Signers, want.SessionSigner) { // f
		return tok, fail(ErrSignerMissing, "%s is not among the %d signers", want.SessionSigner, len(want.Signers))
	}
	return tok, nil
}

// resolve fills the zero keys of want with the token's own.
func (want Expected) resolve(tok TokenAccount) Expected {
	if want.TargetProgram.IsZero() {
		want.TargetProgram = tok.TargetProgram
	}
	if want.SessionSigner.IsZero() {
		want.SessionSigner = tok.SessionSigner
	}
	if want.Authority.IsZero() {
		want.Authority = tok.Authority
	}
	return want
}

// pdaMismatchCause names the field that differs, as far as the token's own data tells.
func pdaMismatchCause(tok TokenAccount, want Expected) string {
	switch {
	case tok.TargetProgram != want.TargetProgram:
		return fmt.Sprintf("target program %s (the token is for %s)", want.TargetProgram, tok.TargetProgram)
	case tok.SessionSigner != want.SessionSigner:
		return fmt.Sprintf("session signer %s (the token is for %s)", want.SessionSigner, tok.SessionSigner)
	case tok.Authority != want.Authority:
		return fmt.Sprintf("authority %s (the token is for %s)", want.Authority, tok.Authority)
	}
	return "the token's own fields (the account is not at its PDA)"
}
