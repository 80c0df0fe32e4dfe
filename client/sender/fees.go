package sender

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/guard"
)

// Fee arithmetic of the runtime (agave's fee structure).
const (
	// LamportsPerSignature is the base fee of each signature a transaction carries,
	// fixed on every public cluster.
	LamportsPerSignature = 5_000
	// MaxUnitLimit is the runtime's ceiling on a transaction's compute units; a larger
	// SetComputeUnitLimit is clamped to it, and so is the priority fee it prices.
	MaxUnitLimit = 1_400_000
	// defaultUnitsPerIx is the limit the runtime assumes per instruction (other than a
	// Compute Budget one) when a message sets none.
	defaultUnitsPerIx       = 200_000
	microLamportsPerLamport = 1_000_000
)

// precompiles verify signatures listed in their instruction data (the first byte
// counts them), and the runtime charges each like a transaction signature.
var precompiles = [...]solana.PublicKey{
	solana.MustPublicKeyFromBase58("Ed25519SigVerify111111111111111111111111111"),
	solana.MustPublicKeyFromBase58("KeccakSecp256k11111111111111111111111111111"),
	solana.MustPublicKeyFromBase58("Secp256r1SigVerify1111111111111111111111111"),
}

// Fees is what a transaction costs, all of it paid by its fee payer: nobody else in
// a transaction pays a fee.
type Fees struct {
	// Payer is the fee payer, the message's first account.
	Payer solana.PublicKey
	// Signatures counts the transaction's signatures and those its precompile
	// instructions verify.
	Signatures uint64
	// Base is Signatures × LamportsPerSignature.
	Base uint64
	// UnitPrice is the SetComputeUnitPrice in micro-lamports per unit, zero if none.
	UnitPrice uint64
	// UnitLimit is the compute-unit limit the runtime prices: the message's
	// SetComputeUnitLimit clamped to MaxUnitLimit, or the default per instruction.
	UnitLimit uint32
	// Priority is UnitPrice × UnitLimit micro-lamports, rounded up to a lamport.
	Priority uint64
}

// Total is the lamports the payer is charged.
func (f Fees) Total() uint64 { return f.Base + f.Priority }

// TransactionFees computes the fees of a transaction in wire form (signatures, then a
// legacy or v0 message) exactly as the runtime charges them, from the message alone.
func TransactionFees(wire []byte) (Fees, error) {
	r := msgReader{b: wire}
	nSigs, ok := r.compact()
	if !ok || !r.skip(64*nSigs) {
		return Fees{}, fmt.Errorf("%w: truncated signatures", ErrInvalidTransaction)
	}
	return MessageFees(wire[r.off:])
}

// MessageFees is TransactionFees for a message without its signatures.
func MessageFees(msg []byte) (Fees, error) {
	bad := func(what string) (Fees, error) {
		return Fees{}, fmt.Errorf("%w: fees: %s", ErrInvalidTransaction, what)
	}
	r := msgReader{b: msg}
	if len(msg) > 0 && msg[0]&0x80 != 0 {
		if msg[0] != 0x80 {
			return bad(fmt.Sprintf("message version %d", msg[0]&0x7f))
		}
		r.off++
	}
	hdr, ok := r.bytes(3)
	if !ok {
		return bad("truncated header")
	}
	nKeys, ok := r.compact()
	if !ok || nKeys == 0 {
		return bad("no account keys")
	}
	keysAt := r.off
	if !r.skip(32*nKeys) || !r.skip(32) {
		return bad("truncated keys or blockhash")
	}
	f := Fees{Payer: solana.PublicKey(msg[keysAt : keysAt+32]), Signatures: uint64(hdr[0])}
	nIxs, ok := r.compact()
	if !ok {
		return bad("truncated instructions")
	}
	var limit uint64
	hasLimit, others := false, uint64(0)
	for ix := range nIxs {
		prog, ok := r.byte()
		if !ok || int(prog) >= nKeys {
			return bad(fmt.Sprintf("instruction %d: program index", ix))
		}
		nAccts, ok := r.compact()
		if !ok || !r.skip(nAccts) {
			return bad(fmt.Sprintf("instruction %d: accounts", ix))
		}
		nData, ok := r.compact()
		if !ok {
			return bad(fmt.Sprintf("instruction %d: data length", ix))
		}
		data, ok := r.bytes(nData)
		if !ok {
			return bad(fmt.Sprintf("instruction %d: data", ix))
		}
		program := solana.PublicKey(msg[keysAt+32*int(prog) : keysAt+32*int(prog)+32])
		if program != solana.ComputeBudget {
			others++
			for _, p := range precompiles {
				if p == program && len(data) > 0 {
					f.Signatures += uint64(data[0])
				}
			}
			continue
		}
		switch {
		case len(data) == 5 && data[0] == 2: // SetComputeUnitLimit
			limit, hasLimit = uint64(min(binary.LittleEndian.Uint32(data[1:]), MaxUnitLimit)), true
		case len(data) == 9 && data[0] == 3: // SetComputeUnitPrice
			f.UnitPrice = binary.LittleEndian.Uint64(data[1:])
		}
	}
	if !hasLimit {
		limit = min(others*defaultUnitsPerIx, MaxUnitLimit)
	}
	f.UnitLimit = uint32(limit)
	f.Base = f.Signatures * LamportsPerSignature
	f.Priority = priorityFee(f.UnitPrice, limit)
	return f, nil
}

