package session

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/tokenstore"
)

const (
	// restoreBatch is the most accounts one getMultipleAccounts returns.
	restoreBatch = 100
	// restoreReads is how many batch reads a restore keeps in flight: enough to hide
	// a round trip behind the judging of the batches already in, few enough not to
	// crowd the node.
	restoreReads = 4
)

// keyedLoader is a Persister that loads sessions with their keys already built (a
// tokenstore's Get builds each key from its seed), so that a restore builds none again.
type keyedLoader interface {
	loadKeyed(ctx context.Context) ([]keyed, error)
}

// keyed is a stored session and its key, nil if it could not be built (err says why);
// snap.Seed is cleared.
type keyed struct {
	snap Snapshot
	key  *txn.SessionKey
	err  error
}

// restore is Restore.
func (p *Pool) restore(ctx context.Context) (restored int, err error) {
	if p.cfg.Persister == nil {
		return 0, nil
	}
	stored, err := load(ctx, p.cfg.Persister)
	var errs []error
	var partial *LoadError
	switch {
	case errors.As(err, &partial):
		errs = append(errs, partial) // the sound ones are restored all the same
	case err != nil:
		return 0, fmt.Errorf("session: loading stored sessions: %w", err)
	}
	// Nothing in a snapshot says which slot last changed its signer's account: reads that
	// decide about a restored key are at least as new as this restore.
	since, err := p.mgr.rpc.GetSlot(ctx, p.mgr.commitment)
	if err != nil {
		zeroKeys(stored)
		return 0, fmt.Errorf("session: reading the slot before restoring: %w", err)
	}
	resumed := p.mgr.resumeAll(ctx, stored)
	for i, k := range stored {
		s, err := resumed[i].s, resumed[i].err
		switch {
		case err == nil:
			s.noteSlot(since)
			if err := p.hold(ctx, s, p.cfg.TakeOver); err != nil {
				s.key.Zero() // another holder's, or nobody's until this is sorted out
				errs = append(errs, err)
				continue
			}
		case errors.Is(err, ErrNotFound), errors.Is(err, client.ErrExpired):
			if err := p.retireSnapshot(ctx, k, since); err != nil {
				errs = append(errs, err)
			}
			continue
		case errors.Is(err, ErrMismatch):
			if err := p.forgetMismatch(ctx, k, since, err); err != nil {
				errs = append(errs, err)
			}
			continue
		default:
			if k.key != nil {
				k.key.Zero()
			}
			errs = append(errs, err)
			continue
		}
		key := poolKey{s.authority, s.target}
		p.mu.Lock()
		prev := p.sessions[key]
		if prev == nil || s.validUntil > prev.validUntil {
			p.sessions[key] = s
			prev, s = s, prev
		}
		p.mu.Unlock()
		if s == nil {
			restored++
			continue
		}
		if err := p.retire(ctx, s, false); err != nil {
			errs = append(errs, err)
		}
	}
	return restored, errors.Join(errs...)
}

// load returns the Persister's sessions with their keys, built once each and on every
// core.
func load(ctx context.Context, ps Persister) ([]keyed, error) {
	if kl, ok := ps.(keyedLoader); ok {
		return kl.loadKeyed(ctx)
	}
	snaps, err := ps.Load(ctx)
	out := make([]keyed, len(snaps))
	parallel(len(snaps), func(i int) {
		out[i].snap = snaps[i]
		out[i].key, out[i].err = txn.NewSessionKey(snaps[i].Seed[:])
		clear(snaps[i].Seed[:])
		clear(out[i].snap.Seed[:])
	})
	return out, err
}

// zeroKeys zeroes every key in stored.
func zeroKeys(stored []keyed) {
	for _, k := range stored {
		if k.key != nil {
			k.key.Zero()
		}
	}
}

// parallel calls f(0) … f(n-1), on as many goroutines as there are cores.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// resumed is Resume's verdict on one stored session.
type resumed struct {
	s   *Session
	err error
}

// resumeAll is Resume for every stored session, with the tokens read restoreBatch at a
// time and restoreReads reads in flight. Keys are not zeroed.
func (m *Manager) resumeAll(ctx context.Context, stored []keyed) []resumed {
	out := make([]resumed, len(stored))
	batches := make(chan int)
	var wg sync.WaitGroup
	for range min(restoreReads, (len(stored)+restoreBatch-1)/restoreBatch) {
		wg.Go(func() {
			for start := range batches {
				end := min(start+restoreBatch, len(stored))
				m.resumeBatch(ctx, stored[start:end], out[start:end])
			}
		})
	}
	for start := 0; start < len(stored); start += restoreBatch {
		batches <- start
	}
	close(batches)
	wg.Wait()
	return out
}

