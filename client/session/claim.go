package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// claimStore is a PoolConfig.Leases that can also hand out due sessions to one replica
// at a time (tokenstore/postgres): the pool then shares renewals and cleanup with the
// other replicas of the store. Dir and Memory are not, and pools using them work alone.
type claimStore interface {
	tokenstore.Claimer
	Get(ctx context.Context, token solana.PublicKey) (tokenstore.Record, *txn.SessionKey, error)
}

// claimBatch bounds one maintenance pass's claims: the rest wait for the next pass, or
// for another replica.
const claimBatch = 100

// AdoptParams selects the sessions [Pool.Adopt] claims.
type AdoptParams struct {
	// Before takes only sessions valid until before this time; zero takes any.
	Before time.Time
	// Limit bounds how many are claimed; default 100, at most 10,000.
	Limit int
}

// Adopt claims sessions of the store that nobody holds (never leased, released, or
// leased by a replica whose lease expired: one that was killed), leases them to this
// pool and resumes them: live ones join the pool, gone or expired ones are retired and
// swept as for any session leaving the pool. A load balancer that moves a dead replica's
// players to this one calls Adopt; maintenance adopts on its own only the sessions due
// for renewal or cleanup. Concurrent Adopts on many replicas never take the same
// session. It needs PoolConfig.Leases to be a store that claims (tokenstore.Claimer,
// such as tokenstore/postgres), and returns ErrNoClaims otherwise.
func (p *Pool) Adopt(ctx context.Context, ap AdoptParams) (adopted int, err error) {
	cs, ok := p.cfg.Leases.(claimStore)
	if !ok {
		return 0, ErrNoClaims
	}
	if ap.Before.IsZero() {
		ap.Before = time.Unix(1<<62, 0)
	}
	if ap.Limit <= 0 {
		ap.Limit = claimBatch
	}
	return p.adopt(ctx, cs, ap)
}

// ErrNoClaims means Adopt was called on a pool whose Leases cannot claim sessions.
var ErrNoClaims = errors.New("session: the pool's Leases cannot claim sessions (use a tokenstore.Claimer such as tokenstore/postgres)")

// claimDue adopts, during maintenance, the sessions nobody holds that are due for
// renewal (RenewBefore of clusterNow) or already expired, so that a killed replica's
// sessions are still renewed, revoked and swept, by exactly one replica each.
func (p *Pool) claimDue(ctx context.Context, clusterNow int64) error {
	cs, ok := p.cfg.Leases.(claimStore)
	if !ok {
		return nil
	}
	before := time.Unix(clusterNow, 0).Add(p.cfg.RenewBefore)
	_, err := p.adopt(ctx, cs, AdoptParams{Before: before, Limit: claimBatch})
	return err
}

func (p *Pool) adopt(ctx context.Context, cs claimStore, ap AdoptParams) (int, error) {
	if p.life.Err() != nil {
		return 0, ErrClosed
	}
	start := time.Now() // the leases run from before the claim, so ours end first
	// A claim canceled in flight may still commit, leaving sessions leased to nobody who
	// knows it for a whole TTL: once asked, the answer is awaited and the claims given
	// back below if ctx has ended.
	claimCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	claims, err := cs.ClaimDue(claimCtx, tokenstore.ClaimParams{Holder: p.cfg.Holder, Before: ap.Before, Limit: ap.Limit, TTL: p.cfg.LeaseTTL})
	cancel()
	var errs []error
	if _, partial := errors.AsType[*tokenstore.PartialError](err); partial {
		errs = append(errs, err) // the sound claims are adopted all the same
	} else if err != nil {
		return 0, fmt.Errorf("session: claiming sessions: %w", err)
	}
	if len(claims) == 0 {
		return 0, errors.Join(errs...)
	}
	// As in Restore: reads that decide about an adopted key are at least as new as this.
	since, err := p.mgr.rpc.GetSlot(ctx, p.mgr.commitment)
	if err != nil {
		p.releaseClaims(ctx, claims)
		return 0, fmt.Errorf("session: reading the slot before adopting: %w", err)
	}
	adopted := 0
	for _, c := range claims {
		ok, err := p.adoptOne(ctx, cs, c, heldLease{lease: c.Lease, until: start.Add(p.cfg.LeaseTTL)}, since)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			adopted++
		}
	}
	return adopted, errors.Join(errs...)
}

