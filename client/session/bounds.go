package session

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/grant"
	"github.com/sessionkit/sessionkit/client/guard"
	programidl "github.com/sessionkit/sessionkit/program-idl"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// ErrBound means a move was refused before signing because it would pass a stateful
// bound of the session's grant; the *BoundError names it.
var ErrBound = errors.New("session: move outside the session's grant")

// Bounds a BoundError names: the grant's permission types.
const (
	BoundMaxUses    = grant.TypeMaxUses
	BoundNative     = grant.TypeNativeTokenLimit
	BoundToken      = grant.TypeTokenLimit
	BoundRate       = grant.TypeRate
	BoundValidAfter = grant.TypeValidAfter
)

// BoundError is a move refused by a stateful bound of the session's grant. The
// per-transaction bounds (instructions, per-transaction spend, compute caps) are judged
// from the message alone and refused with a *guard.RefusedError instead.
//
//   - max-uses: Limit moves in all, Used signed so far (or forfeited by a crash),
//     Requested 1;
//   - native-token-limit, token-limit (Mint set): Limit the total, Used spent so far,
//     Requested what this move spends, in lamports or base units;
//   - rate: Limit moves per Interval, Used moves in the current interval, Requested 1;
//   - valid-after: Limit the grant's unix time, Used the cluster's unix time now.
//
// The grant's expiry is the token's valid_until (Create and Resume see to it), judged as
// every session's expiry is.
type BoundError struct {
	Bound                  string
	Mint                   solana.PublicKey
	Interval               time.Duration
	Limit, Used, Requested uint64
}

func (e *BoundError) Error() string {
	switch e.Bound {
	case BoundValidAfter:
		return fmt.Sprintf("session: move outside the session's grant: %s %d, cluster time %d", e.Bound, e.Limit, e.Used)
	case BoundRate:
		return fmt.Sprintf("session: move outside the session's grant: rate %d per %s, %d in the current interval", e.Limit, e.Interval, e.Used)
	case BoundToken:
		return fmt.Sprintf("session: move outside the session's grant: token-limit total of mint %s: %d used + %d requested > %d", e.Mint, e.Used, e.Requested, e.Limit)
	}
	return fmt.Sprintf("session: move outside the session's grant: %s: %d used + %d requested > %d", e.Bound, e.Used, e.Requested, e.Limit)
}

func (e *BoundError) Unwrap() error { return ErrBound }

// Block sizes of reservations: a session asks the store once per block, and a crash
// forfeits at most the unused rest of one block per counter.
const (
	usesBlock = 64
	// spendBlockDivisor: a spend counter reserves a sixteenth of its total at a time (at
	// least what the move needs).
	spendBlockDivisor = 16
)

// bounds are a session's grant and the counters of its stateful bounds.
type bounds struct {
	grant     *grant.Grant
	canonical []byte
	hash      [32]byte
	policy    guard.Policy
	// store keeps the counters across restarts; nil counts in this process alone.
	store tokenstore.Reserver
	token solana.PublicKey

	mu     sync.Mutex
	loaded bool
	// tallies: uses, lamports, then one per token limit, in the grant's (canonical) order.
	tallies []tally
	// recent is a ring of the last Rate.Count signing times, on the monotonic clock.
	recent []time.Time
	next   int
}

// tally is one counter: used is what moves signed so far (from this process's view:
// after a restart, all that was reserved before), reserved what the store has handed
// this process up to.
type tally struct {
	name      string
	bound     string
	mint      solana.PublicKey
	limit     uint64
	block     uint64
	used      uint64
	reserved  uint64
	simulated bool
}

// newBounds parses canonical (a stored or freshly made grant) for the session with
// signer and target; idl, when known, resolves the grant's instruction names.
func newBounds(canonical []byte, token, signer, target solana.PublicKey, store tokenstore.Reserver, idl *programidl.IDL) (*bounds, error) {
	g, err := grant.Parse(canonical)
	if err != nil {
		return nil, err
	}
	switch {
	case g.Signer != signer:
		return nil, fmt.Errorf("%w: the grant is for signer %s, the session's is %s", ErrMismatch, g.Signer, signer)
	case g.TargetProgram != target:
		return nil, fmt.Errorf("%w: the grant is for program %s, the session's is %s", ErrMismatch, g.TargetProgram, target)
	}
	policy, err := g.Policy(idl)
	if err != nil {
		return nil, err
	}
	c, err := g.Canonical()
	if err != nil {
		return nil, err
	}
	hash, err := g.Hash()
	if err != nil {
		return nil, err
	}
	b := &bounds{grant: g, canonical: c, hash: hash, policy: policy, store: store, token: token}
	total := func(l *grant.Limit) uint64 {
		if l.Total == nil {
			return math.MaxUint64
		}
		return uint64(*l.Total)
	}
	if g.MaxUses > 0 {
		b.tallies = append(b.tallies, tally{name: "uses", bound: BoundMaxUses, limit: g.MaxUses, block: usesBlock})
	}
	if g.Native != nil {
		t := total(g.Native)
		b.tallies = append(b.tallies, tally{name: "lamports", bound: BoundNative, limit: t, block: max(t/spendBlockDivisor, 1), simulated: g.Native.Simulate})
	}
	for i := range g.Tokens {
		t := total(&g.Tokens[i].Limit)
		b.tallies = append(b.tallies, tally{name: "token-" + strconv.Itoa(i), bound: BoundToken, mint: g.Tokens[i].Mint,
			limit: t, block: max(t/spendBlockDivisor, 1), simulated: g.Tokens[i].Simulate})
	}
	if g.Rate != nil {
		b.recent = make([]time.Time, g.Rate.Count)
	}
	return b, nil
}

