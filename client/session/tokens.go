package session

import (
	"context"
	"fmt"
	"slices"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/spl"
)

// TokenMode is how a session is given a token cap.
type TokenMode uint8

const (
	// TokenTopUp moves the granted amount into the session signer's own associated token
	// account in the create transaction. The chain enforces the cap: the key can spend
	// what that account holds and nothing else of the mint, even if it leaks. Revoke,
	// signed by the session key alone, moves what is left back to the authority.
	TokenTopUp TokenMode = iota
	// TokenDelegate approves the session signer as delegate of the authority's token
	// account for the granted amount, so the tokens stay with the wallet until spent.
	// Its limits: a token account has one delegate, so a second session (or any other
	// Approve) on the same account replaces the first session's allowance; the cap is
	// what the allowance says and the chain checks it, but the tokens are the wallet's
	// own, so a wallet that moves them away leaves the session less. Revoke ends the
	// allowance with the session key alone (Token and Token-2022 let a delegate revoke
	// itself), as long as the Session knows of it: Snapshot.Tokens carries it through a
	// Persister (StorePersister keeps it as an authenticated attachment); a session
	// rebuilt without it leaves its allowance until spent, replaced, or revoked by the
	// wallet.
	TokenDelegate
)

func (m TokenMode) String() string {
	switch m {
	case TokenTopUp:
		return "top-up"
	case TokenDelegate:
		return "delegate"
	}
	return fmt.Sprintf("TokenMode(%d)", uint8(m))
}

// TokenGrant is one SPL token cap of a session to create: Amount base units of Mint (a
// Token or Token-2022 mint; the program and the decimals are read from the mint account).
type TokenGrant struct {
	Mint   solana.PublicKey
	Amount uint64
	Mode   TokenMode
}

// TokenCap is one token cap of a session: what was granted and, from Session.Caps, what
// remains on chain.
type TokenCap struct {
	Mint     solana.PublicKey
	Program  solana.PublicKey // spl.TokenProgramID or spl.Token2022ProgramID
	Mode     TokenMode
	Decimals uint8
	// Account holds the cap: the session signer's associated token account for a
	// top-up, the authority's for a delegate allowance.
	Account solana.PublicKey
	// Granted is what the wallet sent or approved; zero when unknown (a restored
	// session's top-up, found on chain).
	Granted uint64
	// Arrived is what a top-up put in the session's account: Granted less a Token-2022
	// transfer fee, as computed when the create was planned.
	Arrived uint64
	// Remaining is what the key can still spend: the session account's balance for a
	// top-up; for an allowance, the delegated amount while the session signer is still
	// the delegate (zero once replaced), no more than the authority's balance.
	Remaining uint64
}

// Caps is what remains of a session's caps, read from the chain at Slot or later.
type Caps struct {
	Slot uint64
	// SOL is the session signer's lamports: its SOL cap.
	SOL    uint64
	Tokens []TokenCap
}

// InsufficientTokensError means the authority's token account holds less than a
// top-up grants (or does not exist).
type InsufficientTokensError struct {
	Mint       solana.PublicKey
	Account    solana.PublicKey
	Have, Want uint64
}

func (e *InsufficientTokensError) Error() string {
	return fmt.Sprintf("session: authority's token account %s holds %d of mint %s, the grant needs %d", e.Account, e.Have, e.Mint, e.Want)
}

// Unwrap makes the error match ErrBadParams.
func (e *InsufficientTokensError) Unwrap() error { return ErrBadParams }

// TokenGrants is what the session was granted at create, in grant order; a session
// resumed from a Snapshot has them when the snapshot carried them (Snapshot.Tokens).
func (s *Session) TokenGrants() []TokenCap { return slices.Clone(s.tokens) }

// Caps reads what remains of the session's SOL and token caps at a slot no older than
// its last transaction: SignerCaps, plus the delegate allowances granted at create.
func (s *Session) Caps(ctx context.Context) (*Caps, error) {
	if s.mgr == nil {
		return nil, fmt.Errorf("%w: session %s has no Manager to read with", ErrBadParams, s.token)
	}
	return s.mgr.capsWith(ctx, s.signer, s.lastSlot.Load(), s.tokens)
}

// GrantedCaps is SignerCaps for a session this process does not hold, given the caps it
// was granted at create (StoredTokenCaps): the granted amounts filled in, and the
// delegate allowances among them added, as Session.Caps reads them.
func (m *Manager) GrantedCaps(ctx context.Context, signer solana.PublicKey, granted []TokenCap) (*Caps, error) {
	return m.capsWith(ctx, signer, 0, granted)
}

