package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// PoolConfig tunes a [Pool]. The zero value keeps sessions in memory, renews nothing and
// drops expired sessions.
type PoolConfig struct {
	// Persister, when set, receives every session put into the pool and every removal, and
	// feeds [Pool.Restore].
	Persister Persister
	// Renew replaces a session that is about to expire; typically a closure over
	// [Manager.Renew] with the authority's key, or one that asks the player's wallet through
	// [Manager.PrepareCreate]. Nil disables renewal.
	Renew func(ctx context.Context, old *Session) (*Session, error)
	// RenewBefore is how long before valid_until (cluster time) renewal starts; default 10m.
	RenewBefore time.Duration
	// Interval is the period of background maintenance; default 15s. A negative interval
	// disables the background loop: call [Pool.Maintain] yourself.
	Interval time.Duration
	// Workers bounds concurrent renewals and revokes; default 4.
	Workers int
	// RevokeExpired revokes expired tokens during cleanup (anyone may revoke an expired
	// token), sweeping the ephemeral signer's lamports back. Otherwise expired sessions
	// only leave the pool, and the keys of those whose signers still hold lamports stay
	// in the store for the application to revoke (Manager.RevokeToken with the key).
	RevokeExpired bool
	// OnError learns about background failures; s is nil for failures not tied to a session.
	OnError func(s *Session, err error)
	// Leases, when set (usually the Persister's store: a tokenstore.Dir or Memory), holds
	// each of the pool's sessions for this pool alone. Two holders of one key sign the same
	// moves, and the cluster runs each such transaction once: a session that another
	// holder leases is not restored (a *tokenstore.HeldError) unless TakeOver, and a
	// session whose lease was taken over, or could not be renewed in time, stops signing
	// (tokenstore.ErrLeaseLost) and leaves the pool. With a store that claims
	// (tokenstore/postgres), replicas share it: maintenance also adopts the sessions
	// nobody holds that are due for renewal or cleanup, so a killed replica's sessions
	// are renewed or revoked by exactly one other (see [Pool.Adopt]).
	Leases tokenstore.Leaser
	// Holder names this pool in its leases, for people reading them; default host:pid.
	Holder string
	// LeaseTTL is how long a lease lasts unrenewed; default 4 Intervals (1m). Maintenance
	// renews leases, so with a negative Interval call Maintain well within it.
	LeaseTTL time.Duration
	// TakeOver takes sessions that another holder leases when restoring them.
	TakeOver bool
}

// Pool holds the live sessions of many players, one per (authority, target), for a game
// backend. Lookups are lock-light and safe from any goroutine; maintenance renews sessions
// ahead of expiry and cleans up expired ones with a bounded number of goroutines.
//
// An ephemeral signer holds the player's top-up, and its key in the Persister is the only
// way back to those lamports. So a key leaves the Persister only once its signer is read
// to hold no lamports, or once a landed transaction swept them back: a revoke with sweep,
// or a plain transfer when the token is already gone. A session that leaves the pool
// (replaced by Put or a renewal, removed, revoked, expired, lost a renewal race) while its
// signer still holds lamports is retired: its key stays in the store, and maintenance
// sweeps it once that is possible (token gone; token expired with RevokeExpired; at once
// for a renewal nobody wants). A failed sweep keeps the key and is reported to OnError.
type Pool struct {
	mgr *Manager
	cfg PoolConfig

	mu       sync.RWMutex
	sessions map[poolKey]*Session
	busy     map[*Session]bool // renewal or cleanup running
	// retired are sessions out of the pool whose keys stay in the store until their
	// signers are swept, by token.
	retired map[solana.PublicKey]*Session

	// life ends at Close, stopping the background loop and its work.
	life   context.Context
	cancel context.CancelFunc
	loop   sync.WaitGroup
}

type poolKey struct{ authority, target solana.PublicKey }

// NewPool starts a pool whose sessions use mgr; Close stops its background loop.
func NewPool(mgr *Manager, cfg PoolConfig) *Pool {
	if cfg.RenewBefore <= 0 {
		cfg.RenewBefore = 10 * time.Minute
	}
	if cfg.Interval == 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 4 * max(cfg.Interval, 15*time.Second)
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		cfg.Holder = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	p := &Pool{
		mgr:      mgr,
		cfg:      cfg,
		sessions: make(map[poolKey]*Session),
		busy:     make(map[*Session]bool),
		retired:  make(map[solana.PublicKey]*Session),
	}
	p.life, p.cancel = context.WithCancel(context.Background())
	if cfg.Interval > 0 {
		p.loop.Add(1)
		go p.run()
	}
	return p
}

func (p *Pool) run() {
	defer p.loop.Done()
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-p.life.Done():
			return
		case <-t.C:
			if err := p.Maintain(p.life); err != nil && p.life.Err() == nil {
				p.report(nil, err)
			}
		}
	}
}

