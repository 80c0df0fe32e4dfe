package sender

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"
)

// action is one Send: every transaction signed for it and what is known about each.
type action struct {
	s        *Sender
	fl       *flight
	attempts []*attempt
	signings int // build calls
	sends    int // sendTransaction requests
}

// attempt is one signed transaction.
type attempt struct {
	sig  solana.Signature
	wire string // base64 transaction
	lvbh uint64
	// submitted means a request carrying the bytes may have reached the cluster: only
	// an expiry proof rules out that it lands.
	submitted bool
}

// sign calls build for the blockhash and starts watching the signature before anything
// is sent, so that a fast confirmation cannot slip past the WebSocket subscription.
func (a *action) sign(build BuildFunc, bh Blockhash) (*attempt, error) {
	a.signings++
	wire, err := build(bh.Hash)
	if err != nil {
		return nil, fmt.Errorf("sender: build transaction: %w", err)
	}
	sig, blockhash, err := inspect(wire)
	if err != nil {
		return nil, err
	}
	if blockhash != bh.Hash {
		return nil, fmt.Errorf("%w: recent blockhash %s, want %s", ErrInvalidTransaction, blockhash, bh.Hash)
	}
	for _, at := range a.attempts {
		if at.sig == sig {
			// A deterministic build with the same blockhash: the same transaction again.
			return at, nil
		}
	}
	at := &attempt{sig: sig, wire: encodeBase64(wire), lvbh: bh.LastValidBlockHeight}
	a.attempts = append(a.attempts, at)
	a.watch(at)
	return at, nil
}

// watch registers the signature for status checks and, with a WebSocket, subscribes to
// it; the checks start once it is sent.
func (a *action) watch(at *attempt) {
	s := a.s
	s.mu.Lock()
	// A subscription on its way counts as one: its acknowledgement can take longer than
	// the confirmation (see Sender.sent).
	s.flights[at.sig] = &watch{fl: a.fl, down: s.hub == nil || !s.hub.connected()}
	s.mu.Unlock()
	if s.hub != nil {
		s.hub.subscribe(at.sig)
	}
}

type submitOutcome int

const (
	// sent: the transaction may be in flight; wait for it.
	sent submitOutcome = iota
	// refusedBlockhash: every send was refused with BlockhashNotFound; it cannot land.
	refusedBlockhash
	// refused: every send was refused for the returned error; it cannot land.
	refused
)

// submit sends the attempt, retrying the identical bytes on failures that may be
// transient.
func (a *action) submit(ctx context.Context, at *attempt) (submitOutcome, error) {
	s := a.s
	for try := 1; ; try++ {
		err := a.send(ctx, at, !s.cfg.skipPreflight && !at.submitted)
		if err == nil {
			at.submitted = true
			return sent, nil
		}
		re := err.(*RPCError)
		switch {
		case re.alreadyProcessed():
			at.submitted = true
			return sent, nil
		case ctx.Err() != nil:
			if !re.rejected() || at.submitted {
				at.submitted = true
				return sent, nil
			}
			return refused, context.Cause(ctx)
		case re.rejected() && at.submitted:
			// An earlier try may be in flight; only its status or expiry can tell.
			return sent, nil
		case re.rejected() && re.blockhashNotFound():
			return refusedBlockhash, re
		case re.rejected():
			if sim, ok := re.simulation(); ok {
				return refused, a.txError(at.sig, 0, true, sim.Err, sim.Logs)
			}
			if !re.Retryable() || try >= s.cfg.retry.MaxAttempts {
				return refused, re
			}
		default:
			at.submitted = at.submitted || !re.undelivered()
			switch {
			case try < s.cfg.retry.MaxAttempts:
			case at.submitted:
				s.log.Warn("sender: send retries exhausted; waiting for status or expiry", "sig", at.sig, "err", re)
				return sent, nil
			default:
				return refused, re
			}
		}
		if err := s.call.backoff(ctx, "sendTransaction", try, re); err != nil {
			if at.submitted {
				return sent, nil
			}
			return refused, context.Cause(ctx)
		}
	}
}

// send makes one sendTransaction request. Preflight simulates at the Sender's
// commitment, the one the blockhash was read at, so a fresh blockhash is never "not
// found" for lack of confirmations.
func (a *action) send(ctx context.Context, at *attempt, preflight bool) error {
	a.sends++
	opts := a.s.sendOpts
	if preflight {
		opts = a.s.preflightOpts
	}
	return a.s.call.once(ctx, "sendTransaction", []any{at.wire, opts}, nil)
}

