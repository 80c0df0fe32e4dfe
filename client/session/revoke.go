package session

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/nonce"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// RevokeParams adjusts a revoke. The zero value suits a V1 token, or a V2 token past
// valid_until, whose ephemeral signer still holds enough lamports for the fee.
type RevokeParams struct {
	// Authority signs as the token's authority: required by the program to revoke an
	// active V2 token (without it the program answers client.ErrInvalidAuthority). Use
	// PrepareRevoke when the authority's key is in a wallet.
	Authority *txn.SessionKey
	// FeePayer pays the transaction fee instead of the ephemeral signer, which then
	// sweeps its whole balance.
	FeePayer *txn.SessionKey
	// KeepLamports leaves the ephemeral signer's lamports where they are.
	KeepLamports bool
	// SessionKey is the ephemeral signer's key for RevokeToken, which has no Session to
	// take it from: with it the signer's lamports are swept and the signer pays the fee
	// unless FeePayer is set, as in Revoke. Revoke and PrepareRevoke reject it (they sign
	// with the Session's key). It is used, not kept: the caller still zeroes it.
	SessionKey *txn.SessionKey
	// Nonce, for PrepareRevoke, signs the transaction on a durable nonce (from a
	// NoncePool) instead of a blockhash, so that the wallet may sign it much later.
	Nonce *Nonce
	// Tokens are, for RevokeToken, the token caps the session was granted at create
	// (Snapshot.Tokens, StoredTokenCaps), so that the delegate allowances among them end
	// too; their accounts are checked as Resume checks them. Revoke and PrepareRevoke
	// reject it (a Session knows its own).
	Tokens []TokenCap
}

// RevokeResult tells what a revoke moved.
type RevokeResult struct {
	Signature solana.Signature
	// Swept is how many lamports left the ephemeral signer for SweptTo besides the fee;
	// after the sweep the signer's account holds 0 lamports and so no longer exists.
	Swept   uint64
	SweptTo solana.PublicKey
	// Fee is what the transaction cost its fee payer.
	Fee uint64
	// Tokens are the session's token accounts emptied back to the authority and closed,
	// in this transaction or in one of Steps.
	Tokens []TokenSweep
	// Steps are the transactions sent before Signature when the token sweeps did not all
	// fit one transaction, in order.
	Steps []solana.Signature
	// StepFees are the fees of Steps, in the same order.
	StepFees []sender.Fees
	// TokensLeft are session token accounts that could not be swept (frozen).
	TokensLeft []solana.PublicKey
	// Allowances are the delegate allowances the revoke ended (Remaining: what was
	// still unspent).
	Allowances []TokenCap
	// Fees split Fee into base and priority fee and name who paid, computed from the
	// landed message; zero for a revoke submitted through SubmitSigned (see
	// Pending.Fees).
	Fees sender.Fees
}

// Revoke closes the session's token and, in the same transaction, sweeps the ephemeral
// signer's lamports to where the rent goes: the authority for V1, the recorded fee payer
// for V2. Before that it empties the signer's token accounts (Token and Token-2022)
// into the authority's associated token accounts and closes them, their rent going to
// the session's fee payer, who paid it; the session's delegate allowances still in
// force end too (a delegate may revoke its own allowance).
// When it all does not fit one transaction the token sweeps go first, as many per
// transaction as fit (RevokeResult.Steps), each step reading the chain afresh: after a
// crash, revoking again finishes the job. The ephemeral signer pays the fee unless p.FeePayer is set, so a funded session
// revokes itself without any other key (anyone may revoke a V1 token, or a V2 token once
// expired). Revoke waits for the session's moves in flight; from its start the session
// refuses new ones.
func (m *Manager) Revoke(ctx context.Context, s *Session, p RevokeParams) (*RevokeResult, error) {
	plan, err := m.planRevoke(ctx, s, p, nil)
	if err != nil {
		return nil, err
	}
	sig, fees, err := m.send(ctx, s, plan.build)
	if err := plan.settle(ctx, err); err != nil {
		return nil, err
	}
	plan.result.signed(sig)
	plan.result.Fees = fees
	return &plan.result, nil
}