func (m *Manager) capsWith(ctx context.Context, signer solana.PublicKey, minSlot uint64, granted []TokenCap) (*Caps, error) {
	out, err := m.signerCaps(ctx, signer, minSlot)
	if err != nil {
		return nil, err
	}
	for i, c := range out.Tokens {
		if j := slices.IndexFunc(granted, func(g TokenCap) bool { return g.Account == c.Account }); j >= 0 {
			out.Tokens[i].Decimals, out.Tokens[i].Granted, out.Tokens[i].Arrived = granted[j].Decimals, granted[j].Granted, granted[j].Arrived
		}
	}
	var delegated []TokenCap
	for _, g := range granted {
		if g.Mode == TokenDelegate {
			delegated = append(delegated, g)
		}
	}
	if len(delegated) == 0 {
		return out, nil
	}
	addrs := make([]solana.PublicKey, len(delegated))
	for i, g := range delegated {
		addrs[i] = g.Account
	}
	accts, err := m.tokenAccounts(ctx, addrs, minSlot)
	if err != nil {
		return nil, err
	}
	for i, g := range delegated {
		g.Remaining = 0
		if a := accts[i]; a != nil && a.Delegate == signer {
			g.Remaining = min(a.DelegatedAmount, a.Amount)
		}
		out.Tokens = append(out.Tokens, g)
	}
	return out, nil
}

// SignerCaps reads what a session signer can still spend on its own: its lamports and
// its Token and Token-2022 accounts (the top-ups; Granted is unknown here). Delegate
// allowances are not found from the signer (no RPC method lists them); Session.Caps
// adds those a session was granted.
func (m *Manager) SignerCaps(ctx context.Context, signer solana.PublicKey) (*Caps, error) {
	return m.signerCaps(ctx, signer, 0)
}

func (m *Manager) signerCaps(ctx context.Context, signer solana.PublicKey, minSlot uint64) (*Caps, error) {
	sol, err := m.balanceAt(ctx, signer, minSlot)
	if err != nil {
		return nil, err
	}
	held, slot, err := m.heldTokens(ctx, signer, minSlot)
	if err != nil {
		return nil, err
	}
	out := &Caps{Slot: slot, SOL: sol}
	for _, h := range held {
		out.Tokens = append(out.Tokens, TokenCap{Mint: h.Mint, Program: h.Program, Mode: TokenTopUp, Account: h.Address, Remaining: h.Amount})
	}
	return out, nil
}

// heldToken is a token account the session signer owns.
type heldToken struct {
	spl.TokenAccount
	Address  solana.PublicKey
	Program  solana.PublicKey
	Lamports uint64
}

// heldTokens lists owner's token accounts under Token and Token-2022 from a node that has
// seen minSlot, ordered by address; the slot is the older of the two reads'.
func (m *Manager) heldTokens(ctx context.Context, owner solana.PublicKey, minSlot uint64) ([]heldToken, uint64, error) {
	var out []heldToken
	slot := ^uint64(0)
	for _, program := range []solana.PublicKey{spl.TokenProgramID, spl.Token2022ProgramID} {
		cfg := map[string]any{"commitment": m.commitment, "encoding": "base64"}
		if minSlot > 0 {
			cfg["minContextSlot"] = minSlot
		}
		var res struct {
			Context struct{ Slot uint64 } `json:"context"`
			Value   []struct {
				Pubkey  solana.PublicKey `json:"pubkey"`
				Account struct {
					Lamports uint64           `json:"lamports"`
					Owner    solana.PublicKey `json:"owner"`
					Data     rpc.DataBytesOrJSON
				} `json:"account"`
			} `json:"value"`
		}
		err := m.rpc.RPCCallForInto(ctx, &res, "getTokenAccountsByOwner",
			[]any{owner.String(), map[string]any{"programId": program.String()}, cfg})
		if err != nil {
			return nil, 0, fmt.Errorf("session: reading the token accounts of %s at slot %d or later: %w", owner, minSlot, err)
		}
		if res.Context.Slot < minSlot {
			return nil, 0, fmt.Errorf("session: the token accounts of %s came from slot %d, older than %d", owner, res.Context.Slot, minSlot)
		}
		slot = min(slot, res.Context.Slot)
		for _, v := range res.Value {
			a, err := spl.DecodeTokenAccount(v.Account.Data.GetBinary())
			if err != nil {
				return nil, 0, fmt.Errorf("session: token account %s: %w", v.Pubkey, err)
			}
			if a.Owner != owner || v.Account.Owner != program {
				return nil, 0, fmt.Errorf("session: the node listed token account %s, not %s's under %s", v.Pubkey, owner, program)
			}
			out = append(out, heldToken{TokenAccount: *a, Address: v.Pubkey, Program: program, Lamports: v.Account.Lamports})
		}
	}
	slices.SortFunc(out, func(a, b heldToken) int { return slices.Compare(a.Address[:], b.Address[:]) })
	return out, slot, nil
}

