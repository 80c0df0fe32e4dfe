package session

import (
	"context"
	"errors"
	"fmt"
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

// keySource lists the stored sessions of a Persister and builds their keys one by one,
// so that a restore builds each key once, while other batches' tokens are being read.
type keySource interface {
	// list returns the stored sessions without their keys, and a *LoadError for those
	// it could not read.
	list(ctx context.Context) ([]keyed, error)
	// build sets k.key, or k.err, k.loadErr or k.gone.
	build(ctx context.Context, k *keyed)
}

// keyed is a stored session and, once built, its key.
type keyed struct {
	// snap's Seed is set, for a plain Persister, until the key is built.
	snap Snapshot
	key  *txn.SessionKey
	// err: the key could not be built, and the session is reported with it.
	err error
	// loadErr: the store could not load the session; it is reported in a *LoadError
	// and left alone.
	loadErr error
	// gone: deleted from the store since it was listed.
	gone bool
}

// persisterKeys is the keySource of a plain Persister: keys built from Load's seeds.
type persisterKeys struct{ ps Persister }

func (p persisterKeys) list(ctx context.Context) ([]keyed, error) {
	snaps, err := p.ps.Load(ctx)
	out := make([]keyed, len(snaps))
	for i := range snaps {
		out[i].snap = snaps[i]
		clear(snaps[i].Seed[:])
	}
	return out, err
}

func (persisterKeys) build(_ context.Context, k *keyed) {
	k.key, k.err = txn.NewSessionKey(k.snap.Seed[:])
	clear(k.snap.Seed[:])
}

// restore is Restore.
func (p *Pool) restore(ctx context.Context) (restored int, err error) {
	if p.cfg.Persister == nil {
		return 0, nil
	}
	src, ok := p.cfg.Persister.(keySource)
	if !ok {
		src = persisterKeys{p.cfg.Persister}
	}
	stored, err := src.list(ctx)
	var partial *LoadError
	switch {
	case errors.As(err, &partial):
	case err != nil:
		return 0, fmt.Errorf("session: loading stored sessions: %w", err)
	}
	defer func() {
		for i := range stored {
			clear(stored[i].snap.Seed[:])
		}
	}()
	// Nothing in a snapshot says which slot last changed its signer's account: reads that
	// decide about a restored key are at least as new as this restore.
	since, err := p.mgr.rpc.GetSlot(ctx, p.mgr.commitment)
	if err != nil {
		return 0, fmt.Errorf("session: reading the slot before restoring: %w", err)
	}
	resumed := p.mgr.resumeAll(ctx, stored, src)
	var errs []error
	for _, k := range stored {
		if k.loadErr != nil {
			if partial == nil {
				partial = &LoadError{}
			}
			partial.Errs = append(partial.Errs, k.loadErr)
		}
	}
	if partial != nil {
		errs = append(errs, partial) // the sound ones are restored all the same
	}
	for i, k := range stored {
		if k.gone || k.loadErr != nil {
			continue
		}
		s, err := resumed[i].s, resumed[i].err
		switch {
		case err == nil:
			s.noteSlot(since)
			if err := p.hold(ctx, s, p.cfg.TakeOver); err != nil {
				s.key.Zero() // another holder's, or nobody's until this is sorted out
				errs = append(errs, err)
				continue
			}
		case k.key == nil:
			errs = append(errs, err)
			continue
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
			k.key.Zero()
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

// resumed is Resume's verdict on one stored session.
type resumed struct {
	s   *Session
	err error
}

// resumeAll is Resume for every stored session, with the tokens read restoreBatch at a
// time and restoreReads reads in flight; each batch's keys are built from src while its
// tokens are read. Keys are not zeroed.
func (m *Manager) resumeAll(ctx context.Context, stored []keyed, src keySource) []resumed {
	out := make([]resumed, len(stored))
	batches := make(chan int)
	var wg sync.WaitGroup
	for range min(restoreReads, (len(stored)+restoreBatch-1)/restoreBatch) {
		wg.Go(func() {
			for start := range batches {
				end := min(start+restoreBatch, len(stored))
				m.resumeBatch(ctx, stored[start:end], out[start:end], src)
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

// accountsRead is the answer to one getMultipleAccounts.
type accountsRead struct {
	res *rpc.GetMultipleAccountsResult
	err error
}

// resumeBatch judges one batch of at most restoreBatch stored sessions, with one read
// of their tokens, building their keys meanwhile.
func (m *Manager) resumeBatch(ctx context.Context, stored []keyed, out []resumed, src keySource) {
	addrs := make([]solana.PublicKey, len(stored))
	for i, k := range stored {
		addrs[i] = k.snap.Token
	}
	read := make(chan accountsRead, 1)
	go func() {
		res, err := m.rpc.GetMultipleAccountsWithOpts(ctx, addrs, &rpc.GetMultipleAccountsOpts{
			Encoding: solana.EncodingBase64, Commitment: m.commitment,
		})
		read <- accountsRead{res, err}
	}()
	for i := range stored {
		src.build(ctx, &stored[i])
	}
	r := <-read
	fail := func(err error) {
		for i := range out {
			out[i].err = err
		}
	}
	if r.err == nil && len(r.res.Value) != len(addrs) {
		r.err = fmt.Errorf("%d accounts for %d addresses", len(r.res.Value), len(addrs))
	}
	if r.err != nil {
		fail(fmt.Errorf("session: fetching %d tokens from %s: %w", len(addrs), addrs[0], r.err))
		return
	}
	now, err := m.clock.now(ctx)
	if err != nil {
		fail(err)
		return
	}
	for i, k := range stored {
		out[i] = m.resumeRead(k, r.res.Value[i], now)
	}
}

// resumeRead is Resume with the token's account (nil if none) already read at cluster
// time now.
func (m *Manager) resumeRead(k keyed, acct *rpc.Account, now int64) resumed {
	if k.key == nil {
		return resumed{err: k.err} // reported as it is, or not at all (gone, not loaded)
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

// list implements keySource: the store's records of the Persister's program.
func (p *storePersister) list(ctx context.Context) ([]keyed, error) {
	recs, err := p.st.List(ctx, tokenstore.Filter{})
	var partial *tokenstore.PartialError
	var bad []error
	switch {
	case errors.As(err, &partial):
		bad = partial.Files
	case err != nil:
		return nil, err
	}
	out := make([]keyed, 0, len(recs))
	for _, rec := range recs {
		if rec.ProgramID == p.programID {
			out = append(out, keyed{snap: Snapshot{
				Token: rec.Token, SessionSigner: rec.SessionSigner, Authority: rec.Authority, TargetProgram: rec.TargetProgram,
				FeePayer: rec.FeePayer, Version: rec.Version, ValidUntil: rec.ValidUntil,
			}})
		}
	}
	if len(bad) > 0 {
		return out, &LoadError{Errs: bad}
	}
	return out, nil
}

// build implements keySource with the store's Get, which builds the key from the
// stored seed.
func (p *storePersister) build(ctx context.Context, k *keyed) {
	_, key, err := p.st.Get(ctx, k.snap.Token)
	switch {
	case errors.Is(err, tokenstore.ErrNotFound):
		k.gone = true
	case err != nil:
		k.loadErr = fmt.Errorf("session: loading %s: %w", k.snap.Token, err)
	default:
		k.key = key
		if a, ok := p.st.(tokenstore.Attacher); ok {
			// Restore must bring back the grant's bounds and the token caps as Load does.
			if err := loadAttachments(ctx, a, &k.snap); err != nil {
				key.Zero()
				k.key, k.loadErr = nil, err
			}
		}
	}
}