// PrepareRevoke is Revoke for an authority whose key is in a wallet, as an active V2
// token needs: the ephemeral key (and p.FeePayer) sign now, the wallet signs as authority
// later, SubmitSigned sends. The session refuses moves from now on; if the revoke is
// abandoned, create a new session.
func (m *Manager) PrepareRevoke(ctx context.Context, s *Session, p RevokeParams) (*Pending, error) {
	if p.Authority != nil {
		return nil, fmt.Errorf("%w: PrepareRevoke takes the authority's signature from the wallet, not a key", ErrBadParams)
	}
	wallet := s.authority
	plan, err := m.planRevoke(ctx, s, p, &wallet)
	if err != nil {
		return nil, err
	}
	pending, err := plan.prepare(ctx)
	if err != nil {
		s.state.Store(stateActive)
		return nil, err
	}
	return pending, nil
}

// revokePlan is a revoke being prepared or sent, while the session is in revoking state.
type revokePlan struct {
	m     *Manager
	s     *Session
	cfg   wrapConfig
	sweep bool
	// authoritySigns makes the authority a signer of revoke_session_v2.
	authoritySigns bool
	// closed leaves out the revoke: the token is already gone, only the sweep remains.
	closed bool
	// nonce, when set, is the durable nonce a prepared revoke is signed on.
	nonce  *Nonce
	result RevokeResult
	// tokens are the session's token accounts the revoke's transaction sweeps;
	// allowances, the delegate allowances it removes with the authority's signature.
	tokens     []tokenSweep
	allowances []TokenCap
}

func (m *Manager) planRevoke(ctx context.Context, s *Session, p RevokeParams, external *solana.PublicKey) (*revokePlan, error) {
	if s.mgr != m {
		return nil, fmt.Errorf("%w: session %s belongs to another Manager", ErrBadParams, s.token)
	}
	if p.SessionKey != nil {
		return nil, fmt.Errorf("%w: RevokeParams.SessionKey is for RevokeToken; a Session signs with its own key", ErrBadParams)
	}
	if p.Nonce != nil && external == nil {
		return nil, fmt.Errorf("%w: RevokeParams.Nonce is for PrepareRevoke; Revoke signs at once", ErrBadParams)
	}
	if p.Tokens != nil {
		return nil, fmt.Errorf("%w: RevokeParams.Tokens is for RevokeToken; a Session knows its own token caps", ErrBadParams)
	}
	keys, err := paramKeys(p.Authority, p.FeePayer)
	if err != nil {
		return nil, err
	}
	if !s.state.CompareAndSwap(stateActive, stateRevoking) {
		if s.state.Load() == statePending {
			return nil, fmt.Errorf("%w: %s is not created yet", ErrNotFound, s.token)
		}
		return nil, fmt.Errorf("%w: %s is revoked or being revoked", ErrRevoked, s.token)
	}
	// Moves in flight change the signer's balance: wait for them before reading it. New
	// ones see the revoking state and refuse.
	s.inflight.Lock()
	//lint:ignore SA2001 the empty critical section is the barrier
	s.inflight.Unlock()

	plan := &revokePlan{m: m, s: s, cfg: wrapConfig{keys: keys, external: external}}
	if p.FeePayer != nil {
		pub := p.FeePayer.PublicKey()
		plan.cfg.payer = &pub
	}
	if p.Nonce != nil {
		if err := m.useNonce(p.Nonce, &plan.cfg); err != nil {
			s.state.Store(stateActive)
			return nil, err
		}
		plan.nonce = p.Nonce
	}
	plan.authoritySigns = external != nil || p.Authority != nil
	plan.result.SweptTo = s.authority
	if s.version == pda.V2 {
		plan.result.SweptTo = s.feePayer
	}
	if err := plan.prepareTokens(ctx); err != nil {
		s.state.Store(stateActive)
		return nil, err
	}
	if err := plan.measure(ctx, p.KeepLamports); err != nil {
		s.state.Store(stateActive)
		return nil, err
	}
	return plan, nil
}

