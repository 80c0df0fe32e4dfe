package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// RevokeAllParams says whose sessions to end and with which keys.
type RevokeAllParams struct {
	// Authority is the wallet whose every session ends. Required.
	Authority solana.PublicKey
	// ProgramIDs are the session programs to search (the MagicBlock and the Gum-era
	// deployment, say); empty means the Manager's.
	ProgramIDs []solana.PublicKey
	// Persister holds the session keys: with a token's key its signer's SOL and token
	// top-ups go back as in Revoke, and the key is deleted once the chain shows its
	// signer holds nothing. Without it tokens are closed and nothing is swept.
	Persister Persister
	// AuthorityKey, when the backend holds the wallet's key, signs the revokes of active
	// V2 tokens; without it those come back in RevokeAllResult.Wallet.
	AuthorityKey *txn.SessionKey
	// FeePayer pays for revokes no session key pays for: tokens whose keys are not held,
	// and the wallet's transaction (else the wallet pays). Without it the keyless
	// revokes are paid by AuthorityKey, or fail with ErrBadParams.
	FeePayer *txn.SessionKey
}

// RevokedToken is one token RevokeAll closed, or one stored key it emptied.
type RevokedToken struct {
	Token, ProgramID solana.PublicKey
	Version          pda.Version
	// Signature is the transaction that closed the token (or swept a key whose token
	// was gone already).
	Signature solana.Signature
	// Result is the revoke of a token whose key the store held; nil for a token closed
	// without its key, with nothing to sweep.
	Result *RevokeResult
	// KeyDeleted: the key left the store, its signer holding nothing.
	KeyDeleted bool
}

// TokenRevokeError is why RevokeAll could not finish with one token or stored key.
type TokenRevokeError struct {
	Token, ProgramID solana.PublicKey
	Err              error
}

func (e *TokenRevokeError) Error() string {
	return fmt.Sprintf("session: revoking %s (program %s): %v", e.Token, e.ProgramID, e.Err)
}

func (e *TokenRevokeError) Unwrap() error { return e.Err }

// RevokeAllResult is how far RevokeAll got: it goes on past a failed token.
type RevokeAllResult struct {
	Revoked []RevokedToken
	// Wallet holds the revokes of active V2 tokens, which need the authority's
	// signature: normally one transaction. Pass each, signed, to SubmitSigned; after it
	// lands the keys the store holds for those tokens are swept and deleted.
	Wallet []*Pending
	// WalletTokens are the tokens the Wallet transactions close.
	WalletTokens []solana.PublicKey
	Failed       []*TokenRevokeError
}

