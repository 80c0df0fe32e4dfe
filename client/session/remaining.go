package session

import (
	"context"
	"math"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Remaining is what a session can still spend and do, split by who enforces it.
//
//	line                                   enforced by
//	Chain.SOL          SOL top-up          the chain: the key holds no more lamports
//	Chain.Tokens       token top-up        the chain: the session's token account holds no more
//	Chain.Tokens       delegate allowance  the chain: the token program's delegated amount
//	Grant (max-uses)   moves left          sessionkit, before it signs
//	Grant (native-…)   lamports left       sessionkit, before it signs
//	Grant (token-…)    tokens left         sessionkit, before it signs
//
// The chain's lines hold whoever signs, even with a leaked key; the grant's stop the
// backend's own bugs and compromised game logic, not a thief of the key. The grant's
// per-move bounds (allowed instructions, per-transaction spend, rate, valid-after,
// compute caps) are not budgets and are judged move by move; its expiry is the token's.
type Remaining struct {
	Chain *Caps
	// Grant is one Budget per total of the session's grant, in the grant's order; nil
	// without a grant.
	Grant []Budget
}

// Budget is what remains of one total of a grant: Limit in all, Used so far, Left =
// Limit - Used. Used is what this process signed plus what the store says earlier
// processes reserved (their unused blocks are forfeited), and in GrantBudgets all that
// was reserved: Left is never more than what sessionkit will still sign.
type Budget struct {
	// Bound is grant.TypeMaxUses (moves), grant.TypeNativeTokenLimit (lamports) or
	// grant.TypeTokenLimit (base units of Mint).
	Bound             string
	Mint              solana.PublicKey
	Limit, Used, Left uint64
}

// Remaining reads the session's caps from the chain (Caps) and its grant's budgets
// from its counters (loaded from the Manager's store first when no move loaded them).
func (s *Session) Remaining(ctx context.Context) (*Remaining, error) {
	caps, err := s.Caps(ctx)
	if err != nil {
		return nil, err
	}
	out := &Remaining{Chain: caps}
	if s.bounds != nil {
		if out.Grant, err = s.bounds.budgets(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GrantBudgets is Remaining's Grant for a session this process does not hold, as
// inspect shows it: canonical is the grant (a store's AttachmentGrant) and r the store
// whose counters the session's backend reserves in. Reserved blocks count as used.
func GrantBudgets(ctx context.Context, r tokenstore.Reserver, token solana.PublicKey, canonical []byte) ([]Budget, error) {
	g, err := grant.Parse(canonical)
	if err != nil {
		return nil, err
	}
	// The budgets need no instruction discriminators, so no IDL.
	b, err := newBounds(canonical, token, g.Signer, g.TargetProgram, r, nil)
	if err != nil {
		return nil, err
	}
	return b.budgets(ctx)
}

// budgets are the totals of b's tallies; limits without a total have none.
func (b *bounds) budgets(ctx context.Context) ([]Budget, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.loaded {
		if err := b.load(ctx); err != nil {
			return nil, err
		}
	}
	out := []Budget{}
	for _, t := range b.tallies {
		if t.limit == math.MaxUint64 {
			continue
		}
		used := min(t.used, t.limit)
		out = append(out, Budget{Bound: t.bound, Mint: t.mint, Limit: t.limit, Used: used, Left: t.limit - used})
	}
	return out, nil
}