// Close stops background maintenance and waits for it, then releases the pool's leases,
// so that another holder may take its sessions at once; sessions held by a lease stop
// signing then (tokenstore.ErrLeaseLost), others stay usable. The pool refuses further
// Puts.
func (p *Pool) Close() error {
	p.cancel()
	p.loop.Wait()
	if p.cfg.Leases == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	for _, s := range append(p.Sessions(), p.Retired()...) {
		if h := s.lease.Load(); h != nil {
			s.leaseLost.Store(true) // before another holder can take it
			if err := p.cfg.Leases.Release(ctx, h.lease); err != nil && !errors.Is(err, tokenstore.ErrLeaseLost) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// hold leases s to this pool (see PoolConfig.Leases), unless it holds it already.
func (p *Pool) hold(ctx context.Context, s *Session, takeover bool) error {
	if p.cfg.Leases == nil || s.lease.Load() != nil {
		return nil
	}
	start := time.Now() // the lease runs from before the request, so ours ends first
	l, err := p.cfg.Leases.Acquire(ctx, s.token, p.cfg.Holder, p.cfg.LeaseTTL, takeover)
	if err != nil {
		return fmt.Errorf("session: holding %s: %w", s.token, err)
	}
	s.lease.Store(&heldLease{lease: l, until: start.Add(p.cfg.LeaseTTL)})
	return nil
}

// renewLeases extends the lease of every session the pool holds. A session whose lease
// is lost leaves the pool without a sweep: its key is another holder's now.
func (p *Pool) renewLeases(ctx context.Context) {
	if p.cfg.Leases == nil {
		return
	}
	for _, s := range append(p.Sessions(), p.Retired()...) {
		h := s.lease.Load()
		if h == nil {
			continue
		}
		start := time.Now()
		l, err := p.cfg.Leases.Renew(ctx, h.lease, p.cfg.LeaseTTL)
		switch {
		case err == nil:
			s.lease.Store(&heldLease{lease: l, until: start.Add(p.cfg.LeaseTTL)})
		case errors.Is(err, tokenstore.ErrLeaseLost):
			s.leaseLost.Store(true)
			p.mu.Lock()
			if cur := p.sessions[poolKey{s.authority, s.target}]; cur == s {
				delete(p.sessions, poolKey{s.authority, s.target})
			}
			if p.retired[s.token] == s { // not another copy of it, claimed again since
				delete(p.retired, s.token)
			}
			p.mu.Unlock()
			p.report(s, fmt.Errorf("session: %s left the pool: %w", s.token, err))
		default:
			p.report(s, fmt.Errorf("session: renewing the lease of %s (it stops signing when the lease runs out): %w", s.token, err))
		}
	}
}

// Get returns the session of authority for target.
func (p *Pool) Get(authority, target solana.PublicKey) (*Session, bool) {
	p.mu.RLock()
	s, ok := p.sessions[poolKey{authority, target}]
	p.mu.RUnlock()
	return s, ok
}

// Retired returns the sessions that left the pool but whose keys the store keeps until
// their signers' lamports are swept back, in no particular order.
func (p *Pool) Retired() []*Session {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Session, 0, len(p.retired))
	for _, s := range p.retired {
		out = append(out, s)
	}
	return out
}

// Len is the number of sessions held.
func (p *Pool) Len() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.sessions)
}

// Sessions returns the sessions held, in no particular order.
func (p *Pool) Sessions() []*Session {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Session, 0, len(p.sessions))
	for _, s := range p.sessions {
		out = append(out, s)
	}
	return out
}

// Put stores s (persisting it first) as the session of its authority and target and
// returns the session it replaced, if any; revoking that one is the caller's choice, and
// until its signer is empty the pool retires it rather than deleting its key.
func (p *Pool) Put(ctx context.Context, s *Session) (replaced *Session, err error) {
	if p.life.Err() != nil {
		return nil, ErrClosed
	}
	if s.external {
		return nil, fmt.Errorf("%w: session %s's key is held elsewhere; a Pool keeps sessions whose keys it holds", ErrBadParams, s.token)
	}
	if p.cfg.Persister != nil {
		if err := p.cfg.Persister.Save(ctx, s.Snapshot()); err != nil {
			return nil, fmt.Errorf("session: persisting %s: %w", s.token, err)
		}
	}
	if err := p.hold(ctx, s, false); err != nil {
		return nil, err
	}
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	old := p.sessions[key]
	p.sessions[key] = s
	delete(p.retired, s.token) // back in use
	p.mu.Unlock()
	if old != nil && old != s {
		return old, p.retire(ctx, old, false)
	}
	return nil, nil
}