// rawAccounts reads addrs with getMultipleAccounts from a node that has seen minSlot; a
// missing account is nil.
func (m *Manager) rawAccounts(ctx context.Context, addrs []solana.PublicKey, minSlot uint64) ([]*rpc.Account, error) {
	var out []*rpc.Account
	for chunk := range slices.Chunk(addrs, 100) {
		opts := &rpc.GetMultipleAccountsOpts{Commitment: m.commitment, Encoding: solana.EncodingBase64}
		if minSlot > 0 {
			opts.MinContextSlot = &minSlot
		}
		res, err := m.rpc.GetMultipleAccountsWithOpts(ctx, chunk, opts)
		if err != nil {
			return nil, fmt.Errorf("session: reading %d accounts: %w", len(chunk), err)
		}
		if len(res.Value) != len(chunk) {
			return nil, fmt.Errorf("session: asked for %d accounts, the node answered %d", len(chunk), len(res.Value))
		}
		out = append(out, res.Value...)
	}
	return out, nil
}

// tokenAccounts decodes the token accounts at addrs; a missing one is nil.
func (m *Manager) tokenAccounts(ctx context.Context, addrs []solana.PublicKey, minSlot uint64) ([]*spl.TokenAccount, error) {
	raw, err := m.rawAccounts(ctx, addrs, minSlot)
	if err != nil {
		return nil, err
	}
	out := make([]*spl.TokenAccount, len(raw))
	for i, r := range raw {
		if r == nil {
			continue
		}
		if !spl.IsTokenProgram(r.Owner) {
			return nil, fmt.Errorf("session: %s is owned by %s, not a token program", addrs[i], r.Owner)
		}
		if out[i], err = spl.DecodeTokenAccount(r.Data.GetBinary()); err != nil {
			return nil, fmt.Errorf("session: token account %s: %w", addrs[i], err)
		}
	}
	return out, nil
}

// mintInfo is a mint with the program that owns it.
type mintInfo struct {
	spl.Mint
	Program solana.PublicKey
}

// mints reads and decodes mints; every one must exist under a token program.
func (m *Manager) mints(ctx context.Context, addrs []solana.PublicKey) ([]mintInfo, error) {
	raw, err := m.rawAccounts(ctx, addrs, 0)
	if err != nil {
		return nil, err
	}
	out := make([]mintInfo, len(raw))
	for i, r := range raw {
		switch {
		case r == nil:
			return nil, fmt.Errorf("%w: mint %s does not exist", ErrBadParams, addrs[i])
		case !spl.IsTokenProgram(r.Owner):
			return nil, fmt.Errorf("%w: mint %s is owned by %s, not Token or Token-2022", ErrBadParams, addrs[i], r.Owner)
		}
		mint, err := spl.DecodeMint(r.Data.GetBinary())
		if err != nil {
			return nil, fmt.Errorf("%w: mint %s: %w", ErrBadParams, addrs[i], err)
		}
		if !mint.Initialized {
			return nil, fmt.Errorf("%w: mint %s is not initialised", ErrBadParams, addrs[i])
		}
		out[i] = mintInfo{Mint: *mint, Program: r.Owner}
	}
	return out, nil
}

// epoch is the cluster's current epoch, which picks a Token-2022 transfer fee.
func (m *Manager) epoch(ctx context.Context) (uint64, error) {
	info, err := m.rpc.GetEpochInfo(ctx, m.commitment)
	if err != nil {
		return 0, fmt.Errorf("session: reading the epoch: %w", err)
	}
	return info.Epoch, nil
}

