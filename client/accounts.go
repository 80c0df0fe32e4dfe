package client

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/pda"
)

// Account sizes: 8-byte discriminator plus the borsh fields (the program allocates
// exactly this much).
const (
	SessionTokenLen   = 112
	SessionTokenV2Len = 144
)

// Account discriminators: sha256("account:<Name>")[:8].
var (
	sessionTokenDisc   = [8]byte{233, 4, 115, 14, 46, 21, 1, 15}
	sessionTokenV2Disc = [8]byte{178, 3, 85, 254, 13, 116, 128, 41}
)

// TokenDiscriminator returns the account discriminator of the version's token, for
// example for a getProgramAccounts memcmp filter at offset 0.
func TokenDiscriminator(v pda.Version) ([8]byte, bool) {
	switch v {
	case pda.V1:
		return sessionTokenDisc, true
	case pda.V2:
		return sessionTokenV2Disc, true
	}
	return [8]byte{}, false
}

// Decoding errors, wrapped in *AccountError.
var (
	// ErrWrongOwner means the account is not owned by the session program.
	ErrWrongOwner = errors.New("account not owned by the session program")
	// ErrNotSessionToken means the data is too short or has another discriminator.
	ErrNotSessionToken = errors.New("account is not a session token")
)

// AccountError says why account data is not the expected session token, naming what
// was expected and what was found. It unwraps to ErrWrongOwner or ErrNotSessionToken.
type AccountError struct {
	Err error
	// Want is the expected token version, 0 when either was acceptable.
	Want pda.Version
	// Owner and ProgramID are the account's owner and the expected one (ErrWrongOwner).
	Owner, ProgramID solana.PublicKey
	// Len is the data length.
	Len int
	// Discriminator is the data's first 8 bytes (zero if shorter).
	Discriminator [8]byte
}

func versionName(v pda.Version) string {
	switch v {
	case pda.V1:
		return "SessionToken"
	case pda.V2:
		return "SessionTokenV2"
	}
	return "session token"
}

func (e *AccountError) Error() string { return "client: " + e.describe() }

func (e *AccountError) describe() string {
	want := versionName(e.Want)
	switch {
	case e.Err == ErrWrongOwner:
		return fmt.Sprintf("account owned by %s, not by the session program %s", e.Owner, e.ProgramID)
	case e.Len < 8:
		return fmt.Sprintf("not a %s: %d bytes of data, no discriminator", want, e.Len)
	}
	found := tokenVersionOf(e.Discriminator)
	if (e.Want != 0 && found == e.Want) || (e.Want == 0 && found != 0) {
		return fmt.Sprintf("not a %s: %d bytes of data, need at least %d", versionName(found), e.Len, tokenLen(found))
	}
	if found != 0 {
		return fmt.Sprintf("not a %s: discriminator %x is %s's", want, e.Discriminator, versionName(found))
	}
	if e.Want == 0 {
		return fmt.Sprintf("not a session token: discriminator %x matches neither SessionToken nor SessionTokenV2", e.Discriminator)
	}
	d, _ := TokenDiscriminator(e.Want)
	return fmt.Sprintf("not a %s: discriminator %x, want %x", want, e.Discriminator, d)
}

func (e *AccountError) Unwrap() error { return e.Err }

func tokenVersionOf(disc [8]byte) pda.Version {
	switch disc {
	case sessionTokenDisc:
		return pda.V1
	case sessionTokenV2Disc:
		return pda.V2
	}
	return 0
}

func tokenLen(v pda.Version) int {
	if v == pda.V2 {
		return SessionTokenV2Len
	}
	return SessionTokenLen
}

// checkToken runs Anchor's Account<T> loading checks in Anchor's order: owner,
// discriminator, then enough bytes for the fields. Longer data is accepted, as borsh
// deserialization in Anchor ignores trailing bytes. It returns the version found.
func checkToken(want pda.Version, programID, owner solana.PublicKey, data []byte) (pda.Version, error) {
	if owner != programID {
		return 0, &AccountError{Err: ErrWrongOwner, Want: want, Owner: owner, ProgramID: programID, Len: len(data)}
	}
	return checkTokenData(want, data)
}

func checkTokenData(want pda.Version, data []byte) (pda.Version, error) {
	if len(data) < 8 {
		return 0, &AccountError{Err: ErrNotSessionToken, Want: want, Len: len(data)}
	}
	disc := [8]byte(data[:8])
	found := tokenVersionOf(disc)
	if found == 0 || (want != 0 && found != want) || len(data) < tokenLen(found) {
		return 0, &AccountError{Err: ErrNotSessionToken, Want: want, Len: len(data), Discriminator: disc}
	}
	return found, nil
}

// SessionToken is the V1 token account ("session_token" seed, 112 bytes).
type SessionToken struct {
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	SessionSigner solana.PublicKey
	// ValidUntil is the expiry in unix seconds: the token is valid while the cluster's
	// clock is strictly before it.
	ValidUntil int64
}

// SessionTokenV2 is the V2 token account ("session_token_v2" seed, 144 bytes).
type SessionTokenV2 struct {
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	SessionSigner solana.PublicKey
	// FeePayer paid for the token and receives its lamports on revoke.
	FeePayer   solana.PublicKey
	ValidUntil int64
}

// TokenAccount is a session token of either version.
type TokenAccount struct {
	Version       pda.Version
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
	SessionSigner solana.PublicKey
	// FeePayer is zero for V1 tokens.
	FeePayer   solana.PublicKey
	ValidUntil int64
}

// UnmarshalBinary decodes account data without allocating. It checks the discriminator
// and that the data holds all fields; trailing bytes are ignored, as Anchor does.
func (t *SessionToken) UnmarshalBinary(data []byte) error {
	if _, err := checkTokenData(pda.V1, data); err != nil {
		return err
	}
	t.decode(data)
	return nil
}