// measure reads the signer's balance and the fee, and sizes the sweep.
func (r *revokePlan) measure(ctx context.Context, keep bool) error {
	m, s := r.m, r.s
	balance, err := m.balanceAt(ctx, s.signer, s.lastSlot.Load())
	if err != nil {
		return err
	}
	r.sweep = !keep && balance > 0
	r.result.Swept = balance // the probe's amount; the fee does not depend on it
	bh, err := m.blockhash(ctx)
	if err != nil {
		return err
	}
	probe, err := r.build(bh.Hash)
	if err != nil {
		return err
	}
	if r.result.Fee, err = m.fee(ctx, probe, bh.Hash); err != nil {
		return err
	}
	amount := balance
	if r.cfg.payer == nil {
		cost := r.result.Fee + r.sweepCost()
		if balance < cost {
			return fmt.Errorf("%w: session signer %s holds %d lamports, less than the %d lamports the revoke costs it; set RevokeParams.FeePayer",
				ErrNoSweep, s.signer, balance, cost)
		}
		amount = balance - cost
	}
	r.sweep = r.sweep && amount > 0
	r.result.Swept = 0
	if r.sweep {
		r.result.Swept = amount
	}
	return nil
}

func (r *revokePlan) build(blockhash solana.Hash) ([]byte, error) {
	ixs, err := r.instructions()
	if err != nil {
		return nil, err
	}
	return r.s.build(blockhash, ixs, &r.cfg)
}

// instructions are the revoke's transaction: the token sweeps, the end of the
// allowances, the revoke, and last the SOL sweep (the closed
// token accounts' rent goes elsewhere, so it does not change the signer's balance).
func (r *revokePlan) instructions() ([]solana.Instruction, error) {
	s := r.s
	ixs, err := r.tokenInstructions(r.tokens, true)
	if err != nil {
		return nil, err
	}
	if !r.closed {
		var revoke solana.Instruction
		var err error
		if s.version == pda.V1 {
			revoke, err = client.NewRevokeSession(client.RevokeSessionAccounts{SessionToken: s.token, Authority: s.authority}, client.RevokeArgs{ProgramID: r.m.programID})
		} else {
			revoke, err = client.NewRevokeSessionV2(client.RevokeSessionV2Accounts{SessionToken: s.token, FeePayer: s.feePayer, Authority: s.authority}, client.RevokeArgs{ProgramID: r.m.programID, AuthorityUnsigned: !r.authoritySigns})
		}
		if err != nil {
			return nil, err
		}
		ixs = append(ixs, revoke)
	}
	if r.sweep {
		ixs = append(ixs, system.NewTransferInstruction(r.result.Swept, s.signer, r.result.SweptTo).Build())
	}
	if r.nonce != nil {
		ixs = append([]solana.Instruction{nonce.NewAdvance(r.nonce.Account, r.nonce.pool.Authority())}, ixs...)
	}
	return ixs, nil
}

func (r *revokePlan) prepare(ctx context.Context) (*Pending, error) {
	bh := sender.Blockhash{}
	if r.nonce != nil {
		bh.Hash = r.nonce.Value
	} else {
		var err error
		if bh, err = r.m.blockhash(ctx); err != nil {
			return nil, err
		}
	}
	wire, err := r.build(bh.Hash)
	if err != nil {
		return nil, err
	}
	pending, err := newPending(wire, r.s.authority, bh.LastValidBlockHeight, r.s, r.settle)
	if err != nil {
		return nil, err
	}
	pending.nonce = r.nonce
	return pending, nil
}

// settle records how the revoke's transaction ended, sent here or by SubmitSigned.
func (r *revokePlan) settle(ctx context.Context, err error) error {
	if err != nil {
		return r.fail(ctx, err)
	}
	r.landed()
	r.s.state.Store(stateRevoked)
	return nil
}

// signed records the final transaction's signature.
func (r *RevokeResult) signed(sig solana.Signature) {
	r.Signature = sig
	for i := range r.Tokens {
		if r.Tokens[i].Signature.IsZero() {
			r.Tokens[i].Signature = sig
		}
	}
}

// landed records the final transaction's token sweeps in the result.
func (r *revokePlan) landed() {
	for _, t := range r.tokens {
		r.result.Tokens = append(r.result.Tokens, t.sweep)
	}
}