// planTokens builds the create transaction's token instructions: for a top-up, the
// session signer's associated token account (created idempotently, payer paying its
// rent) and a checked transfer into it from the authority's; for an allowance, a checked
// approve on the authority's account. It returns the caps as granted.
func (m *Manager) planTokens(ctx context.Context, authority, payer, signer solana.PublicKey, grants []TokenGrant) ([]solana.Instruction, []TokenCap, error) {
	if len(grants) == 0 {
		return nil, nil, nil
	}
	addrs := make([]solana.PublicKey, len(grants))
	for i, g := range grants {
		switch {
		case g.Mint.IsZero():
			return nil, nil, fmt.Errorf("%w: token grant %d has no Mint", ErrBadParams, i)
		case g.Amount == 0:
			return nil, nil, fmt.Errorf("%w: token grant %d (mint %s) has no Amount", ErrBadParams, i, g.Mint)
		case g.Mode > TokenDelegate:
			return nil, nil, fmt.Errorf("%w: token grant %d (mint %s) has unknown mode %d", ErrBadParams, i, g.Mint, g.Mode)
		case slices.Contains(addrs[:i], g.Mint):
			return nil, nil, fmt.Errorf("%w: mint %s granted twice", ErrBadParams, g.Mint)
		}
		addrs[i] = g.Mint
	}
	mints, err := m.mints(ctx, addrs)
	if err != nil {
		return nil, nil, err
	}
	var epoch uint64
	if slices.ContainsFunc(mints, func(mi mintInfo) bool { return mi.TransferFee != nil }) {
		if epoch, err = m.epoch(ctx); err != nil {
			return nil, nil, err
		}
	}
	sources := make([]solana.PublicKey, len(grants))
	for i, mi := range mints {
		if sources[i], err = spl.AssociatedTokenAddress(authority, grants[i].Mint, mi.Program); err != nil {
			return nil, nil, err
		}
	}
	have, err := m.tokenAccounts(ctx, sources, 0)
	if err != nil {
		return nil, nil, err
	}
	var ixs []solana.Instruction
	caps := make([]TokenCap, len(grants))
	for i, g := range grants {
		mi := mints[i]
		c := TokenCap{Mint: g.Mint, Program: mi.Program, Mode: g.Mode, Decimals: mi.Decimals, Granted: g.Amount}
		if g.Mode == TokenTopUp && (have[i] == nil || have[i].Amount < g.Amount) {
			e := &InsufficientTokensError{Mint: g.Mint, Account: sources[i], Want: g.Amount}
			if have[i] != nil {
				e.Have = have[i].Amount
			}
			return nil, nil, e
		}
		if have[i] == nil {
			return nil, nil, fmt.Errorf("%w: authority's token account %s of mint %s does not exist", ErrBadParams, sources[i], g.Mint)
		}
		switch g.Mode {
		case TokenTopUp:
			dest, err := spl.AssociatedTokenAddress(signer, g.Mint, mi.Program)
			if err != nil {
				return nil, nil, err
			}
			create, err := spl.CreateIdempotent(payer, signer, g.Mint, mi.Program)
			if err != nil {
				return nil, nil, err
			}
			move, err := spl.TransferChecked(mi.Program, sources[i], g.Mint, dest, authority, g.Amount, mi.Decimals)
			if err != nil {
				return nil, nil, err
			}
			ixs = append(ixs, create, move)
			c.Account, c.Arrived, c.Remaining = dest, mi.Received(epoch, g.Amount), mi.Received(epoch, g.Amount)
		case TokenDelegate:
			approve, err := spl.ApproveChecked(mi.Program, sources[i], g.Mint, signer, authority, g.Amount, mi.Decimals)
			if err != nil {
				return nil, nil, err
			}
			ixs = append(ixs, approve)
			c.Account, c.Remaining = sources[i], g.Amount
		}
		caps[i] = c
	}
	return ixs, caps, nil
}

// maxWireSize is the largest transaction the cluster accepts.
const maxWireSize = 1232

// fits reports whether ixs, signed as cfg says, fit one transaction.
func (s *Session) fits(ixs []solana.Instruction, cfg *wrapConfig) (bool, error) {
	wire, err := s.build(solana.Hash{}, ixs, cfg)
	if err != nil {
		return false, err
	}
	return len(wire) <= maxWireSize, nil
}

// checkSize refuses a wire transaction the cluster would not take.
func checkSize(wire []byte, what string) error {
	if len(wire) > maxWireSize {
		return fmt.Errorf("%w: %s is %d bytes, more than %d; grant fewer tokens", ErrBadParams, what, len(wire), maxWireSize)
	}
	return nil
}

// holdings is what the session signer still holds, read at a slot no older than its last
// write: its lamports plus the lamports of its token accounts (each holds at least its
// rent, so any token account, empty or not, counts). Zero means the key guards nothing and
// may be deleted.
func (m *Manager) holdings(ctx context.Context, s *Session) (uint64, error) {
	bal, err := m.balanceAt(ctx, s.signer, s.lastSlot.Load())
	if err != nil {
		return 0, err
	}
	held, _, err := m.heldTokens(ctx, s.signer, s.lastSlot.Load())
	if err != nil {
		return 0, err
	}
	for _, h := range held {
		bal += max(h.Lamports, 1)
	}
	return bal, nil
}
