package sender

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/nonce"
)

// ErrNonceAdvanced means a durable-nonce transaction did not land and never can: the
// nonce it was signed on has moved on (another transaction advanced it, or the account
// was withdrawn). The action was not applied.
var ErrNonceAdvanced = errors.New("sender: nonce advanced without the transaction")

// NonceParams name the durable nonce a transaction uses: its first instruction advances
// Account, and its "recent blockhash" is the nonce Account held when it was signed.
type NonceParams struct {
	Account solana.PublicKey
}

// SendSignedNonce is SendSigned for a durable-nonce transaction signed elsewhere (a
// wallet that took minutes to sign): it has no block-height expiry, so it is sent and
// watched until it lands or its nonce advances without it, resending the same bytes and
// never re-signing.
//
// Exactly once, for nonce transactions. The runtime executes a durable-nonce
// transaction only if the nonce account holds the transaction's nonce, and executing it
// (successfully or not) advances that nonce in the same block. So the transaction lands
// at most once, like any other; and once the account's nonce differs from the
// transaction's, it can never land again, because nonces do not repeat (each is derived
// from a newer blockhash). SendSignedNonce reports ErrNonceAdvanced only after reading,
// at the Sender's commitment, a nonce that differs from the transaction's and then
// finding no status for its signature (with transaction history): a landing would have
// advanced the nonce in a block that the status lookup, made afterwards, would see. The
// caller who wants a pending nonce transaction void advances the nonce itself (as
// session.NoncePool does when a prepared transaction is abandoned). As for Send, blocks
// at the commitment are assumed never rolled back; and when the chain cannot be read, or
// ctx ends, the result is a *SendError matching ErrOutcomeUnknown, never a guess.
func (s *Sender) SendSignedNonce(ctx context.Context, tx *solana.Transaction, p NonceParams) (*Result, error) {
	if tx == nil {
		return nil, fmt.Errorf("%w: nil transaction", ErrInvalidTransaction)
	}
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInvalidTransaction, err)
	}
	sig, value, err := inspect(raw)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(s.ctx, func() { cancel(ErrClosed) })()
	w := &nonceWait{s: s, sig: sig, value: value, account: p.Account, wire: encodeBase64(raw)}
	return w.run(ctx)
}

// nonceWait is one SendSignedNonce.
type nonceWait struct {
	s       *Sender
	sig     solana.Signature
	value   solana.Hash
	account solana.PublicKey
	wire    string
	sends   int
}

func (w *nonceWait) run(ctx context.Context) (*Result, error) {
	s := w.s
	w.sends++
	err := s.call.once(ctx, "sendTransaction", []any{w.wire, w.opts(!s.cfg.skipPreflight)}, nil)
	var re *RPCError
	if errors.As(err, &re) && re.rejected() && !re.alreadyProcessed() && !re.blockhashNotFound() {
		// Refused before reaching a leader, for a reason other than the nonce: it did not
		// land through this send. One sent by someone else shows in the status, though.
		if res, done, err := w.check(ctx); done {
			return res, err
		}
		if sim, ok := re.simulation(); ok {
			return nil, &FailedError{Signature: w.sig, Preflight: true, Err: sim.Err, Logs: sim.Logs, mapped: s.cfg.mapper(sim.Err, sim.Logs)}
		}
		return nil, re
	}
	poll := time.NewTicker(s.cfg.pollInterval)
	defer poll.Stop()
	rebroadcast := time.NewTicker(s.cfg.rebroadcast)
	defer rebroadcast.Stop()
	var lastErr error
	for {
		if res, done, err := w.check(ctx); done {
			return res, err
		} else if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return nil, &SendError{Err: ErrOutcomeUnknown, Signatures: []solana.Signature{w.sig}, Cause: errors.Join(context.Cause(ctx), lastErr)}
		case <-rebroadcast.C:
			w.sends++
			if err := s.call.once(ctx, "sendTransaction", []any{w.wire, w.opts(false)}, nil); err != nil {
				s.log.Debug("sender: rebroadcast of nonce transaction failed", "sig", w.sig, "err", err)
			}
		case <-poll.C:
		}
	}
}

func (w *nonceWait) opts(preflight bool) map[string]any {
	if preflight {
		return w.s.preflightOpts
	}
	return w.s.sendOpts
}

// check looks the signature up and, while it has no status, whether the nonce moved on.
// done reports an outcome; err without done is a failed read, to try again.
func (w *nonceWait) check(ctx context.Context) (res *Result, done bool, err error) {
	s := w.s
	st, err := s.call.statuses(ctx, []solana.Signature{w.sig}, false)
	if err != nil {
		return nil, false, err
	}
	if status := st.Value[0]; status != nil {
		return w.settle(ctx, status)
	}
	current, err := w.nonce(ctx)
	if err != nil || current == w.value {
		return nil, false, err
	}
	// The nonce moved on: either this transaction moved it (its status shows now, the
	// lookup being later than the read) or it can never land.
	st, err = s.call.statuses(ctx, []solana.Signature{w.sig}, true)
	if err != nil {
		return nil, false, err
	}
	if status := st.Value[0]; status != nil {
		return w.settle(ctx, status)
	}
	return nil, true, &SendError{Err: ErrNonceAdvanced, Signatures: []solana.Signature{w.sig},
		Cause: fmt.Errorf("sender: nonce account %s holds %s, the transaction was signed on %s", w.account, current, w.value)}
}

// settle reports a status: nothing yet below the commitment, else the outcome.
func (w *nonceWait) settle(ctx context.Context, status *sigStatus) (*Result, bool, error) {
	s := w.s
	if !status.reached(s.cfg.commitment) {
		return nil, false, nil
	}
	if status.Err != nil {
		var logs []string
		if d, err := s.Details(ctx, w.sig); err == nil {
			logs = d.Logs
		}
		return nil, true, &FailedError{Signature: w.sig, Slot: status.Slot, Err: status.Err, Logs: logs, mapped: s.cfg.mapper(status.Err, logs)}
	}
	return &Result{Signature: w.sig, Slot: status.Slot, Signings: 1, Sends: w.sends}, true, nil
}

// nonce reads the nonce account's nonce at the Sender's commitment; an account that is
// gone or no longer a nonce account holds none (the zero hash).
func (w *nonceWait) nonce(ctx context.Context) (solana.Hash, error) {
	var out struct {
		Value *struct {
			Data  []string         `json:"data"`
			Owner solana.PublicKey `json:"owner"`
		} `json:"value"`
	}
	err := w.s.call.call(ctx, "getAccountInfo", []any{w.account.String(), map[string]any{
		"commitment": w.s.cfg.commitment, "encoding": "base64"}}, &out)
	if err != nil {
		return solana.Hash{}, err
	}
	if out.Value == nil || out.Value.Owner != solana.SystemProgramID || len(out.Value.Data) == 0 {
		return solana.Hash{}, nil
	}
	raw, err := base64.StdEncoding.DecodeString(out.Value.Data[0])
	if err != nil {
		return solana.Hash{}, fmt.Errorf("sender: nonce account %s: %w", w.account, err)
	}
	a, err := nonce.Decode(raw)
	if err != nil {
		return solana.Hash{}, nil // no longer a nonce account: it holds no nonce
	}
	return a.Nonce, nil
}
