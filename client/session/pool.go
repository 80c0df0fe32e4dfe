package session

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
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
	// token), sweeping the ephemeral signer's lamports back; otherwise they are only dropped.
	RevokeExpired bool
	// OnError learns about background failures; s is nil for failures not tied to a session.
	OnError func(s *Session, err error)
}

// Pool holds the live sessions of many players, one per (authority, target), for a game
// backend. Lookups are lock-light and safe from any goroutine; maintenance renews sessions
// ahead of expiry and cleans up expired ones with a bounded number of goroutines.
type Pool struct {
	mgr *Manager
	cfg PoolConfig

	mu       sync.RWMutex
	sessions map[poolKey]*Session
	busy     map[*Session]bool // renewal or cleanup running

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
	p := &Pool{
		mgr:      mgr,
		cfg:      cfg,
		sessions: make(map[poolKey]*Session),
		busy:     make(map[*Session]bool),
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

// Close stops background maintenance and waits for it. Sessions stay usable; the pool
// refuses further Puts.
func (p *Pool) Close() error {
	p.cancel()
	p.loop.Wait()
	return nil
}

// Get returns the session of authority for target.
func (p *Pool) Get(authority, target solana.PublicKey) (*Session, bool) {
	p.mu.RLock()
	s, ok := p.sessions[poolKey{authority, target}]
	p.mu.RUnlock()
	return s, ok
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
// returns the session it replaced, if any; revoking that one is the caller's choice.
func (p *Pool) Put(ctx context.Context, s *Session) (replaced *Session, err error) {
	if p.life.Err() != nil {
		return nil, ErrClosed
	}
	if p.cfg.Persister != nil {
		if err := p.cfg.Persister.Save(ctx, s.Snapshot()); err != nil {
			return nil, fmt.Errorf("session: persisting %s: %w", s.token, err)
		}
	}
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	old := p.sessions[key]
	p.sessions[key] = s
	p.mu.Unlock()
	if old != nil && old != s {
		return old, p.forget(ctx, old)
	}
	return nil, nil
}

// Remove takes the session of authority for target out of the pool and the store.
func (p *Pool) Remove(ctx context.Context, authority, target solana.PublicKey) (*Session, error) {
	key := poolKey{authority, target}
	p.mu.Lock()
	s := p.sessions[key]
	delete(p.sessions, key)
	p.mu.Unlock()
	if s == nil {
		return nil, nil
	}
	return s, p.forget(ctx, s)
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
// live ones. Sessions that are gone, expired or no longer match the chain are deleted
// from the store; other failures are returned together and leave the store untouched.
func (p *Pool) Restore(ctx context.Context) (restored int, err error) {
	if p.cfg.Persister == nil {
		return 0, nil
	}
	snaps, err := p.cfg.Persister.Load(ctx)
	if err != nil {
		return 0, fmt.Errorf("session: loading stored sessions: %w", err)
	}
	var errs []error
	for _, snap := range snaps {
		s, err := p.mgr.Resume(ctx, snap)
		switch {
		case err == nil:
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrMismatch):
			if err := p.cfg.Persister.Delete(ctx, snap.Token); err != nil {
				errs = append(errs, err)
			}
			continue
		default:
			errs = append(errs, err)
			continue
		}
		p.mu.Lock()
		p.sessions[poolKey{s.authority, s.target}] = s
		p.mu.Unlock()
		restored++
	}
	return restored, errors.Join(errs...)
}

// Maintain runs one maintenance pass and waits for it: sessions due for renewal (by the
// cluster clock) are renewed, revoked ones are dropped, expired ones are dropped and, with
// RevokeExpired, revoked on chain. At most Workers run at once.
func (p *Pool) Maintain(ctx context.Context) error {
	now, err := p.mgr.clock.now(ctx)
	if err != nil {
		return err
	}
	renewFrom := int64(p.cfg.RenewBefore / time.Second)
	sem := make(chan struct{}, p.cfg.Workers)
	var wg sync.WaitGroup
	for _, s := range p.Sessions() {
		var task func(context.Context, *Session)
		switch {
		case s.Revoked():
			task = p.cleanup
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

// drop removes s if it is still the pool's session for its key.
func (p *Pool) drop(ctx context.Context, s *Session) {
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	current := p.sessions[key] == s
	if current {
		delete(p.sessions, key)
	}
	p.mu.Unlock()
	if current {
		if err := p.forget(ctx, s); err != nil {
			p.report(s, err)
		}
	}
}

func (p *Pool) cleanup(ctx context.Context, s *Session) { p.drop(ctx, s) }

// expire confirms expiry with a cluster reading before acting: the pass's time was an
// estimate. With RevokeExpired the session leaves the pool and the store only once its
// revoke landed, so a failed revoke is retried by the next pass instead of losing the key
// to the signer's lamports; a signer too poor to pay the fee has nothing left to sweep.
func (p *Pool) expire(ctx context.Context, s *Session) {
	expired, err := s.Expired(ctx)
	if err != nil {
		p.report(s, err)
		return
	}
	if !expired {
		return
	}
	if p.cfg.RevokeExpired {
		_, err := p.mgr.Revoke(ctx, s, RevokeParams{})
		switch {
		case err == nil, errors.Is(err, ErrRevoked):
		case errors.Is(err, ErrNoSweep):
			p.report(s, err)
		default:
			p.report(s, err)
			return
		}
	}
	p.drop(ctx, s)
}

func (p *Pool) renew(ctx context.Context, s *Session) {
	next, err := p.cfg.Renew(ctx, s)
	if err != nil {
		p.report(s, fmt.Errorf("session: renewing %s: %w", s.token, err))
		return
	}
	if p.cfg.Persister != nil {
		if err := p.cfg.Persister.Save(ctx, next.Snapshot()); err != nil {
			p.report(next, fmt.Errorf("session: persisting %s: %w", next.token, err))
			return
		}
	}
	key := poolKey{s.authority, s.target}
	p.mu.Lock()
	swapped := p.sessions[key] == s
	if swapped {
		p.sessions[key] = next
	}
	p.mu.Unlock()
	stale := s
	if !swapped {
		// The session was removed or replaced while renewing; the new one is not wanted.
		stale = next
	}
	if err := p.forget(ctx, stale); err != nil {
		p.report(stale, err)
	}
}

func (p *Pool) report(s *Session, err error) {
	if p.cfg.OnError != nil {
		p.cfg.OnError(s, err)
	}
}