// priorityFee is price × limit micro-lamports in lamports, rounded up, saturating.
func priorityFee(price, limit uint64) uint64 {
	hi, lo := bits.Mul64(price, limit)
	if hi >= microLamportsPerLamport {
		return math.MaxUint64
	}
	q, rem := bits.Div64(hi, lo, microLamportsPerLamport)
	if rem > 0 {
		q++
	}
	return q
}

// msgReader walks a message without allocating.
type msgReader struct {
	b   []byte
	off int
}

func (r *msgReader) byte() (byte, bool) {
	b, ok := r.bytes(1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

func (r *msgReader) bytes(n int) ([]byte, bool) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, false
	}
	r.off += n
	return r.b[r.off-n : r.off], true
}

func (r *msgReader) skip(n int) bool { _, ok := r.bytes(n); return ok }

// compact reads a short_vec length (at most three bytes).
func (r *msgReader) compact() (int, bool) {
	n := 0
	for i := range 3 {
		c, ok := r.byte()
		if !ok {
			return 0, false
		}
		n |= int(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return n, true
		}
	}
	return 0, false
}

// FeePolicy says how a FeeEstimator prices compute units. Zero fields take the
// defaults shown.
type FeePolicy struct {
	// Percentile of the recent per-slot fees (getRecentPrioritizationFees for the
	// transaction's writable accounts) that becomes the price, 1 to 100. Default 75.
	Percentile int
	// Floor and Ceiling bound the price, in micro-lamports per compute unit. Ceiling
	// defaults to guard.DefaultMaxUnitPrice, the most a session key signs by default;
	// a session's build clamps to its own guard's cap in any case.
	Floor, Ceiling uint64
	// MaxLamports caps the priority fee of one transaction (price × its unit limit),
	// in lamports; zero means only Ceiling bounds it.
	MaxLamports uint64
	// RaisePercent raises the price on each re-signing of an action whose earlier
	// transaction did not land (expired or refused), compounding, within the caps.
	// Default 50; a raise is at least one micro-lamport per unit.
	RaisePercent uint64
	// Refresh is the age at which a cached estimate is fetched again in the background
	// while the old one is still used. Default 2s (five slots).
	Refresh time.Duration
	// MaxAge is the age past which a cached estimate is not used: the next price waits
	// for a fresh fetch. Default 30s.
	MaxAge time.Duration
}

func (p FeePolicy) withDefaults() (FeePolicy, error) {
	if p.Percentile == 0 {
		p.Percentile = 75
	}
	if p.Ceiling == 0 {
		p.Ceiling = guard.DefaultMaxUnitPrice
	}
	if p.RaisePercent == 0 {
		p.RaisePercent = 50
	}
	if p.Refresh <= 0 {
		p.Refresh = 2 * time.Second
	}
	if p.MaxAge <= 0 {
		p.MaxAge = 30 * time.Second
	}
	switch {
	case p.Percentile < 1 || p.Percentile > 100:
		return p, fmt.Errorf("sender: fee percentile %d is not in 1..100", p.Percentile)
	case p.Floor > p.Ceiling:
		return p, fmt.Errorf("sender: fee floor %d is above the ceiling %d micro-lamports per unit", p.Floor, p.Ceiling)
	case p.MaxAge < p.Refresh:
		return p, fmt.Errorf("sender: fee estimate max age %s is below its refresh age %s", p.MaxAge, p.Refresh)
	}
	return p, nil
}

// maxFeeEntries bounds the estimates kept, one per set of writable accounts; past it the
// cache starts afresh rather than grow with every account a backend ever touched.
const maxFeeEntries = 4096

