package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// Resume rebuilds a Session from a stored Snapshot after a restart. It re-reads the token
// and refuses (ErrMismatch) a snapshot whose key, address or fields disagree with the
// chain, ErrNotFound when the token is gone (revoked) and client.ErrExpired when the cluster
// clock is past valid_until.
func (m *Manager) Resume(ctx context.Context, snap Snapshot) (_ *Session, err error) {
	key, err := txn.NewSessionKey(snap.Seed[:])
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			key.Zero() // a refused snapshot leaves no usable copy of its key behind
		}
	}()
	if err := checkKey(snap, key); err != nil {
		return nil, err
	}
	t, err := m.Get(ctx, snap.Token)
	if err != nil {
		return nil, err
	}
	return m.resumeToken(snap, key, t)
}

// checkKey refuses a snapshot whose key is not its signer's.
func checkKey(snap Snapshot, key *txn.SessionKey) error {
	if key.PublicKey() != snap.SessionSigner {
		return fmt.Errorf("%w: stored key is not the key of signer %s", ErrMismatch, snap.SessionSigner)
	}
	return nil
}

// resumeToken is Resume once the token t is read (as Get reads it): the Session of snap
// and key if t is the token snap describes and is not expired. It does not zero key.
func (m *Manager) resumeToken(snap Snapshot, key *txn.SessionKey, t *TokenStatus) (*Session, error) {
	want := client.TokenAccount{Version: snap.Version, Authority: snap.Authority, TargetProgram: snap.TargetProgram,
		SessionSigner: snap.SessionSigner, ValidUntil: snap.ValidUntil}
	if t.Version == pda.V2 {
		want.FeePayer = snap.FeePayer
	}
	if want != t.TokenAccount || t.Address != snap.Token {
		return nil, fmt.Errorf("%w: stored session %s differs from the chain", ErrMismatch, snap.Token)
	}
	if t.Expired {
		return nil, fmt.Errorf("%w: %s valid until %d", client.ErrExpired, t.Address, t.ValidUntil)
	}
	if err := checkCapAccounts(snap.Tokens, snap.SessionSigner, t.Authority); err != nil {
		return nil, fmt.Errorf("session: the stored token caps of %s: %w", snap.Token, err)
	}
	s := &Session{
		salt:  newSalt(),
		token: t.Address, signer: snap.SessionSigner, authority: t.Authority, target: t.TargetProgram,
		feePayer: snap.FeePayer, version: t.Version, validUntil: t.ValidUntil, key: key, mgr: m,
		tokens: slices.Clone(snap.Tokens),
	}
	if snap.Grant != nil {
		// A stored grant that does not parse, or names another session, is refused: its
		// bounds must hold after the restart as before.
		var err error
		if s.bounds, err = newBounds(snap.Grant, t.Address, snap.SessionSigner, t.TargetProgram, m.reserver, m.idls[t.TargetProgram]); err != nil {
			return nil, fmt.Errorf("session: the stored grant of %s: %w", snap.Token, err)
		}
		if e := s.bounds.grant.Expiry; e != 0 && e != t.ValidUntil {
			return nil, fmt.Errorf("%w: the stored grant of %s expires at %d, the token at %d", ErrMismatch, snap.Token, e, t.ValidUntil)
		}
	}
	return s, nil
}
