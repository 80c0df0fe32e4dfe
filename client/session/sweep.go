package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/spl"
)

// TokenSweep is one session token account a revoke emptied and closed.
type TokenSweep struct {
	Mint, Program solana.PublicKey
	Account       solana.PublicKey
	// Amount left the session's account for To, the authority's associated token
	// account; with a Token-2022 transfer fee, To received Amount less the fee.
	Amount uint64
	To     solana.PublicKey
	// Rent is the closed account's lamports, which went to RentTo: the session's fee
	// payer, who paid for the account at create.
	Rent   uint64
	RentTo solana.PublicKey
	// Signature is the transaction that swept it.
	Signature solana.Signature
}

// revokeStepHook, when set (by tests), runs after each intermediate step of a revoke
// that needs more than one transaction has landed.
var revokeStepHook func(step int)

// tokenSweep is what the revoke's transaction does with one session token account.
type tokenSweep struct {
	held     heldToken
	decimals uint8
	// createDest: the authority's account is gone; the session signer recreates it.
	createDest bool
	sweep      TokenSweep
}

func (t *tokenSweep) instructions(signer, payer solana.PublicKey) ([]solana.Instruction, error) {
	h := t.held
	var ixs []solana.Instruction
	if t.createDest {
		ix, err := spl.CreateIdempotent(payer, t.sweep.To, h.Mint, h.Program)
		if err != nil {
			return nil, err
		}
		ixs = append(ixs, ix)
	}
	if h.Amount > 0 {
		ix, err := spl.TransferChecked(h.Program, h.Address, h.Mint, t.sweep.To, signer, h.Amount, t.decimals)
		if err != nil {
			return nil, err
		}
		ixs = append(ixs, ix)
	}
	if h.WithheldFee > 0 {
		// An account holding withheld transfer fees cannot be closed; harvesting them to
		// the mint needs no signature.
		ixs = append(ixs, spl.HarvestWithheldTokensToMint(h.Mint, h.Address))
	}
	ix, err := spl.CloseAccount(h.Program, h.Address, t.sweep.RentTo, signer)
	if err != nil {
		return nil, err
	}
	return append(ixs, ix), nil
}

// readTokens reads the session signer's token accounts, the mints' decimals and whether
// the authority's accounts exist, at a slot no older than the session's last write.
// Frozen accounts cannot be moved or closed; they are left and named in the result.
func (r *revokePlan) readTokens(ctx context.Context) error {
	m, s := r.m, r.s
	held, _, err := m.heldTokens(ctx, s.signer, s.lastSlot.Load())
	if err != nil {
		return err
	}
	r.tokens, r.result.TokensLeft = r.tokens[:0], nil
	rentTo := s.feePayer
	if rentTo.IsZero() {
		rentTo = s.authority
	}
	var mintAddrs, dests []solana.PublicKey
	for _, h := range held {
		if h.State == spl.StateFrozen {
			r.result.TokensLeft = append(r.result.TokensLeft, h.Address)
			continue
		}
		dest, err := spl.AssociatedTokenAddress(s.authority, h.Mint, h.Program)
		if err != nil {
			return err
		}
		mintAddrs, dests = append(mintAddrs, h.Mint), append(dests, dest)
		r.tokens = append(r.tokens, tokenSweep{held: h, sweep: TokenSweep{
			Mint: h.Mint, Program: h.Program, Account: h.Address, Amount: h.Amount, To: dest, Rent: h.Lamports, RentTo: rentTo,
		}})
	}
	if len(r.tokens) == 0 {
		return nil
	}
	mints, err := m.mints(ctx, mintAddrs)
	if err != nil {
		return err
	}
	existing, err := m.rawAccounts(ctx, dests, s.lastSlot.Load())
	if err != nil {
		return err
	}
	for i := range r.tokens {
		r.tokens[i].decimals = mints[i].Decimals
		r.tokens[i].createDest = existing[i] == nil
	}
	return nil
}

// payerKey is who pays the fee of the revoke's transactions.
func (r *revokePlan) payerKey() solana.PublicKey {
	if r.cfg.payer != nil {
		return *r.cfg.payer
	}
	return r.s.signer
}

// tokenInstructions are the sweeps of ts, then (with allowances) the end of the
// session's delegate allowances.
func (r *revokePlan) tokenInstructions(ts []tokenSweep, allowances bool) ([]solana.Instruction, error) {
	var ixs []solana.Instruction
	for i := range ts {
		more, err := ts[i].instructions(r.s.signer, r.payerKey())
		if err != nil {
			return nil, err
		}
		ixs = append(ixs, more...)
	}
	if allowances {
		for _, a := range r.allowances {
			ix, err := spl.Revoke(a.Program, a.Account, r.s.signer)
			if err != nil {
				return nil, err
			}
			ixs = append(ixs, ix)
		}
	}
	return ixs, nil
}

