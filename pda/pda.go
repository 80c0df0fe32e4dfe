// Package pda derives gpl_session token addresses (program-derived addresses) for a
// (target program, session signer, authority) triple, with an optional bounded memo cache.
package pda

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// MagicBlockProgramID is the current gpl_session deployment
// (KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5).
var MagicBlockProgramID = solana.PublicKey{
	0x04, 0xc7, 0x66, 0x3e, 0x7a, 0xcd, 0xab, 0x2d, 0x93, 0x04, 0x3c, 0xa3, 0x4e, 0x88, 0x6c, 0xb7,
	0x3c, 0xa9, 0x91, 0x8e, 0xae, 0xff, 0x89, 0xbe, 0x83, 0xb1, 0xa0, 0x77, 0xf0, 0x95, 0xb7, 0x86,
}

// GumProgramID is the Gum-era deployment (3ao63wcSRNa76bncC2M3KupNtXBFiDyNbgK52VG7dLaE):
// V1 tokens only, same seeds and layout.
var GumProgramID = solana.PublicKey{
	0x26, 0x5f, 0xa6, 0xc0, 0xea, 0x7e, 0xf8, 0x54, 0x84, 0xc1, 0x1e, 0xa0, 0xa9, 0x5d, 0x7b, 0x5f,
	0xc2, 0xe9, 0xc9, 0x04, 0x63, 0xfb, 0x30, 0x25, 0x89, 0x8b, 0x09, 0x0d, 0x70, 0xe4, 0x6f, 0x13,
}

var (
	// ErrUnknownVersion means a Version other than V1 or V2 was passed.
	ErrUnknownVersion = errors.New("pda: unknown session token version")
	// ErrOnCurve means the seeds with the given bump hash to a point on the ed25519
	// curve, so they do not form a program address.
	ErrOnCurve = errors.New("pda: seeds hash to an on-curve point")
	// ErrNoBump means every bump from 255 down to 1 produced an on-curve point (the
	// runtime's find_program_address fails the same way; odds about 2^-255).
	ErrNoBump = errors.New("pda: no viable bump seed")
)

// pdaMarker is appended after the program id, as in the runtime's create_program_address.
const pdaMarker = "ProgramDerivedAddress"

// maxPreimage is the longest hash input: V2 prefix, three keys, bump, program id, marker.
const maxPreimage = len(SeedPrefixV2) + 3*32 + 1 + 32 + len(pdaMarker)

// preimage is the sha256 input for one derivation; the bump byte is patched in place so
// a bump search re-hashes without rebuilding the buffer.
type preimage struct {
	buf    [maxPreimage]byte
	n      int
	bumpAt int
}

func newPreimage(v Version, programID, target, signer, authority *solana.PublicKey) (preimage, error) {
	var p preimage
	prefix := v.SeedPrefix()
	if prefix == "" {
		return p, fmt.Errorf("%w: %d", ErrUnknownVersion, uint8(v))
	}
	n := copy(p.buf[:], prefix)
	n += copy(p.buf[n:], target[:])
	n += copy(p.buf[n:], signer[:])
	n += copy(p.buf[n:], authority[:])
	p.bumpAt = n
	n++
	n += copy(p.buf[n:], programID[:])
	n += copy(p.buf[n:], pdaMarker)
	p.n = n
	return p, nil
}

// address hashes the preimage with bump and reports whether the result is off the curve.
func (p *preimage) address(bump uint8) (solana.PublicKey, bool) {
	p.buf[p.bumpAt] = bump
	h := sha256.Sum256(p.buf[:p.n])
	return h, !solana.IsOnCurve(h[:])
}

// Find returns the canonical (highest-bump) session token address of version v for the
// triple under programID, exactly as the program's find_program_address([prefix, target,
// signer, authority], programID).
func Find(v Version, programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	p, err := newPreimage(v, &programID, &target, &signer, &authority)
	if err != nil {
		return solana.PublicKey{}, 0, err
	}
	// The runtime tries 255 down to 1; bump 0 is never tried.
	for bump := 255; bump > 0; bump-- {
		if addr, ok := p.address(uint8(bump)); ok {
			return addr, uint8(bump), nil
		}
	}
	return solana.PublicKey{}, 0, ErrNoBump
}

// SessionToken is Find(V1, ...): the "session_token" address used by create_session,
// create_session_with_payer and revoke_session.
func SessionToken(programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	return Find(V1, programID, target, signer, authority)
}

// SessionTokenV2 is Find(V2, ...): the "session_token_v2" address used by
// create_session_v2 and revoke_session_v2.
func SessionTokenV2(programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	return Find(V2, programID, target, signer, authority)
}

// Address computes the address for a known bump with a single hash, like the runtime's
// create_program_address. It does not check that bump is the canonical one: the program
// only accepts the canonical address, so use it with a bump obtained from Find.
func Address(v Version, programID, target, signer, authority solana.PublicKey, bump uint8) (solana.PublicKey, error) {
	p, err := newPreimage(v, &programID, &target, &signer, &authority)
	if err != nil {
		return solana.PublicKey{}, err
	}
	addr, ok := p.address(bump)
	if !ok {
		return solana.PublicKey{}, fmt.Errorf("%w (bump %d)", ErrOnCurve, bump)
	}
	return addr, nil
}
