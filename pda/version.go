package pda

import "strconv"

// Version selects the session-token account generation: it decides the PDA seed prefix,
// the account layout and the revoke rules.
type Version uint8

const (
	// V1 tokens ("session_token" seed, 112 bytes) are created by create_session and
	// create_session_with_payer; anyone may revoke them and rent goes to the authority.
	V1 Version = 1
	// V2 tokens ("session_token_v2" seed, 144 bytes) record the fee payer, which gets
	// the rent back on revoke; only the authority may revoke while the token is active.
	V2 Version = 2
)

// Seed prefixes exactly as the program's SessionToken::SEED_PREFIX and
// SessionTokenV2::SEED_PREFIX.
const (
	SeedPrefixV1 = "session_token"
	SeedPrefixV2 = "session_token_v2"
)

// SeedPrefix returns the literal first seed of the version's PDA, or "" for an unknown
// version.
func (v Version) SeedPrefix() string {
	switch v {
	case V1:
		return SeedPrefixV1
	case V2:
		return SeedPrefixV2
	}
	return ""
}

// Valid reports whether v is a version the program knows.
func (v Version) Valid() bool { return v == V1 || v == V2 }

// String returns "v1", "v2" or "Version(n)" for unknown values.
func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}