// fail settles a failed send: a token that is gone was revoked after all (the answer
// was lost on the way back); otherwise the session is usable again.
func (r *revokePlan) fail(ctx context.Context, err error) error {
	if _, gerr := r.m.Get(ctx, r.s.token); errors.Is(gerr, ErrNotFound) {
		r.s.state.Store(stateRevoked)
	} else {
		r.s.state.Store(stateActive)
	}
	return fmt.Errorf("session: revoking %s: %w", r.s.token, err)
}

// sweepClosed sends the ephemeral signer's lamports of a session whose token is gone
// (revoked with KeepLamports, or closed by someone else) where Revoke would have swept
// them, the signer paying the fee. It refuses while the token exists, since emptying a
// live token's signer would strand it without fees; revoke that one instead.
func (m *Manager) sweepClosed(ctx context.Context, s *Session) (*RevokeResult, error) {
	if _, err := m.Get(ctx, s.token); !errors.Is(err, ErrNotFound) {
		if err == nil {
			err = fmt.Errorf("%w: token %s still exists; revoke it to sweep its signer", ErrBadParams, s.token)
		}
		return nil, err
	}
	plan := &revokePlan{m: m, s: s, closed: true, result: RevokeResult{SweptTo: s.authority}}
	if s.version == pda.V2 {
		plan.result.SweptTo = s.feePayer
	}
	if err := plan.prepareTokens(ctx); err != nil {
		return nil, err
	}
	if err := plan.measure(ctx, false); err != nil {
		return nil, err
	}
	if !plan.sweep && len(plan.tokens) == 0 {
		return nil, fmt.Errorf("%w: session signer %s holds no more than the %d-lamport fee", ErrNoSweep, s.signer, plan.result.Fee)
	}
	sig, fees, err := m.send(ctx, s, plan.build)
	if err != nil {
		return nil, fmt.Errorf("session: sweeping session signer %s: %w", s.signer, err)
	}
	plan.landed()
	plan.result.signed(sig)
	plan.result.Fees = fees
	return &plan.result, nil
}

// RevokeToken revokes the token at address without a live Session: one found by List,
// one whose key is lost, or one past valid_until (which Resume refuses). The rent goes to
// the authority (V1) or the recorded fee payer (V2) as with Revoke.
//
// With p.SessionKey, the ephemeral signer's key, it is Revoke: the signer's lamports are
// swept in the same transaction and the signer pays the fee unless p.FeePayer is set
// (ErrNoSweep when it cannot). Without it nothing can be swept, and p.FeePayer pays the
// fee, or else p.Authority.
//
// Anyone may revoke a V1 token, or a V2 token once expired; an active V2 token needs
// p.Authority, or the program answers client.ErrInvalidAuthority.
func (m *Manager) RevokeToken(ctx context.Context, address solana.PublicKey, p RevokeParams) (*RevokeResult, error) {
	key, caps := p.SessionKey, p.Tokens
	p.SessionKey, p.Tokens = nil, nil
	if key == nil {
		if p.FeePayer == nil {
			p.FeePayer = p.Authority
		}
		if p.FeePayer == nil {
			return nil, fmt.Errorf("%w: RevokeToken needs a SessionKey, FeePayer or Authority to pay the fee", ErrBadParams)
		}
		p.KeepLamports = true
	} else if key.Zeroed() {
		return nil, fmt.Errorf("%w: RevokeParams.SessionKey: %w", ErrBadParams, txn.ErrKeyZeroed)
	}
	tok, err := m.Get(ctx, address)
	if err != nil {
		return nil, err
	}
	if key != nil && key.PublicKey() != tok.SessionSigner {
		return nil, fmt.Errorf("%w: RevokeParams.SessionKey is %s, token %s has session signer %s",
			ErrMismatch, key.PublicKey(), address, tok.SessionSigner)
	}
	if err := checkCapAccounts(caps, tok.SessionSigner, tok.Authority); err != nil {
		return nil, fmt.Errorf("session: RevokeParams.Tokens of %s: %w", address, err)
	}
	detached := &Session{
		salt:  newSalt(),
		token: address, signer: tok.SessionSigner, authority: tok.Authority, target: tok.TargetProgram,
		feePayer: tok.FeePayer, version: tok.Version, validUntil: tok.ValidUntil, key: key, mgr: m,
		tokens: slices.Clone(caps),
	}
	return m.Revoke(ctx, detached, p)
}