// resumeBatch judges one batch of at most restoreBatch stored sessions, with one read
// of their tokens.
func (m *Manager) resumeBatch(ctx context.Context, stored []keyed, out []resumed) {
	addrs := make([]solana.PublicKey, len(stored))
	for i, k := range stored {
		addrs[i] = k.snap.Token
	}
	fail := func(err error) {
		for i := range out {
			out[i].err = err
		}
	}
	res, err := m.rpc.GetMultipleAccountsWithOpts(ctx, addrs, &rpc.GetMultipleAccountsOpts{
		Encoding: solana.EncodingBase64, Commitment: m.commitment,
	})
	if err == nil && len(res.Value) != len(addrs) {
		err = fmt.Errorf("%d accounts for %d addresses", len(res.Value), len(addrs))
	}
	if err != nil {
		fail(fmt.Errorf("session: fetching %d tokens from %s: %w", len(addrs), addrs[0], err))
		return
	}
	now, err := m.clock.now(ctx)
	if err != nil {
		fail(err)
		return
	}
	for i, k := range stored {
		out[i] = m.resumeRead(k, res.Value[i], now)
	}
}

// resumeRead is Resume with the token's account (nil if none) already read at cluster
// time now.
func (m *Manager) resumeRead(k keyed, acct *rpc.Account, now int64) resumed {
	if k.err != nil {
		return resumed{err: k.err}
	}
	if err := checkKey(k.snap, k.key); err != nil {
		return resumed{err: err}
	}
	if acct == nil {
		return resumed{err: fmt.Errorf("%w: %s", ErrNotFound, k.snap.Token)}
	}
	t, err := asToken(m.judge(k.snap.Token, acct.Owner, acct.Lamports, acct.Data.GetBinary(), byItself, now))
	if err != nil {
		return resumed{err: err}
	}
	s, err := m.resumeToken(k.snap, k.key, t)
	return resumed{s: s, err: err}
}

// retireSnapshot retires the session of a stored session Resume refused for a token gone
// or expired: its signer may still hold the top-up.
func (p *Pool) retireSnapshot(ctx context.Context, k keyed, since uint64) error {
	snap := k.snap
	s := &Session{
		salt:  newSalt(),
		token: snap.Token, signer: snap.SessionSigner, authority: snap.Authority, target: snap.TargetProgram,
		feePayer: snap.FeePayer, version: snap.Version, validUntil: snap.ValidUntil, key: k.key, mgr: p.mgr,
	}
	s.noteSlot(since)
	if err := p.hold(ctx, s, p.cfg.TakeOver); err != nil {
		k.key.Zero()
		return err
	}
	out, err := p.retireOutcome(ctx, s, false)
	if out != retry {
		k.key.Zero() // the store has it, or nothing was left to guard
	}
	return err
}

// forgetMismatch deletes a stored session that disagrees with the chain only when the
// account of its key is empty: where else its lamports belong is not something a
// snapshot that fails its checks can be trusted to say.
func (p *Pool) forgetMismatch(ctx context.Context, k keyed, since uint64, cause error) error {
	signer := k.key.PublicKey()
	k.key.Zero()
	bal, err := p.mgr.balanceAt(ctx, signer, since)
	if err != nil {
		return fmt.Errorf("session: keeping stored session %s: %w", k.snap.Token, err)
	}
	if bal > 0 {
		p.report(nil, fmt.Errorf("session: keeping stored session %s, its key's account %s holds %d lamports: %w", k.snap.Token, signer, bal, cause))
		return nil
	}
	if err := p.cfg.Persister.Delete(ctx, k.snap.Token); err != nil {
		return fmt.Errorf("session: deleting %s from the store: %w", k.snap.Token, err)
	}
	return nil
}

// loadKeyed implements keyedLoader: Load with the keys the store's Get builds, read on
// every core.
func (p *storePersister) loadKeyed(ctx context.Context) ([]keyed, error) {
	recs, err := p.st.List(ctx, tokenstore.Filter{})
	var bad []error
	var partial *tokenstore.PartialError
	switch {
	case errors.As(err, &partial):
		bad = append(bad, partial.Files...)
	case err != nil:
		return nil, err
	}
	mine := recs[:0]
	for _, rec := range recs {
		if rec.ProgramID == p.programID {
			mine = append(mine, rec)
		}
	}
	got := make([]keyed, len(mine))
	errs := make([]error, len(mine))
	parallel(len(mine), func(i int) {
		rec := mine[i]
		_, key, err := p.st.Get(ctx, rec.Token)
		if err != nil {
			errs[i] = err
			return
		}
		got[i] = keyed{key: key, snap: Snapshot{
			Token: rec.Token, SessionSigner: rec.SessionSigner, Authority: rec.Authority, TargetProgram: rec.TargetProgram,
			FeePayer: rec.FeePayer, Version: rec.Version, ValidUntil: rec.ValidUntil,
		}}
	})
	out := got[:0]
	for i, k := range got {
		switch err := errs[i]; {
		case errors.Is(err, tokenstore.ErrNotFound):
			// deleted since List
		case err != nil:
			bad = append(bad, fmt.Errorf("session: loading %s: %w", mine[i].Token, err))
		default:
			out = append(out, k)
		}
	}
	if len(bad) > 0 {
		return out, &LoadError{Errs: bad}
	}
	return out, nil
}