// simulates reports whether a limit asks for spend by CPI to be counted.
func (b *bounds) simulates() bool {
	for i := range b.tallies {
		if b.tallies[i].simulated {
			return true
		}
	}
	return false
}

// request is what one move asks of tally i.
func (b *bounds) request(i int, spend *guard.Spend) uint64 {
	switch t := &b.tallies[i]; t.bound {
	case BoundMaxUses:
		return 1
	case BoundNative:
		return spend.Lamports
	default:
		for j := range b.grant.Tokens {
			if b.grant.Tokens[j].Mint == t.mint {
				return spend.Tokens[j]
			}
		}
	}
	return 0
}

// load starts the counters from the store: whatever an earlier process reserved counts
// as used, so that a crash mid-block forfeits the rest of the block and never signs it
// twice.
func (b *bounds) load(ctx context.Context) error {
	for i := range b.tallies {
		t := &b.tallies[i]
		if b.store == nil {
			t.reserved = math.MaxUint64
			continue
		}
		total, err := b.store.Reserve(ctx, b.token, t.name, 0)
		if err != nil {
			return b.storeError(err)
		}
		t.used, t.reserved = total, total
	}
	b.loaded = true
	return nil
}

func (b *bounds) storeError(err error) error {
	if errors.Is(err, tokenstore.ErrNotFound) {
		return fmt.Errorf("session: the store has no record of %s to reserve its grant's counters in; save the session (Pool.Put, a Persister) before its first move: %w", b.token, err)
	}
	return fmt.Errorf("session: reserving the grant's counters of %s: %w", b.token, err)
}

// admit counts one move of spend against the stateful bounds at cluster time now, or
// refuses it with a *BoundError and counts nothing. Reservations reach the store only
// when a block runs out.
func (b *bounds) admit(ctx context.Context, now int64, spend *guard.Spend) error {
	g := b.grant
	if g.ValidAfter != 0 && now < g.ValidAfter {
		return &BoundError{Bound: BoundValidAfter, Limit: uint64(g.ValidAfter), Used: uint64(max(now, 0))}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.loaded {
		if err := b.load(ctx); err != nil {
			return err
		}
	}
	mono := time.Now()
	if g.Rate != nil {
		if oldest := b.recent[b.next]; !oldest.IsZero() && mono.Sub(oldest) < g.Rate.Interval {
			in := uint64(0)
			for _, at := range b.recent {
				if !at.IsZero() && mono.Sub(at) < g.Rate.Interval {
					in++
				}
			}
			return &BoundError{Bound: BoundRate, Limit: g.Rate.Count, Interval: g.Rate.Interval, Used: in, Requested: 1}
		}
	}
	var reqs [2 + grant.MaxTokenLimits]uint64
	for i := range b.tallies {
		t := &b.tallies[i]
		reqs[i] = b.request(i, spend)
		if sum, carry := bits.Add64(t.used, reqs[i], 0); carry != 0 || sum > t.limit {
			return &BoundError{Bound: t.bound, Mint: t.mint, Limit: t.limit, Used: t.used, Requested: reqs[i]}
		}
	}
	for i := range b.tallies {
		if err := b.reserve(ctx, &b.tallies[i], reqs[i]); err != nil {
			return err
		}
	}
	for i := range b.tallies {
		b.tallies[i].used += reqs[i]
	}
	if g.Rate != nil {
		b.recent[b.next] = mono
		b.next = (b.next + 1) % len(b.recent)
	}
	return nil
}

// reserve makes sure t has req more reserved than used, asking the store for a block.
func (b *bounds) reserve(ctx context.Context, t *tally, req uint64) error {
	if t.used+req <= t.reserved {
		return nil
	}
	if t.reserved >= t.limit {
		return &BoundError{Bound: t.bound, Mint: t.mint, Limit: t.limit, Used: t.used, Requested: req}
	}
	n := min(max(t.used+req-t.reserved, t.block), t.limit-t.reserved)
	total, err := b.store.Reserve(ctx, b.token, t.name, n)
	if err != nil {
		return b.storeError(err)
	}
	if start := total - n; start > t.reserved {
		// Another holder of the key reserved meanwhile: our block starts where the store
		// says, and what lies between is theirs.
		t.used = start
	}
	t.reserved = total
	if t.used+req > t.limit || t.used+req > t.reserved {
		return &BoundError{Bound: t.bound, Mint: t.mint, Limit: t.limit, Used: t.used, Requested: req}
	}
	return nil
}

// GrantStatus is what a session's counters say of its grant.
type GrantStatus struct {
	// Grant is the parsed grant; Canonical its canonical bytes; Hash their SHA-256, the
	// hash the create transaction's memo carries.
	Grant     *grant.Grant
	Canonical []byte
	Hash      [32]byte
	// Used is what this process counts as used per bound, by tally name ("uses",
	// "lamports", "token-0", ...); after a restart it includes what earlier processes
	// reserved.
	Used map[string]uint64
}

// Grant returns the session's grant and its counters, or nil when the session has none.
func (s *Session) Grant() *GrantStatus {
	b := s.bounds
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st := &GrantStatus{Grant: b.grant, Canonical: b.canonical, Hash: b.hash, Used: map[string]uint64{}}
	for _, t := range b.tallies {
		st.Used[t.name] = t.used
	}
	return st
}
