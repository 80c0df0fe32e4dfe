package session

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Send wraps ixs (see Wrap) and sends them through the Manager's sender, which confirms
// the move exactly once, re-signing with a new blockhash only when the old transaction
// provably cannot land. A Revoke started meanwhile waits for the move to finish.
func (s *Session) Send(ctx context.Context, ixs []solana.Instruction) (*sender.Result, error) {
	return s.SendWith(ctx, ixs, MoveParams{})
}

// SendWith is Send with the choices of p (another fee payer, further signers, the
// authority acted for).
func (s *Session) SendWith(ctx context.Context, ixs []solana.Instruction, p MoveParams) (*sender.Result, error) {
	if s.mgr == nil || s.mgr.snd == nil {
		return nil, fmt.Errorf("%w: session %s has no Manager with a sender to send with", ErrBadParams, s.token)
	}
	cfg, err := s.configure(ixs, &p)
	if err != nil {
		return nil, err
	}
	ctx = sender.ContextWithParty(ctx, party(&cfg))
	if cfg.unitLimit, err = s.simulatedLimit(ctx, ixs, &cfg); err != nil {
		return nil, err
	}
	if cfg.unitLimit == 0 && cfg.guard != nil && cfg.guard.MaxUnitLimit != 0 && cfg.guard.MaxUnitLimit < maxComputeUnits {
		// A unit-limit cap below the runtime's ceiling (a grant's compute bound) leaves no
		// room for the salt above it: the move asks for the cap, and the salt moves to the
		// loaded-data limit, as with a simulated limit.
		cfg.unitLimit = cfg.guard.MaxUnitLimit
	}
	s.inflight.RLock()
	var res *sender.Result
	if priced(s.mgr.snd) {
		res, err = s.sendPriced(ctx, ixs, &cfg)
	} else {
		res, err = s.mgr.snd.Send(ctx, s.mover(ctx, ixs, &cfg))
	}
	if err == nil {
		s.noteSlot(res.Slot) // before a waiting Revoke reads the balance this move changed
	}
	s.inflight.RUnlock() // a waiting Revoke need not wait for noticeGone's lookup too
	if err != nil {
		s.noticeGone(ctx, err)
		return res, unfunded(err, s.signer, &cfg)
	}
	return res, nil
}

// noticeGone marks the session revoked when a move failed because the token account is
// gone (revoked by another process, or by anyone once expired), so that later moves are
// refused without a round trip.
func (s *Session) noticeGone(ctx context.Context, err error) {
	if !errors.Is(err, client.ErrInvalidToken) && !errors.Is(err, txn.ErrAccountNotInitialized) &&
		!errors.Is(err, txn.ErrAccountOwnedByWrongProgram) {
		return
	}
	if _, gerr := s.mgr.Get(ctx, s.token); errors.Is(gerr, ErrNotFound) {
		s.state.CompareAndSwap(stateActive, stateRevoked)
	}
}

// mover is Send's build function. It copies cfg, so the caller's stays on its stack.
func (s *Session) mover(ctx context.Context, ixs []solana.Instruction, cfg *wrapConfig) sender.BuildFunc {
	mv := &move{s: s, ctx: ctx, ixs: ixs, cfg: *cfg}
	mv.cfg.ctx = ctx
	return mv.build
}

// move is one Send's state across the sender's build calls.
type move struct {
	s   *Session
	ctx context.Context
	ixs []solana.Instruction
	cfg wrapConfig
	// last was built for lastHash. The sender may ask again for a blockhash it already
	// had built; it must get the same transaction back, not a distinct variant that could
	// land a second time.
	last     []byte
	lastHash solana.Hash
	// buf holds a move's instructions with the session's limit, for the usual few.
	buf [6]solana.Instruction
}

func (mv *move) build(blockhash solana.Hash) ([]byte, error) {
	if mv.last != nil && mv.lastHash == blockhash {
		return mv.last, nil
	}
	if err := mv.s.usable(mv.ctx); err != nil {
		return nil, err
	}
	wire, err := mv.s.buildDistinct(blockhash, mv.ixs, &mv.cfg, mv.buf[:0])
	if err == nil {
		mv.last, mv.lastHash = wire, blockhash
	}
	return wire, err
}