// RevokeAll signs an authority out everywhere: every V1 and V2 token of p.Authority under
// each program id, found with getProgramAccounts as List finds them, is closed. Tokens
// whose keys p.Persister holds are revoked as Revoke does, sweeping their SOL and token
// top-ups back; the others are closed together, as many per transaction as fit. Active
// V2 tokens need the wallet: unless p.AuthorityKey signs, they come back as a
// transaction for it in the result. Stored keys of the authority whose tokens are gone
// already are swept too. Keys leave the store only when the chain shows their signers
// empty.
//
// RevokeAll goes on past a token it cannot revoke; the error joins the
// *TokenRevokeError of each, and the result says what was done.
func (m *Manager) RevokeAll(ctx context.Context, p RevokeAllParams) (*RevokeAllResult, error) {
	if p.Authority.IsZero() {
		return nil, fmt.Errorf("%w: RevokeAll needs an Authority", ErrBadParams)
	}
	if p.AuthorityKey != nil && p.AuthorityKey.PublicKey() != p.Authority {
		return nil, fmt.Errorf("%w: AuthorityKey is %s, not the authority %s", ErrBadParams, p.AuthorityKey.PublicKey(), p.Authority)
	}
	programs := p.ProgramIDs
	if len(programs) == 0 {
		programs = []solana.PublicKey{m.programID}
	}
	stored := map[solana.PublicKey]Snapshot{}
	if p.Persister != nil {
		snaps, err := p.Persister.Load(ctx)
		var partial *LoadError
		if err != nil && !errors.As(err, &partial) {
			return nil, fmt.Errorf("session: loading stored sessions: %w", err)
		}
		for _, s := range snaps {
			if s.Authority == p.Authority {
				stored[s.Token] = s
			}
		}
	}
	res := &RevokeAllResult{}
	var walletSessions []*Session
	for _, id := range programs {
		pm := m.forProgram(id)
		tokens, err := pm.List(ctx, p.Authority, nil)
		if err != nil {
			return res, err
		}
		var keyless, wallet []*TokenStatus
		for _, tok := range tokens {
			snap, held := stored[tok.Address]
			delete(stored, tok.Address)
			needsWallet := tok.Version == pda.V2 && !tok.Expired && p.AuthorityKey == nil
			switch {
			case needsWallet:
				wallet = append(wallet, tok)
				if held {
					if s, err := pm.detached(snap, tok); err == nil {
						walletSessions = append(walletSessions, s)
					} else {
						res.fail(tok.Address, id, err)
					}
				}
			case held:
				pm.revokeHeld(ctx, snap, tok, p, res)
			default:
				keyless = append(keyless, tok)
			}
		}
		pm.revokeKeyless(ctx, keyless, p, res)
		if err := pm.prepareWallet(ctx, wallet, walletSessions, p, res); err != nil {
			for _, tok := range wallet {
				res.fail(tok.Address, id, err)
			}
		}
	}
	// Keys whose tokens are gone: their signers may still hold top-ups.
	for _, snap := range stored {
		m.sweepStored(ctx, snap, p, res)
	}
	var errs []error
	for _, f := range res.Failed {
		errs = append(errs, f)
	}
	return res, errors.Join(errs...)
}

func (r *RevokeAllResult) fail(token, program solana.PublicKey, err error) {
	r.Failed = append(r.Failed, &TokenRevokeError{Token: token, ProgramID: program, Err: err})
}

// forProgram is m for another session program, sharing its connections and clock.
func (m *Manager) forProgram(id solana.PublicKey) *Manager {
	if id == m.programID {
		return m
	}
	c := *m
	c.programID = id
	return &c
}

// detached is the Session of a stored key for a token as read from the chain.
func (m *Manager) detached(snap Snapshot, tok *TokenStatus) (*Session, error) {
	key, err := txn.NewSessionKey(snap.Seed[:])
	if err != nil {
		return nil, err
	}
	if key.PublicKey() != tok.SessionSigner {
		key.Zero()
		return nil, fmt.Errorf("%w: stored key is not the key of signer %s", ErrMismatch, tok.SessionSigner)
	}
	// The stored caps name the session's delegate allowances, which its revoke ends.
	if err := checkCapAccounts(snap.Tokens, tok.SessionSigner, tok.Authority); err != nil {
		key.Zero()
		return nil, fmt.Errorf("session: the stored token caps of %s: %w", tok.Address, err)
	}
	return &Session{
		salt:  newSalt(),
		token: tok.Address, signer: tok.SessionSigner, authority: tok.Authority, target: tok.TargetProgram,
		feePayer: cmp.Or(tok.FeePayer, snap.FeePayer), version: tok.Version, validUntil: tok.ValidUntil, key: key, mgr: m,
		tokens: slices.Clone(snap.Tokens),
	}, nil
}

// revokeHeld revokes a token whose key the store holds, sweeping its signer.
func (m *Manager) revokeHeld(ctx context.Context, snap Snapshot, tok *TokenStatus, p RevokeAllParams, res *RevokeAllResult) {
	s, err := m.detached(snap, tok)
	if err != nil {
		res.fail(tok.Address, m.programID, err)
		return
	}
	defer s.key.Zero()
	rp := RevokeParams{}
	if tok.Version == pda.V2 && !tok.Expired {
		rp.Authority = p.AuthorityKey
	}
	r, err := m.Revoke(ctx, s, rp)
	if errors.Is(err, ErrNoSweep) && p.FeePayer != nil {
		rp.FeePayer = p.FeePayer // a signer too poor to pay its own revoke
		r, err = m.Revoke(ctx, s, rp)
	}
	if err != nil {
		res.fail(tok.Address, m.programID, err)
		return
	}
	done := RevokedToken{Token: tok.Address, ProgramID: m.programID, Version: tok.Version, Signature: r.Signature, Result: r}
	done.KeyDeleted = m.deleteIfEmpty(ctx, s, p, res)
	res.Revoked = append(res.Revoked, done)
}

