package session

import (
	"context"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// RenewParams tunes Renew; the new session keeps the old one's target and, by default,
// its kind.
type RenewParams struct {
	// Kind of the new session; default: KindV1 for a V1 session whose authority paid,
	// KindV1WithPayer for one with another payer, KindV2 for V2.
	Kind Kind
	// Payer pays for the new session, as in CreateParams; required when the kind needs one.
	Payer *txn.SessionKey
	// ValidFor and TopUp as in CreateParams.
	ValidFor time.Duration
	TopUp    uint64
	// RevokeOld revokes the old session once the new one exists, sweeping its lamports as
	// Revoke does; otherwise it stays valid until it expires.
	RevokeOld bool
	// Revoke adjusts that revoke.
	Revoke RevokeParams
	// Grant bounds the new session; by default it is old's grant (its signer and expiry
	// filled in afresh), so a renewal never drops a session's bounds. The new session's
	// memo carries it and its counters start from zero: the authority signs it anew.
	Grant *grant.Grant
	// Tokens are the new session's token caps; nil grants old's again (same mints,
	// amounts and modes: a fresh top-up from the authority's accounts, a fresh allowance
	// replacing old's), an empty non-nil slice grants none. With RevokeOld, old's
	// top-ups go back to the authority after the new ones are made, so the authority
	// needs the granted amounts on hand meanwhile.
	Tokens []TokenGrant
}

// Renew replaces old with a new session for the same authority and target, with a fresh
// ephemeral key: the program cannot extend a token, and a new key also ends the old key's
// exposure. The authority must sign the create; use PrepareCreate instead when its key is
// in a wallet. The old session keeps working until it is revoked or expires, so moves in
// flight are not disturbed.
func (m *Manager) Renew(ctx context.Context, old *Session, authority solana.PrivateKey, p RenewParams) (*Session, error) {
	keys, err := sessionKeys(authority)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 || keys[0].PublicKey() != old.authority {
		return nil, fmt.Errorf("%w: renewing %s needs the key of its authority %s", ErrWrongAuthority, old.token, old.authority)
	}
	kind := p.Kind
	if kind == 0 {
		kind = old.kind()
	}
	g := p.Grant
	if g == nil && old.bounds != nil {
		carried := *old.bounds.grant
		carried.Signer, carried.Expiry = solana.PublicKey{}, 0
		g = &carried
	}
	tokens := p.Tokens
	if tokens == nil {
		tokens = renewGrants(old.tokens)
	}
	next, err := m.Create(ctx, authority, CreateParams{Kind: kind, TargetProgram: old.target, Payer: p.Payer, ValidFor: p.ValidFor, TopUp: p.TopUp, Grant: g, Tokens: tokens})
	if err != nil {
		return nil, err
	}
	if p.RevokeOld {
		if _, err := m.Revoke(ctx, old, p.Revoke); err != nil {
			return next, fmt.Errorf("session: renewed as %s, but revoking the old session: %w", next.token, err)
		}
	}
	return next, nil
}

// kind guesses the create instruction that made s from its version and payer.
func (s *Session) kind() Kind {
	switch {
	case s.version == pda.V2:
		return KindV2
	case s.feePayer != s.authority:
		return KindV1WithPayer
	}
	return KindV1
}