// buildDistinct builds ixs into a transaction that this session has not signed before;
// buf, when large enough, holds the instructions with the session's limit.
func (s *Session) buildDistinct(blockhash solana.Hash, ixs []solana.Instruction, cfg *wrapConfig, buf []solana.Instruction) ([]byte, error) {
	s.limitOnce.Do(func() { s.limit0 = newUnitLimit(s.salt, 0) })
	variant, err := distinct(buf, ixs, s.salt, 0, s.limit0)
	if err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		wire, err := s.build(blockhash, withPrice(withLimit(variant, cfg.unitLimit), cfg.price), cfg)
		if err != nil {
			return nil, err
		}
		if s.recent.claim(solana.Signature(wire[1:65]), time.Now()) {
			return wire, nil
		}
		if variant, err = distinct(buf, ixs, s.salt, n+1, nil); err != nil {
			return nil, err
		}
	}
}

var errNoSender = fmt.Errorf("%w: the Manager was made without a sender (read-only)", ErrBadParams)

// send runs one action of s through the sender and returns the landed signature and
// its fees, noting its slot on s: reads that decide about s's key must be at least that
// new.
func (m *Manager) send(ctx context.Context, s *Session, build sender.BuildFunc) (solana.Signature, sender.Fees, error) {
	if m.snd == nil {
		return solana.Signature{}, sender.Fees{}, errNoSender
	}
	res, err := m.snd.Send(ctx, build)
	if err != nil {
		return solana.Signature{}, sender.Fees{}, err
	}
	s.noteSlot(res.Slot)
	return res.Signature, res.Fees, nil
}

// balanceAt reads account's balance from a node that has seen at least minSlot (a slot
// of ours that changed it), so that a node lagging behind a load balancer cannot report
// an old balance. It fails rather than answer from an older slot.
func (m *Manager) balanceAt(ctx context.Context, account solana.PublicKey, minSlot uint64) (uint64, error) {
	cfg := map[string]any{"commitment": m.commitment}
	if minSlot > 0 {
		cfg["minContextSlot"] = minSlot
	}
	var out struct {
		Context struct{ Slot uint64 } `json:"context"`
		Value   uint64                `json:"value"`
	}
	if err := m.rpc.RPCCallForInto(ctx, &out, "getBalance", []any{account.String(), cfg}); err != nil {
		return 0, fmt.Errorf("session: reading the balance of session signer %s at slot %d or later: %w", account, minSlot, err)
	}
	if out.Context.Slot < minSlot { // a node that ignores minContextSlot
		return 0, fmt.Errorf("session: the balance of %s came from slot %d, older than %d", account, out.Context.Slot, minSlot)
	}
	return out.Value, nil
}

// sendSigned submits a transaction signed elsewhere; it cannot be re-signed.
func (m *Manager) sendSigned(ctx context.Context, tx *solana.Transaction, lastValidBlockHeight uint64) (solana.Signature, error) {
	if m.snd == nil {
		return solana.Signature{}, errNoSender
	}
	res, err := m.snd.SendSigned(ctx, tx, lastValidBlockHeight)
	if err != nil {
		return solana.Signature{}, err
	}
	return res.Signature, nil
}

// blockhash fetches a blockhash for a transaction signed outside the sender's loop.
func (m *Manager) blockhash(ctx context.Context) (sender.Blockhash, error) {
	res, err := m.rpc.GetLatestBlockhash(ctx, m.commitment)
	if err != nil {
		return sender.Blockhash{}, fmt.Errorf("session: getting a blockhash: %w", err)
	}
	return sender.Blockhash{Hash: res.Value.Blockhash, LastValidBlockHeight: res.Value.LastValidBlockHeight, Slot: res.Context.Slot}, nil
}

// fee asks the cluster what the message of wire, signed on blockhash, costs its fee payer.
func (m *Manager) fee(ctx context.Context, wire []byte, blockhash solana.Hash) (uint64, error) {
	res, err := m.rpc.GetFeeForMessage(ctx, base64.StdEncoding.EncodeToString(message(wire)), m.commitment)
	if err != nil {
		return 0, fmt.Errorf("session: getting the fee for a message: %w", err)
	}
	if res.Value == nil {
		return 0, fmt.Errorf("session: the cluster gave no fee for the message (blockhash %s unknown)", blockhash)
	}
	return *res.Value, nil
}