// deleteIfEmpty deletes s's key from the store when the chain, read at a slot no older
// than s's last transaction, shows its signer holds nothing.
func (m *Manager) deleteIfEmpty(ctx context.Context, s *Session, p RevokeAllParams, res *RevokeAllResult) bool {
	if p.Persister == nil {
		return false
	}
	held, err := m.holdings(ctx, s)
	if err != nil {
		res.fail(s.token, m.programID, err)
		return false
	}
	if held > 0 {
		res.fail(s.token, m.programID, fmt.Errorf("%w: session signer %s still holds %d lamports with its token accounts; its key stays in the store", ErrNoSweep, s.signer, held))
		return false
	}
	if err := p.Persister.Delete(ctx, s.token); err != nil {
		res.fail(s.token, m.programID, fmt.Errorf("session: deleting %s from the store: %w", s.token, err))
		return false
	}
	return true
}

// revokeInstruction closes tok, the authority signing when it must (an active V2 token).
func (m *Manager) revokeInstruction(tok *TokenStatus, authoritySigns bool) (solana.Instruction, error) {
	if tok.Version == pda.V1 {
		return client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: tok.Address, Authority: tok.Authority}, client.RevokeArgs{ProgramID: m.programID})
	}
	return client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: tok.Address, FeePayer: tok.FeePayer, Authority: tok.Authority},
		client.RevokeArgs{ProgramID: m.programID, AuthorityUnsigned: !authoritySigns})
}

// batches packs the revokes of tokens into as few transactions as fit, paid by payer.
func (m *Manager) batches(tokens []*TokenStatus, authoritySigns bool, cfg *wrapConfig) ([][]*TokenStatus, [][]solana.Instruction, error) {
	carrier := &Session{mgr: m} // signs nothing itself: its zero key is in no message
	var groups [][]*TokenStatus
	var ixGroups [][]solana.Instruction
	var group []*TokenStatus
	var ixs []solana.Instruction
	for _, tok := range tokens {
		ix, err := m.revokeInstruction(tok, authoritySigns)
		if err != nil {
			return nil, nil, err
		}
		ok, err := carrier.fits(append(slices.Clone(ixs), ix), cfg)
		if err != nil {
			return nil, nil, err
		}
		if !ok && len(ixs) > 0 {
			groups, ixGroups = append(groups, group), append(ixGroups, ixs)
			group, ixs = nil, nil
		}
		group, ixs = append(group, tok), append(ixs, ix)
	}
	if len(ixs) > 0 {
		groups, ixGroups = append(groups, group), append(ixGroups, ixs)
	}
	return groups, ixGroups, nil
}

// revokeKeyless closes tokens whose keys are not held, as many per transaction as fit.
func (m *Manager) revokeKeyless(ctx context.Context, tokens []*TokenStatus, p RevokeAllParams, res *RevokeAllResult) {
	if len(tokens) == 0 {
		return
	}
	payer := p.FeePayer
	if payer == nil {
		payer = p.AuthorityKey
	}
	if payer == nil {
		for _, tok := range tokens {
			res.fail(tok.Address, m.programID, fmt.Errorf("%w: its key is not in the store; set RevokeAllParams.FeePayer or AuthorityKey to pay for closing it", ErrBadParams))
		}
		return
	}
	pub := payer.PublicKey()
	cfg := &wrapConfig{payer: &pub, keys: []*txn.SessionKey{payer, p.AuthorityKey}}
	groups, ixGroups, err := m.batches(tokens, p.AuthorityKey != nil, cfg)
	if err != nil {
		for _, tok := range tokens {
			res.fail(tok.Address, m.programID, err)
		}
		return
	}
	carrier := &Session{mgr: m}
	for i, group := range groups {
		ixs := ixGroups[i]
		sig, _, err := m.send(ctx, carrier, func(bh solana.Hash) ([]byte, error) { return carrier.build(bh, ixs, cfg) })
		for _, tok := range group {
			if err != nil {
				res.fail(tok.Address, m.programID, err)
				continue
			}
			res.Revoked = append(res.Revoked, RevokedToken{Token: tok.Address, ProgramID: m.programID, Version: tok.Version, Signature: sig})
		}
	}
}

