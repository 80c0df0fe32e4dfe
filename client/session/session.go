package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Session is one live session token with its ephemeral signer. It is safe for concurrent
// use: a game backend may sign moves for the same session from many goroutines.
//
// The ephemeral key never leaves the Session except through [Session.Snapshot], for a
// store; String and every fmt verb print only public data.
type Session struct {
	token      solana.PublicKey
	signer     solana.PublicKey
	authority  solana.PublicKey
	target     solana.PublicKey
	feePayer   solana.PublicKey
	version    pda.Version
	validUntil int64
	// createSig is the create's signature when Create made the Session, for receipts.
	createSig solana.Signature
	// createFees are what the create cost its fee payer, when Create made the Session.
	createFees sender.Fees
	// key sits behind a pointer so that even a reflective %#v of a copied Session prints
	// an address, not key bytes.
	key *txn.SessionKey
	mgr *Manager
	// external: the key is held elsewhere (PrepareCreateWith), which signs what the
	// session prepares, its revoke's token sweeps included.
	external bool

	// state moves (pending →) active → revoking → revoked, or back to active if a revoke
	// fails.
	// inflight is read-locked by every Send, so a revoke waits for moves in flight before
	// it reads the balance to sweep.
	state    atomic.Int32
	inflight sync.RWMutex
	recent   recentSigs
	// salt makes this Session's moves differ from another Session's with the same key;
	// limit0 is the compute-unit-limit instruction that carries it.
	salt      uint32
	limitOnce sync.Once
	limit0    *unitLimit
	// lastSlot is the newest slot in which a transaction of this process changed the
	// signer's account; reads that decide about the key are made at least that new.
	lastSlot atomic.Uint64
	// lease, when a Pool holds the session through a store's leases, says until when it
	// may sign; leaseLost, that another holder took it over.
	lease     atomic.Pointer[heldLease]
	leaseLost atomic.Bool
	// guard is what the guard lets the key sign, made on first use and replaced by
	// AllowPrograms.
	guard atomic.Pointer[guard.Policy]
	// bounds, when the session was created with a grant, are the grant's bounds and
	// counters (bounds.go).
	bounds *bounds
	// tokens are the token caps granted at create (CreateParams.Tokens), carried
	// through Snapshot.Tokens; nil for a restored session without them, whose top-ups
	// Caps still finds on chain.
	tokens []TokenCap
}

const (
	stateActive int32 = iota
	stateRevoking
	stateRevoked
	// statePending: prepared for a wallet, not created until SubmitSigned lands it.
	statePending
)

// Balance is the session signer's lamports (its SOL cap: what its key can still spend),
// read at a slot no older than the session's last transaction.
func (s *Session) Balance(ctx context.Context) (uint64, error) {
	if s.mgr == nil {
		return 0, fmt.Errorf("%w: session %s has no Manager to read with", ErrBadParams, s.token)
	}
	return s.mgr.balanceAt(ctx, s.signer, s.lastSlot.Load())
}

// noteSlot records that a transaction of this session landed in slot.
func (s *Session) noteSlot(slot uint64) {
	for {
		cur := s.lastSlot.Load()
		if slot <= cur || s.lastSlot.CompareAndSwap(cur, slot) {
			return
		}
	}
}

// AllowPrograms lets moves use programs other than the target that name the session
// signer (a token program to spend a token top-up, say), replacing an earlier list. Such a
// program can then do with the signer what its instructions say, so allow only what the
// session needs.
func (s *Session) AllowPrograms(programs ...solana.PublicKey) {
	p := s.basePolicy()
	p.AllowedPrograms = slices.Clone(programs)
	s.guard.Store(&p)
}

// policy is what the guard lets this session's key sign.
func (s *Session) policy() *guard.Policy {
	if p := s.guard.Load(); p != nil {
		return p
	}
	p := s.basePolicy()
	s.guard.CompareAndSwap(nil, &p)
	return s.guard.Load()
}