// adoptOne resumes one claimed session; ok means it joined the pool as a live session.
func (p *Pool) adoptOne(ctx context.Context, cs claimStore, c tokenstore.Claim, h heldLease, since uint64) (ok bool, err error) {
	rec, key, err := cs.Get(ctx, c.Record.Token)
	if err != nil {
		p.releaseClaims(ctx, []tokenstore.Claim{c})
		return false, fmt.Errorf("session: adopting %s: %w", c.Record.Token, err)
	}
	snap := Snapshot{
		Token: rec.Token, SessionSigner: rec.SessionSigner, Authority: rec.Authority, TargetProgram: rec.TargetProgram,
		FeePayer: rec.FeePayer, Version: rec.Version, ValidUntil: rec.ValidUntil, Seed: Seed(key.Seed()),
	}
	key.Zero()
	defer clear(snap.Seed[:])
	s, err := p.mgr.Resume(ctx, snap)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotFound), errors.Is(err, client.ErrExpired):
		// Gone or expired: its signer may hold the top-up, which this pool now sweeps.
		if s, err = p.sessionOf(snap); err != nil {
			p.releaseClaims(ctx, []tokenstore.Claim{c})
			return false, err
		}
		s.noteSlot(since)
		s.lease.Store(&h)
		out, err := p.retireOutcome(ctx, s, false)
		if out != retry {
			s.key.Zero()
		}
		return false, err
	case errors.Is(err, ErrMismatch):
		key, kerr := txn.NewSessionKey(snap.Seed[:])
		if kerr != nil {
			p.releaseClaims(ctx, []tokenstore.Claim{c})
			return false, kerr
		}
		err = p.forgetMismatch(ctx, keyed{snap: snap, key: key}, since, err)
		p.releaseClaims(ctx, []tokenstore.Claim{c})
		return false, err
	default:
		p.releaseClaims(ctx, []tokenstore.Claim{c})
		return false, fmt.Errorf("session: adopting %s: %w", snap.Token, err)
	}
	s.noteSlot(since)
	s.lease.Store(&h)
	k := poolKey{s.authority, s.target}
	p.mu.Lock()
	prev := p.sessions[k]
	if prev != nil && prev.token == s.token {
		// Our own session, whose lease lapsed (a renewal slower than the TTL) and which
		// we claimed again: keep serving it under the new lease.
		prev.lease.Store(&h)
		prev.leaseLost.Store(false)
		p.mu.Unlock()
		s.key.Zero()
		return true, nil
	}
	joined := prev == nil || s.validUntil > prev.validUntil
	if joined {
		p.sessions[k] = s
		s = prev // the one to retire, if any
	}
	p.mu.Unlock()
	if s == nil {
		return joined, nil
	}
	return joined, p.retire(ctx, s, false)
}

// sessionOf is the Session of a snapshot Resume refused for a token gone or expired.
func (p *Pool) sessionOf(snap Snapshot) (*Session, error) {
	key, err := txn.NewSessionKey(snap.Seed[:])
	if err != nil {
		return nil, err
	}
	return &Session{
		salt:  newSalt(),
		token: snap.Token, signer: snap.SessionSigner, authority: snap.Authority, target: snap.TargetProgram,
		feePayer: snap.FeePayer, version: snap.Version, validUntil: snap.ValidUntil, key: key, mgr: p.mgr,
	}, nil
}

// releaseClaims gives back claims this pool will not work on, so another replica (or
// this one's next pass) need not wait for their leases to expire.
func (p *Pool) releaseClaims(ctx context.Context, claims []tokenstore.Claim) {
	// Also when ctx ended the pass: a claim left standing blocks everyone for a TTL.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, c := range claims {
		if err := p.cfg.Leases.Release(ctx, c.Lease); err != nil && !errors.Is(err, tokenstore.ErrLeaseLost) {
			p.report(nil, fmt.Errorf("session: releasing the claim on %s: %w", c.Record.Token, err))
		}
	}
}