// Remove takes the session of authority for target out of the pool, and out of the store
// once its signer holds no lamports; until then it is retired (see [Pool]).
func (p *Pool) Remove(ctx context.Context, authority, target solana.PublicKey) (*Session, error) {
	key := poolKey{authority, target}
	p.mu.Lock()
	s := p.sessions[key]
	delete(p.sessions, key)
	p.mu.Unlock()
	if s == nil {
		return nil, nil
	}
	return s, p.retire(ctx, s, false)
}

// retire lets s, no longer the pool's session, go as far as its lamports allow: out of
// the store if its signer is empty or can be swept now, otherwise into retired for the
// next passes. revokeNow revokes a still active token instead of waiting for it to
// expire. The error is the store's; sweep failures go to OnError.
func (p *Pool) retire(ctx context.Context, s *Session, revokeNow bool) error {
	_, err := p.retireOutcome(ctx, s, revokeNow)
	return err
}

func (p *Pool) retireOutcome(ctx context.Context, s *Session, revokeNow bool) (outcome, error) {
	out, err := p.settle(ctx, s, revokeNow)
	p.mu.Lock()
	if out == retry {
		p.retired[s.token] = s
	} else {
		delete(p.retired, s.token)
	}
	p.mu.Unlock()
	return out, err
}

// outcome is where settle left a session's key.
type outcome int

const (
	left  outcome = iota // out of the store, the signer empty
	retry                // in the store; a later pass may sweep it
	kept                 // in the store for the application; the pool will not sweep it
)

// settle sweeps s's signer if its token allows and deletes its key from the store once
// the signer is empty, reporting to OnError why not otherwise. The error is the store's.
//
// Only a balance read at a slot at least as new as the session's last transaction may
// show the signer empty: lamports credited between a sweep's measurement and its landing
// stay on the signer, and a lagging node may not have seen the sweep at all. So after a
// sweep the balance is read again before the key may go.
func (p *Pool) settle(ctx context.Context, s *Session, revokeNow bool) (outcome, error) {
	bal, err := p.mgr.holdings(ctx, s)
	if err != nil {
		p.report(s, fmt.Errorf("session: keeping the key of %s: %w", s.token, err))
		return retry, nil
	}
	if bal > 0 {
		err := p.sweep(ctx, s, revokeNow)
		switch {
		case errors.Is(err, errActive):
			return retry, nil // an expiry to wait for, not a failure
		case errors.Is(err, errNotRevoking):
			p.report(s, fmt.Errorf("session: %s expired with %d lamports on its signer; its key stays in the store: %w", s.token, bal, err))
			return kept, nil
		case err != nil:
			p.report(s, fmt.Errorf("session: %s's signer holds %d lamports, keeping its key: %w", s.token, bal, err))
			return retry, nil
		}
		if bal, err = p.mgr.holdings(ctx, s); err != nil || bal > 0 {
			if err == nil {
				err = fmt.Errorf("%w: %d lamports arrived on session signer %s after the sweep was measured", ErrNoSweep, bal, s.signer)
			}
			p.report(s, fmt.Errorf("session: keeping the key of %s for a later pass: %w", s.token, err))
			return retry, nil
		}
	}
	if err := p.forget(ctx, s); err != nil {
		return retry, err
	}
	return left, nil
}

var (
	// errActive means the token is still valid, so its lamports wait for its expiry.
	errActive = errors.New("session: token still active")
	// errNotRevoking means an expired token's sweep needs a revoke the configuration
	// leaves to the application.
	errNotRevoking = errors.New("session: RevokeExpired is off")
)

// sweep empties s's signer: a plain transfer when the token is gone, a revoke with sweep
// when it has expired (with RevokeExpired) or revokeNow.
func (p *Pool) sweep(ctx context.Context, s *Session, revokeNow bool) error {
	if !s.Revoked() {
		tok, err := p.mgr.Get(ctx, s.token)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case tok.Expired && !p.cfg.RevokeExpired:
			return errNotRevoking
		case tok.Expired || revokeNow:
			_, err := p.mgr.Revoke(ctx, s, RevokeParams{})
			return err
		default:
			return errActive
		}
	}
	_, err := p.mgr.sweepClosed(ctx, s)
	return err
}

func (p *Pool) forget(ctx context.Context, s *Session) error {
	if p.cfg.Persister == nil {
		return nil
	}
	if err := p.cfg.Persister.Delete(ctx, s.token); err != nil {
		return fmt.Errorf("session: deleting %s from the store: %w", s.token, err)
	}
	return nil
}