func (s *Session) basePolicy() guard.Policy {
	p := guard.Policy{Signer: s.signer, TargetProgram: s.target}
	if s.bounds != nil {
		p = s.bounds.policy
	}
	if s.mgr != nil {
		p.MaxUnitLimit, p.MaxUnitPrice = tighter(p.MaxUnitLimit, s.mgr.unitLimitCap), tighter(p.MaxUnitPrice, s.mgr.unitPriceCap)
	}
	return p
}

// tighter is the smaller of two caps where zero means the guard's default.
func tighter[T uint32 | uint64](a, b T) T {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// heldLease is a store lease and the local time, on the monotonic clock, it ends by.
type heldLease struct {
	lease tokenstore.Lease
	until time.Time
}

// Token is the session token account address.
func (s *Session) Token() solana.PublicKey { return s.token }

// SessionSigner is the ephemeral session signer's public key.
func (s *Session) SessionSigner() solana.PublicKey { return s.signer }

// Authority is the wallet the session acts for.
func (s *Session) Authority() solana.PublicKey { return s.authority }

// TargetProgram is the program the session is valid for.
func (s *Session) TargetProgram() solana.PublicKey { return s.target }

// FeePayer is the account that paid the token's rent and top-up: the authority for
// create_session, the payer for create_session_with_payer, the recorded fee_payer for V2.
// On revoke the rent goes to the authority (V1) or to this account (V2).
func (s *Session) FeePayer() solana.PublicKey { return s.feePayer }

// CreateSignature is the signature of the transaction that created the token when
// Manager.Create made this Session; the zero Signature for a restored session or a
// wallet-signed one (SubmitSigned returns that signature).
func (s *Session) CreateSignature() solana.Signature { return s.createSig }

// Version is the token generation (pda.V1 or pda.V2).
func (s *Session) Version() pda.Version { return s.version }

// ValidUntil is the token's valid_until in cluster unix seconds.
func (s *Session) ValidUntil() int64 { return s.validUntil }

// Expiry is ValidUntil as a time.Time.
func (s *Session) Expiry() time.Time { return time.Unix(s.validUntil, 0).UTC() }

// Revoked reports whether the token was revoked through this process or found gone.
func (s *Session) Revoked() bool { return s.state.Load() == stateRevoked }

func (s *Session) String() string {
	return fmt.Sprintf("session %s (v%d, authority %s, target %s, signer %s, valid until %s)",
		s.token, s.version, s.authority, s.target, s.signer, s.Expiry().Format(time.RFC3339))
}

// GoString keeps %#v as free of secrets as %v.
func (s *Session) GoString() string { return s.String() }

// Expired reports whether the cluster clock says the token has expired, reading the clock
// when the cached reading is stale. A Session made outside a Manager has no clock and
// reports false.
func (s *Session) Expired(ctx context.Context) (bool, error) {
	if s.mgr == nil {
		return false, nil
	}
	switch err := s.mgr.clock.check(ctx, s.validUntil); {
	case err == nil:
		return false, nil
	case errors.Is(err, client.ErrExpired):
		return true, nil
	default:
		return false, err
	}
}

// usable returns why the session must not sign now, if anything.
func (s *Session) usable(ctx context.Context) error {
	switch s.state.Load() {
	case stateRevoked, stateRevoking:
		return fmt.Errorf("%w: %s", ErrRevoked, s.token)
	case statePending:
		return fmt.Errorf("%w: %s is not created yet; submit the wallet-signed transaction first", ErrNotFound, s.token)
	}
	if s.leaseLost.Load() {
		return fmt.Errorf("session: %s is held by another holder now: %w", s.token, tokenstore.ErrLeaseLost)
	}
	if h := s.lease.Load(); h != nil && !time.Now().Before(h.until) {
		return fmt.Errorf("session: the lease on %s ran out unrenewed: %w", s.token, tokenstore.ErrLeaseLost)
	}
	if s.mgr == nil {
		return nil
	}
	if err := s.mgr.clock.check(ctx, s.validUntil); err != nil {
		if errors.Is(err, client.ErrExpired) {
			return fmt.Errorf("%w: %s valid until %d", client.ErrExpired, s.token, s.validUntil)
		}
		return err
	}
	return nil
}