func (t *SessionToken) decode(data []byte) {
	t.Authority = solana.PublicKey(data[8:40])
	t.TargetProgram = solana.PublicKey(data[40:72])
	t.SessionSigner = solana.PublicKey(data[72:104])
	t.ValidUntil = int64(binary.LittleEndian.Uint64(data[104:112]))
}

// UnmarshalBinary decodes account data like SessionToken.UnmarshalBinary.
func (t *SessionTokenV2) UnmarshalBinary(data []byte) error {
	if _, err := checkTokenData(pda.V2, data); err != nil {
		return err
	}
	t.decode(data)
	return nil
}

func (t *SessionTokenV2) decode(data []byte) {
	t.Authority = solana.PublicKey(data[8:40])
	t.TargetProgram = solana.PublicKey(data[40:72])
	t.SessionSigner = solana.PublicKey(data[72:104])
	t.FeePayer = solana.PublicKey(data[104:136])
	t.ValidUntil = int64(binary.LittleEndian.Uint64(data[136:144]))
}

// AppendBinary appends the 112-byte account data.
func (t SessionToken) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, sessionTokenDisc[:]...)
	b = append(b, t.Authority[:]...)
	b = append(b, t.TargetProgram[:]...)
	b = append(b, t.SessionSigner[:]...)
	return binary.LittleEndian.AppendUint64(b, uint64(t.ValidUntil)), nil
}

// MarshalBinary returns the 112-byte account data, as the program writes it.
func (t SessionToken) MarshalBinary() ([]byte, error) {
	return t.AppendBinary(make([]byte, 0, SessionTokenLen))
}

// AppendBinary appends the 144-byte account data.
func (t SessionTokenV2) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, sessionTokenV2Disc[:]...)
	b = append(b, t.Authority[:]...)
	b = append(b, t.TargetProgram[:]...)
	b = append(b, t.SessionSigner[:]...)
	b = append(b, t.FeePayer[:]...)
	return binary.LittleEndian.AppendUint64(b, uint64(t.ValidUntil)), nil
}

// MarshalBinary returns the 144-byte account data, as the program writes it.
func (t SessionTokenV2) MarshalBinary() ([]byte, error) {
	return t.AppendBinary(make([]byte, 0, SessionTokenV2Len))
}

// TokenAccount returns the version-independent view.
func (t SessionToken) TokenAccount() TokenAccount {
	return TokenAccount{Version: pda.V1, Authority: t.Authority, TargetProgram: t.TargetProgram,
		SessionSigner: t.SessionSigner, ValidUntil: t.ValidUntil}
}

// TokenAccount returns the version-independent view.
func (t SessionTokenV2) TokenAccount() TokenAccount {
	return TokenAccount{Version: pda.V2, Authority: t.Authority, TargetProgram: t.TargetProgram,
		SessionSigner: t.SessionSigner, FeePayer: t.FeePayer, ValidUntil: t.ValidUntil}
}

// DecodeSessionToken decodes a V1 token account after the checks Anchor's
// Account<SessionToken> makes: owner == programID, discriminator, length. Errors are
// *AccountError.
func DecodeSessionToken(programID, owner solana.PublicKey, data []byte) (SessionToken, error) {
	var t SessionToken
	if _, err := checkToken(pda.V1, programID, owner, data); err != nil {
		return t, err
	}
	t.decode(data)
	return t, nil
}

// DecodeSessionTokenV2 is DecodeSessionToken for V2 tokens.
func DecodeSessionTokenV2(programID, owner solana.PublicKey, data []byte) (SessionTokenV2, error) {
	var t SessionTokenV2
	if _, err := checkToken(pda.V2, programID, owner, data); err != nil {
		return t, err
	}
	t.decode(data)
	return t, nil
}

// DecodeToken decodes a token of either version, telling them apart by discriminator,
// with the same checks as DecodeSessionToken.
func DecodeToken(programID, owner solana.PublicKey, data []byte) (TokenAccount, error) {
	v, err := checkToken(0, programID, owner, data)
	if err != nil {
		return TokenAccount{}, err
	}
	return decodeToken(v, data), nil
}

func decodeToken(v pda.Version, data []byte) TokenAccount {
	if v == pda.V2 {
		var t SessionTokenV2
		t.decode(data)
		return t.TokenAccount()
	}
	var t SessionToken
	t.decode(data)
	return t.TokenAccount()
}

// Active reports whether the program accepts the token at the given cluster time:
// clusterTime < ValidUntil, for both versions.
func (t TokenAccount) Active(clusterTime int64) bool { return clusterTime < t.ValidUntil }

// RevokeNeedsAuthority reports whether revoking the token needs the authority's
// signature at the given cluster time: never for V1; for V2 whenever
// clusterTime <= ValidUntil. Deployed builds differ at the boundary — 3.0.11 treats the
// token as expired from ValidUntil on, 3.0.10 only after it — so the answer covers
// both. (Commit 53315b2, between them, inverted the rule and wanted the signature only
// after expiry; the builder's default of always signing is right for every build.)
// Pass a cluster time no later than the revoke's execution: the clock only moves on.
func (t TokenAccount) RevokeNeedsAuthority(clusterTime int64) bool {
	return t.Version == pda.V2 && clusterTime <= t.ValidUntil
}

// Address derives the token's canonical address from its own fields, as revoke does.
func (t TokenAccount) Address(programID solana.PublicKey) (solana.PublicKey, uint8, error) {
	return pda.Find(t.Version, programID, t.TargetProgram, t.SessionSigner, t.Authority)
}