// Restore loads the Persister's sessions, resumes each against the chain and adds the
// live ones; of two live sessions for the same authority and target the later-expiring
// one is kept and the other retired. The keys of tokens that are gone or expired are
// retired too: deleted from the store once their signers are empty or swept, as for any
// session leaving the pool (see [Pool]). A snapshot that no longer matches the chain is
// deleted only if its key's account is empty. Other failures, stored sessions that could
// not be loaded (a *LoadError) among them, are returned together and leave the store
// untouched; they do not stop the sound sessions from being restored.
//
// Tokens are read in batches of 100 (getMultipleAccounts), a few batches at a time, and
// each session's key is built from its seed once.
func (p *Pool) Restore(ctx context.Context) (restored int, err error) {
	return p.restore(ctx)
}

// Maintain runs one maintenance pass and waits for it: sessions due for renewal (by the
// cluster clock) are renewed, revoked ones are dropped, expired ones are dropped and, with
// RevokeExpired, revoked on chain, and retired sessions are swept when their tokens allow.
// At most Workers run at once.
func (p *Pool) Maintain(ctx context.Context) error {
	p.renewLeases(ctx)
	now, err := p.mgr.clock.now(ctx)
	if err != nil {
		return err
	}
	if err := p.claimDue(ctx, now); err != nil {
		p.report(nil, err)
	}
	renewFrom := int64(p.cfg.RenewBefore / time.Second)
	sem := make(chan struct{}, p.cfg.Workers)
	var wg sync.WaitGroup
	live := p.Sessions()
	retired := p.Retired()
	for i, s := range append(live, retired...) {
		var task func(context.Context, *Session)
		switch {
		case i >= len(live):
			task = p.sweepRetired
		case s.Revoked():
			task = p.drop
		case now >= s.validUntil:
			task = p.expire
		case p.cfg.Renew != nil && s.validUntil-now <= renewFrom:
			task = p.renew
		default:
			continue
		}
		if !p.claim(s) {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			p.release(s)
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { p.release(s); <-sem; wg.Done() }()
			task(ctx, s)
		}()
	}
	wg.Wait()
	return nil
}

func (p *Pool) claim(s *Session) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy[s] {
		return false
	}
	p.busy[s] = true
	return true
}

func (p *Pool) release(s *Session) {
	p.mu.Lock()
	delete(p.busy, s)
	p.mu.Unlock()
}

// drop removes s if it is still the pool's session for its key, and retires it.
func (p *Pool) drop(ctx context.Context, s *Session) {
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	current := p.sessions[key] == s
	if current {
		delete(p.sessions, key)
	}
	p.mu.Unlock()
	if current {
		if err := p.retire(ctx, s, false); err != nil {
			p.report(s, err)
		}
	}
}

// expire confirms expiry with a cluster reading before acting: the pass's time was an
// estimate. Retiring the session revokes and sweeps it with RevokeExpired; a failed revoke
// keeps its key in the store for the next pass.
func (p *Pool) expire(ctx context.Context, s *Session) {
	expired, err := s.Expired(ctx)
	if err != nil {
		p.report(s, err)
		return
	}
	if expired {
		p.drop(ctx, s)
	}
}

func (p *Pool) sweepRetired(ctx context.Context, s *Session) {
	if err := p.retire(ctx, s, false); err != nil {
		p.report(s, err)
	}
}

// renew swaps in s's successor. A Renew that created the successor but failed to revoke
// s still returns it, and it holds a top-up: it is used, not dropped.
func (p *Pool) renew(ctx context.Context, s *Session) {
	next, err := p.cfg.Renew(ctx, s)
	if err != nil {
		p.report(s, fmt.Errorf("session: renewing %s: %w", s.token, err))
	}
	if next == nil {
		return
	}
	if p.cfg.Persister != nil {
		if err := p.cfg.Persister.Save(ctx, next.Snapshot()); err != nil {
			p.report(next, fmt.Errorf("session: persisting %s: %w", next.token, err))
			// Unstored, its key would die with the process: take its lamports back now.
			if err := p.retire(ctx, next, true); err != nil {
				p.report(next, err)
			}
			return
		}
	}
	// Held like any session the pool serves, or a replica sharing the store could claim
	// it once it is due and renew it a second time.
	if err := p.hold(ctx, next, false); err != nil {
		p.report(next, err)
	}
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	swapped := p.sessions[key] == s
	if swapped {
		p.sessions[key] = next
	}
	p.mu.Unlock()
	stale, revokeNow := s, false
	if !swapped {
		// The session was removed or replaced while renewing; nobody holds the new one, so
		// it is revoked at once rather than left funded until it expires.
		stale, revokeNow = next, true
	}
	if err := p.retire(ctx, stale, revokeNow); err != nil {
		p.report(stale, err)
	}
}

func (p *Pool) report(s *Session, err error) {
	if p.cfg.OnError != nil {
		p.cfg.OnError(s, err)
	}
}