// wait watches every signature of the action until one lands, all provably expired
// (expired true), or the outcome cannot be established.
func (a *action) wait(ctx context.Context, cur *attempt) (res *Result, expired bool, err error) {
	s := a.s
	rebroadcast := time.NewTicker(s.cfg.rebroadcast)
	defer rebroadcast.Stop()
	_, wake := s.nextPoll()
	for {
		select {
		case u := <-a.fl.updates:
			if res, done, err := a.settle(ctx, u); done {
				return res, false, err
			}
		case <-wake:
			var p pollState
			p, wake = s.nextPoll()
			if p.err != nil {
				// The shared poller spent its retries; try once more before giving up.
				ei, err := s.call.epochInfo(ctx, s.cfg.commitment)
				if err != nil {
					return nil, false, a.unknown(ctx, err)
				}
				p = pollState{slot: ei.AbsoluteSlot, height: ei.BlockHeight}
			}
			if p.height <= a.maxLVBH() {
				continue
			}
			if res, dead, err := a.prove(ctx, p); res != nil || dead || err != nil {
				return res, dead, err
			}
		case <-rebroadcast.C:
			if h := s.lastPoll().height; h == 0 || h <= cur.lvbh {
				if err := a.send(ctx, cur, false); err != nil {
					s.log.Debug("sender: rebroadcast failed", "sig", cur.sig, "err", err)
				}
			}
		case <-ctx.Done():
			return nil, false, a.unknown(ctx, context.Cause(ctx))
		}
	}
}

// prove runs once the block height at p is past every attempt's LastValidBlockHeight:
// no attempt can land any more, so if none has landed, none ever will.
func (a *action) prove(ctx context.Context, p pollState) (res *Result, dead bool, err error) {
	sigs := a.sigs()
	st, err := a.s.call.statuses(ctx, sigs, true)
	if err != nil {
		return nil, false, a.unknown(ctx, err)
	}
	if st.Context.Slot < p.slot {
		// A node behind the one that reported the height may not have seen the block
		// that holds the transaction yet.
		return nil, false, nil
	}
	pending := false
	for i, v := range st.Value {
		if v == nil {
			continue
		}
		if res, done, err := a.settle(ctx, update{sig: sigs[i], status: v}); done {
			return res, false, err
		}
		pending = true
	}
	return nil, !pending, nil
}

// settle turns a status at the Sender's commitment into the action's outcome.
func (a *action) settle(ctx context.Context, u update) (res *Result, done bool, err error) {
	if u.status == nil || !u.status.reached(a.s.cfg.commitment) {
		return nil, false, nil
	}
	if u.status.Err != nil {
		var logs []string
		if d, err := a.s.Details(ctx, u.sig); err == nil {
			logs = d.Logs
		} else {
			a.s.log.Debug("sender: logs of failed transaction unavailable", "sig", u.sig, "err", err)
		}
		return nil, true, a.txError(u.sig, u.status.Slot, false, u.status.Err, logs)
	}
	return &Result{Signature: u.sig, Slot: u.status.Slot, Signings: a.signings, Sends: a.sends}, true, nil
}

func (a *action) txError(sig solana.Signature, slot uint64, preflight bool, txErr any, logs []string) *FailedError {
	return &FailedError{Signature: sig, Slot: slot, Preflight: preflight, Err: txErr, Logs: logs,
		mapped: a.s.cfg.mapper(txErr, logs)}
}

func (a *action) unknown(ctx context.Context, cause error) error {
	if errors.Is(cause, context.Canceled) && context.Cause(ctx) != nil {
		cause = context.Cause(ctx)
	}
	return &SendError{Err: ErrOutcomeUnknown, Signatures: a.sigs(), Cause: cause}
}

func (a *action) sigs() []solana.Signature {
	out := make([]solana.Signature, len(a.attempts))
	for i, at := range a.attempts {
		out[i] = at.sig
	}
	return out
}

func (a *action) maxLVBH() uint64 {
	var m uint64
	for _, at := range a.attempts {
		m = max(m, at.lvbh)
	}
	return m
}

// done stops watching the action's signatures.
func (a *action) done() {
	s := a.s
	s.mu.Lock()
	for _, at := range a.attempts {
		delete(s.flights, at.sig)
	}
	s.mu.Unlock()
	if s.hub != nil {
		for _, at := range a.attempts {
			s.hub.unsubscribe(at.sig)
		}
	}
}