// prepareWallet builds the wallet's transaction(s) closing active V2 tokens; once one
// lands, the keys held for its tokens are swept and deleted.
func (m *Manager) prepareWallet(ctx context.Context, tokens []*TokenStatus, sessions []*Session, p RevokeAllParams, res *RevokeAllResult) error {
	if len(tokens) == 0 {
		return nil
	}
	payer := p.Authority
	var keys []*txn.SessionKey
	if p.FeePayer != nil {
		payer, keys = p.FeePayer.PublicKey(), []*txn.SessionKey{p.FeePayer}
	}
	cfg := &wrapConfig{payer: &payer, keys: keys, external: &p.Authority}
	groups, ixGroups, err := m.batches(tokens, true, cfg)
	if err != nil {
		return err
	}
	carrier := &Session{mgr: m}
	for i, group := range groups {
		bh, err := m.blockhash(ctx)
		if err != nil {
			return err
		}
		wire, err := carrier.build(bh.Hash, ixGroups[i], cfg)
		if err != nil {
			return err
		}
		var mine []*Session
		for _, tok := range group {
			res.WalletTokens = append(res.WalletTokens, tok.Address)
			if i := slices.IndexFunc(sessions, func(s *Session) bool { return s.token == tok.Address }); i >= 0 {
				mine = append(mine, sessions[i])
			}
		}
		settle := func(ctx context.Context, err error) error {
			if err != nil {
				return fmt.Errorf("session: revoking %d tokens of %s: %w", len(group), p.Authority, err)
			}
			after := &RevokeAllResult{}
			for _, s := range mine {
				s.state.Store(stateRevoked)
				m.sweepSession(ctx, s, p, after)
			}
			var errs []error
			for _, f := range after.Failed {
				errs = append(errs, f)
			}
			return errors.Join(errs...)
		}
		pending, err := newPending(wire, p.Authority, bh.LastValidBlockHeight, nil, settle)
		if err != nil {
			return err
		}
		res.Wallet = append(res.Wallet, pending)
	}
	return nil
}

// sweepStored empties the signer of a stored key of the authority whose token is gone.
func (m *Manager) sweepStored(ctx context.Context, snap Snapshot, p RevokeAllParams, res *RevokeAllResult) {
	key, err := txn.NewSessionKey(snap.Seed[:])
	if err != nil {
		res.fail(snap.Token, m.programID, err)
		return
	}
	s := &Session{
		salt:  newSalt(),
		token: snap.Token, signer: key.PublicKey(), authority: snap.Authority, target: snap.TargetProgram,
		feePayer: snap.FeePayer, version: snap.Version, validUntil: snap.ValidUntil, key: key, mgr: m,
	}
	if s.signer != snap.SessionSigner {
		key.Zero()
		res.fail(snap.Token, m.programID, fmt.Errorf("%w: stored key is not the key of signer %s", ErrMismatch, snap.SessionSigner))
		return
	}
	m.sweepSession(ctx, s, p, res)
}

// sweepSession sweeps what the signer of a closed token holds and deletes its key when
// nothing is left.
func (m *Manager) sweepSession(ctx context.Context, s *Session, p RevokeAllParams, res *RevokeAllResult) {
	defer s.key.Zero()
	held, err := m.holdings(ctx, s)
	if err != nil {
		res.fail(s.token, m.programID, err)
		return
	}
	done := RevokedToken{Token: s.token, ProgramID: m.programID, Version: s.version}
	if held > 0 {
		r, err := m.sweepClosed(ctx, s)
		if err != nil {
			res.fail(s.token, m.programID, err)
			return
		}
		done.Signature, done.Result = r.Signature, r
	}
	done.KeyDeleted = m.deleteIfEmpty(ctx, s, p, res)
	res.Revoked = append(res.Revoked, done)
}