// FeeEstimator prices compute units from the cluster's recent prioritization fees. It
// keeps one estimate per set of writable accounts, refreshed in the background when
// used past FeePolicy.Refresh, and is shared by every Sender given it
// (WithFeeEstimator); it is safe for concurrent use.
type FeeEstimator struct {
	call   *caller
	policy FeePolicy
	log    *slog.Logger
	seed   maphash.Seed

	mu      sync.RWMutex
	entries map[uint64]*feeEntry

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// feeEntry is the estimate of one set of writable accounts.
type feeEntry struct {
	accounts   []solana.PublicKey
	price      atomic.Uint64 // micro-lamports per unit, before Floor and Ceiling
	fetched    atomic.Int64  // unix nanoseconds
	refreshing atomic.Bool
}

// FeeEstimatorOption configures a FeeEstimator.
type FeeEstimatorOption func(*caller)

// WithFeeLogger sets the logger that receives failed fee reads. Default: discard.
func WithFeeLogger(l *slog.Logger) FeeEstimatorOption { return func(c *caller) { c.log = l } }

// WithFeeRetryPolicy sets the retry policy of each fee read. Default: RetryPolicy's.
func WithFeeRetryPolicy(p RetryPolicy) FeeEstimatorOption {
	return func(c *caller) { c.retry = p.withDefaults() }
}

// NewFeeEstimator returns an estimator with policy p that reads fees through client,
// to share among Senders (WithFeeEstimator). Close it when done.
func NewFeeEstimator(client *rpc.Client, p FeePolicy, opts ...FeeEstimatorOption) (*FeeEstimator, error) {
	if client == nil {
		return nil, errors.New("sender: nil rpc client for the fee estimator")
	}
	c := &caller{client: client, retry: defaultRetry, timeout: defaultRequestTimeout, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(c)
	}
	if c.log == nil {
		return nil, errors.New("sender: nil fee estimator logger")
	}
	return newFeeEstimator(c, c.log, p)
}

func newFeeEstimator(call *caller, log *slog.Logger, p FeePolicy) (*FeeEstimator, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &FeeEstimator{call: call, policy: p, log: log, seed: maphash.MakeSeed(),
		entries: make(map[uint64]*feeEntry)}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// Policy is the estimator's policy with its defaults filled in.
func (e *FeeEstimator) Policy() FeePolicy { return e.policy }

// Close stops background refreshes.
func (e *FeeEstimator) Close() {
	e.cancel()
	e.wg.Wait()
}

// PriceParams describe the transaction a price is for.
type PriceParams struct {
	// Writable are the accounts the transaction locks for writing, whose recent fees
	// say what it competes with. Order and repeats do not matter.
	Writable []solana.PublicKey
	// UnitLimit is the transaction's compute-unit limit, which MaxLamports divides;
	// zero means MaxUnitLimit.
	UnitLimit uint32
	// Signing is the 1-based number of the transaction within its action: each one
	// after the first is raised by RaisePercent over the one before.
	Signing int
}

// Price returns the compute-unit price, in micro-lamports, for a transaction described
// by p. From a cached estimate it costs no RPC call; the first price for a set of
// accounts, or one past MaxAge, waits for getRecentPrioritizationFees. When that read
// fails, the last estimate (or zero) stands: a price is never a reason not to send.
func (e *FeeEstimator) Price(ctx context.Context, p PriceParams) uint64 {
	key := e.key(p.Writable)
	e.mu.RLock()
	en := e.entries[key]
	e.mu.RUnlock()
	now := time.Now().UnixNano()
	switch {
	case en == nil:
		en = e.add(key, p.Writable)
		e.refresh(ctx, en)
	case time.Duration(now-en.fetched.Load()) > e.policy.MaxAge:
		e.refresh(ctx, en)
	case time.Duration(now-en.fetched.Load()) > e.policy.Refresh && en.refreshing.CompareAndSwap(false, true):
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer en.refreshing.Store(false)
			e.refresh(e.ctx, en)
		}()
	}
	return e.clamp(en.price.Load(), p.UnitLimit, p.Signing)
}

// key hashes a set of accounts so that order and repeats do not matter: the sum of
// each distinct account's hash. Two sets that collide share an estimate, which costs
// at most a price within the same caps.
func (e *FeeEstimator) key(accounts []solana.PublicKey) uint64 {
	var k uint64
	for i := range accounts {
		if slices.Contains(accounts[:i], accounts[i]) {
			continue
		}
		k += maphash.Bytes(e.seed, accounts[i][:])
	}
	return k
}

func (e *FeeEstimator) add(key uint64, accounts []solana.PublicKey) *feeEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	if en := e.entries[key]; en != nil {
		return en
	}
	if len(e.entries) >= maxFeeEntries {
		clear(e.entries)
	}
	en := &feeEntry{accounts: slices.Clone(accounts)}
	e.entries[key] = en
	return en
}

type prioritizationFee struct {
	Slot              uint64 `json:"slot"`
	PrioritizationFee uint64 `json:"prioritizationFee"`
}