// sweepCost is what the session signer pays for the revoke's token instructions besides
// the fee: the rent of authority accounts it recreates (as large as the session's own
// account of the mint).
func (r *revokePlan) sweepCost() uint64 {
	var cost uint64
	if r.cfg.payer == nil {
		for _, t := range r.tokens {
			if t.createDest {
				cost += t.held.Lamports
			}
		}
	}
	return cost
}

// readAllowances finds the session's allowances still in force, which the revoke ends:
// the token programs let a delegate revoke its own allowance, so the session key alone
// signs that.
func (r *revokePlan) readAllowances(ctx context.Context) error {
	var granted []TokenCap
	for _, g := range r.s.tokens {
		if g.Mode == TokenDelegate {
			granted = append(granted, g)
		}
	}
	if len(granted) == 0 {
		return nil
	}
	addrs := make([]solana.PublicKey, len(granted))
	for i, g := range granted {
		addrs[i] = g.Account
	}
	accts, err := r.m.tokenAccounts(ctx, addrs, r.s.lastSlot.Load())
	if err != nil {
		return err
	}
	r.allowances = nil
	for i, g := range granted {
		if a := accts[i]; a != nil && a.Delegate == r.s.signer {
			g.Remaining = a.DelegatedAmount
			r.allowances = append(r.allowances, g)
		}
	}
	r.result.Allowances = r.allowances
	return nil
}

// prepareTokens readies the token part of the revoke. When everything fits one
// transaction with the revoke and the SOL sweep it is left for that one; otherwise the
// session key sends as many sweeps per transaction as fit until the rest does. Each step
// reads the chain afresh and every transaction is complete on its own (move, harvest,
// close of whole accounts), so a crash between steps loses nothing and the next revoke
// carries on from what the chain shows.
func (r *revokePlan) prepareTokens(ctx context.Context) error {
	if r.s.key == nil && !r.s.external {
		return nil // RevokeToken without the key: nothing of the signer's can move
	}
	if err := r.readAllowances(ctx); err != nil {
		return err
	}
	for step := 1; ; step++ {
		if err := r.readTokens(ctx); err != nil {
			return err
		}
		ok, err := r.fitsFinal()
		if err != nil || ok {
			return err
		}
		if r.s.external { // the steps would need the key; its holder signs the one revoke
			return fmt.Errorf("%w: the token sweeps of %s do not fit one transaction, and its session key is elsewhere", ErrBadParams, r.s.token)
		}
		n, err := r.largestChunk()
		if err != nil {
			return err
		}
		chunk := slices.Clone(r.tokens[:n])
		ixs, err := r.tokenInstructions(chunk, false)
		if err != nil {
			return err
		}
		cfg := wrapConfig{payer: r.cfg.payer, keys: r.cfg.keys}
		sig, fees, err := r.m.send(ctx, r.s, func(bh solana.Hash) ([]byte, error) { return r.s.build(bh, ixs, &cfg) })
		if err != nil {
			return fmt.Errorf("session: revoking %s, step %d (sweeping %d token accounts): %w", r.s.token, step, n, err)
		}
		for _, t := range chunk {
			t.sweep.Signature = sig
			r.result.Tokens = append(r.result.Tokens, t.sweep)
		}
		r.result.Steps = append(r.result.Steps, sig)
		r.result.StepFees = append(r.result.StepFees, fees)
		if revokeStepHook != nil {
			revokeStepHook(step)
		}
	}
}

// fitsFinal reports whether every pending sweep fits the revoke's own transaction.
func (r *revokePlan) fitsFinal() (bool, error) {
	probe := *r
	probe.sweep, probe.result.Swept = true, 1 // the size does not depend on the amount
	ixs, err := probe.instructions()
	if err != nil {
		return false, err
	}
	return r.s.fits(ixs, &r.cfg)
}

// largestChunk is how many of the pending sweeps fit one transaction of their own.
func (r *revokePlan) largestChunk() (int, error) {
	cfg := wrapConfig{payer: r.cfg.payer, keys: r.cfg.keys}
	n := 0
	for n < len(r.tokens) {
		ixs, err := r.tokenInstructions(r.tokens[:n+1], false)
		if err != nil {
			return 0, err
		}
		ok, err := r.s.fits(ixs, &cfg)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: sweeping token account %s does not fit a transaction", ErrNoSweep, r.tokens[0].held.Address)
	}
	return n, nil
}