// refresh reads the recent fees for en's accounts and stores their percentile.
func (e *FeeEstimator) refresh(ctx context.Context, en *feeEntry) {
	var fees []prioritizationFee
	if err := e.call.call(ctx, "getRecentPrioritizationFees", []any{en.accounts}, &fees); err != nil {
		e.log.Warn("sender: reading recent prioritization fees failed; keeping the last estimate", "err", err)
		return
	}
	en.price.Store(percentile(fees, e.policy.Percentile))
	en.fetched.Store(time.Now().UnixNano())
}

// percentile is the nearest-rank percentile of the per-slot fees, zero for none.
func percentile(fees []prioritizationFee, pct int) uint64 {
	if len(fees) == 0 {
		return 0
	}
	v := make([]uint64, len(fees))
	for i, f := range fees {
		v[i] = f.PrioritizationFee
	}
	slices.Sort(v)
	rank := (pct*len(v) + 99) / 100 // ceil(pct/100 × n), 1-based
	return v[max(rank, 1)-1]
}

// clamp raises price for the signing and bounds it by the policy's caps: Floor and
// Ceiling per unit, then MaxLamports for the whole transaction, which wins over Floor.
func (e *FeeEstimator) clamp(price uint64, limit uint32, signing int) uint64 {
	p := e.policy
	price = max(price, p.Floor)
	for i := 1; i < signing && price < p.Ceiling; i++ {
		raised := price + price/100*p.RaisePercent + price%100*p.RaisePercent/100
		price = max(raised, price+1)
	}
	price = min(price, p.Ceiling)
	if p.MaxLamports > 0 {
		if limit == 0 || limit > MaxUnitLimit {
			limit = MaxUnitLimit
		}
		// The largest price whose fee, rounded up, stays within MaxLamports.
		hi, lo := bits.Mul64(p.MaxLamports, microLamportsPerLamport)
		if hi == 0 {
			price = min(price, lo/uint64(limit))
		}
	}
	return price
}

// PricedBuildFunc is a BuildFunc that also sets the compute-unit price it is given, in
// micro-lamports per unit, with a SetComputeUnitPrice instruction of its own (the price
// is zero when the estimate and floor are).
type PricedBuildFunc func(blockhash solana.Hash, unitPrice uint64) ([]byte, error)

// WithFeeEstimator makes SendPriced price transactions with e, which the Sender does
// not close. Without it (or WithPriorityFees), SendPriced builds every transaction at
// price zero.
func WithFeeEstimator(e *FeeEstimator) Option { return func(o *config) { o.fees = e } }

// WithPriorityFees gives the Sender an estimator of its own with policy p, reading
// through the Sender's client, closed with the Sender (ignored with WithFeeEstimator).
func WithPriorityFees(p FeePolicy) Option {
	return func(o *config) { o.feePolicy = &p }
}

// FeeEstimator is the estimator given with WithFeeEstimator, or nil.
func (s *Sender) FeeEstimator() *FeeEstimator { return s.cfg.fees }

// SendPriced is Send for a build that sets its own compute-unit price: each
// transaction of the action is built with the estimator's price for p, and each one
// signed after a transaction that did not land (Send re-signs only when the earlier
// one provably cannot) with a raised price, within the policy's caps. A build asked
// again for a blockhash it already had gets the same price, so it can return the same
// transaction.
func (s *Sender) SendPriced(ctx context.Context, p PriceParams, build PricedBuildFunc) (*Result, error) {
	if build == nil {
		return nil, fmt.Errorf("%w: nil build function", ErrInvalidTransaction)
	}
	var last solana.Hash
	var price uint64
	p.Signing = 0
	return s.Send(ctx, func(blockhash solana.Hash) ([]byte, error) {
		if p.Signing == 0 || blockhash != last {
			p.Signing++
			last = blockhash
			if s.cfg.fees != nil {
				price = s.cfg.fees.Price(ctx, p)
			}
		}
		return build(blockhash, price)
	})
}

// feeBook remembers the fees of each transaction an action signed, so that the
// Result can report the landed one's.
type feeBook struct {
	build BuildFunc
	sigs  []solana.Signature
	fees  []Fees
}

func (b *feeBook) record(wire []byte) {
	f, err := TransactionFees(wire)
	if err != nil || len(wire) < 65 {
		return // the sender refuses such bytes itself, with a clearer error
	}
	b.sigs = append(b.sigs, solana.Signature(wire[1:65]))
	b.fees = append(b.fees, f)
}

func (b *feeBook) built(blockhash solana.Hash) ([]byte, error) {
	wire, err := b.build(blockhash)
	if err == nil {
		b.record(wire)
	}
	return wire, err
}

// settle fills res.Fees from the transaction that landed.
func (b *feeBook) settle(res *Result) {
	if res == nil {
		return
	}
	if i := slices.Index(b.sigs, res.Signature); i >= 0 {
		res.Fees = b.fees[i]
	}
}
