// Package sender sends Solana transactions and confirms them exactly once: blockhash
// caching, retries, WebSocket or polled confirmation, and safe re-signing on expiry.
package sender

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// BuildFunc returns a newly signed transaction whose recent blockhash is blockhash, in
// wire form: the signature count, the signatures (the first one, the fee payer's, is the
// transaction's id) and the message, legacy or v0. txn.LegacyMessage.Sign returns that
// form; a *solana.Transaction gives it with MarshalBinary. Send calls it once per signed
// transaction and does not keep the slice. A build through solana.NewTransaction must
// make fresh instructions every time: it writes into the AccountMetas it is given, and
// sharing them between transactions is a data race (txn.CompileLegacy writes into none).
//
// The cluster knows a transaction only by its signature: two actions that build
// byte-identical transactions (same instructions, signers and blockhash) are one
// transaction, and the second Send reports the first one's landing. When the same
// action may legitimately repeat, make each build distinct (a memo, a nonce argument).
type BuildFunc func(blockhash solana.Hash) ([]byte, error)

// ErrorMapper turns a failed transaction's error, as decoded from the cluster's JSON, and
// its logs into a typed error. It returns nil when it has nothing more specific.
type ErrorMapper func(txErr any, logs []string) error

// Result describes a transaction that landed and reached the Sender's commitment.
type Result struct {
	Signature solana.Signature
	// Slot the transaction was executed in.
	Slot uint64
	// Signings counts the transactions signed for the action (one per blockhash).
	Signings int
	// Sends counts sendTransaction requests, including retries and rebroadcasts.
	Sends int
	// Fees is what the landed transaction cost its fee payer, computed from its message
	// as the runtime charges it.
	Fees Fees
}

// Sender sends transactions and waits for them to land. It is safe for concurrent use by
// many goroutines; all of them share one blockhash cache, one status poller (one
// getSignatureStatuses per round for every signature whose check is due) and one
// WebSocket connection.
type Sender struct {
	cfg       config
	call      *caller
	cache     *BlockhashCache
	ownsCache bool
	ownsFees  bool
	hub       *wsHub
	log       *slog.Logger
	metrics   *metrics
	// sendOpts and preflightOpts are sendTransaction's options, built once because every
	// send and rebroadcast passes them (they are only read, by the JSON encoder).
	sendOpts, preflightOpts map[string]any

	mu      sync.Mutex
	flights map[solana.Signature]*watch
	// latency follows how long signatures took from their first send to a confirmation
	// seen (a moving average), to schedule the status checks of the young ones.
	latency time.Duration
	kick    chan struct{} // wakes the poller when a check falls due early

	pollMu   sync.Mutex
	poll     pollState
	pollWake chan struct{} // closed and replaced on every poll

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// pollState is the outcome of the latest block-height poll.
type pollState struct {
	slot, height uint64 // from getEpochInfo at the Sender's commitment
	err          error
}

// flight is one action in progress; every signature signed for it points to it.
type flight struct {
	updates chan update
}

// update is a status of one signature.
type update struct {
	sig    solana.Signature
	status *sigStatus
}

// New returns a Sender that talks to the cluster through client. Use NewRPCClient for a
// client whose HTTP transport suits many concurrent senders.
func New(client *rpc.Client, opts ...Option) (*Sender, error) {
	if client == nil {
		return nil, errors.New("sender: nil rpc client")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.localDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mt, err := newMetrics(cfg.meter)
	if err != nil {
		return nil, fmt.Errorf("sender: metrics: %w", err)
	}
	s := &Sender{
		metrics:  mt,
		cfg:      cfg,
		call:     &caller{client: client, retry: cfg.retry, timeout: cfg.requestTimeout, log: cfg.logger},
		cache:    cfg.cache,
		log:      cfg.logger,
		flights:  make(map[solana.Signature]*watch),
		kick:     make(chan struct{}, 1),
		pollWake: make(chan struct{}),
		sendOpts: map[string]any{"encoding": "base64", "skipPreflight": true},
		preflightOpts: map[string]any{"encoding": "base64", "skipPreflight": false,
			"preflightCommitment": cfg.commitment},
	}
	if s.cache == nil {
		c, err := NewBlockhashCache(client, WithCacheCommitment(cfg.commitment), WithCacheRefreshInterval(cfg.refresh),
			WithCacheRetryPolicy(cfg.retry), WithCacheRequestTimeout(cfg.requestTimeout), WithCacheLogger(cfg.logger))
		if err != nil {
			return nil, err
		}
		s.cache, s.ownsCache = c, true
	}
	if s.cfg.fees == nil && cfg.feePolicy != nil {
		e, err := newFeeEstimator(s.call, cfg.logger, *cfg.feePolicy)
		if err != nil {
			if s.ownsCache {
				s.cache.Close()
			}
			return nil, err
		}
		s.cfg.fees, s.ownsFees = e, true
	}
	if cfg.wsURL != "" {
		s.hub = newWSHub(cfg.wsURL, cfg.commitment, cfg.requestTimeout, cfg.logger, s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.pollLoop()
	return s, nil
}

// Close stops the Sender. Sends in progress return ErrOutcomeUnknown (or their error if
// nothing was submitted yet). A cache passed with WithBlockhashCache stays open.
func (s *Sender) Close() {
	s.once.Do(func() {
		s.cancel()
		s.wg.Wait()
		if s.hub != nil {
			s.hub.close()
		}
		if s.ownsCache {
			s.cache.Close()
		}
		if s.ownsFees {
			s.cfg.fees.Close()
		}
	})
}

// Send applies one action exactly once: it builds and signs a transaction with build,
// sends it, and waits until it lands at the Sender's commitment. It returns the landed
// transaction, a *FailedError if the transaction failed (in preflight, or on chain
// with its logs), or an error that says whether the action may have been applied.
//
// # Exactly once
//
// A transaction is identified by its first signature and the runtime executes a
// signature at most once while its blockhash is valid; after the blockhash expires it
// cannot execute at all. Send reads the signature it watches and the blockhash it
// proves expired from the very bytes it submits, and refuses bytes whose blockhash is
// not the one it asked build for. Hence:
//
//   - Sending the same signed bytes again is always safe. Send does so on every
//     retryable failure (HTTP 429 or 5xx, timeouts, a lost connection, a dropped
//     response) and every rebroadcast interval while unconfirmed.
//   - Building a new transaction (a new blockhash, so a new signature) is safe only when
//     no earlier transaction of the action can land. Send re-signs in exactly two cases:
//     (a) every send of the earlier transaction was refused outright by preflight with
//     BlockhashNotFound, so it never left the RPC node; or (b) the cluster's block height
//     at the Sender's commitment is above the LastValidBlockHeight of every transaction
//     signed for the action, and a later getSignatureStatuses with
//     searchTransactionHistory, answered by a node at least as far along (its context
//     slot is not behind the slot of that height reading), finds none of them. A request
//     whose answer was lost, an HTTP 429 or 5xx, or a timeout counts as possibly
//     submitted: only (b) clears it. A request that could not even connect never left
//     the client and does not count.
//   - Every signature of the action stays watched until Send returns; whichever lands
//     first is the result, including one from an earlier blockhash.
//   - If the chain cannot be queried to make the proof in (b) (the RPC keeps failing),
//     or ctx ends or the Sender closes while a transaction may be in flight, Send returns
//     a *SendError matching ErrOutcomeUnknown with every signature, and never guesses.
//
// How a landing is noticed does not enter into this. The status reads (as soon as a
// transaction is sent, when its subscription is acknowledged, after a reconnection, and
// the safety checks spaced by the latency observed) and the WebSocket notifications only
// report a landing sooner; none of them can make Send re-sign. A notification that never
// comes, or a status read that fails, at worst delays the result until a later read: (b)
// is decided only by the block height and by its own getSignatureStatuses with
// searchTransactionHistory, made after the height is past every LastValidBlockHeight.
//
// The proof in (b) relies on blocks at the commitment never being rolled back; use
// WithCommitment(rpc.CommitmentFinalized) to make that absolute. When the signing budget
// (WithMaxSignings) is spent, Send returns a *SendError matching ErrBlockhashExpired: no
// transaction of the action landed and none can.
//
// Preflight runs on the first send of each transaction (unless WithSkipPreflight), at the
// Sender's commitment; resends of bytes that may have been submitted skip it, because
// their simulation would report the transaction's own earlier execution.
func (s *Sender) Send(ctx context.Context, build BuildFunc) (*Result, error) {
	if build == nil {
		return nil, fmt.Errorf("%w: nil build function", ErrInvalidTransaction)
	}
	start := time.Now()
	book := &feeBook{build: build}
	res, err := s.run(ctx, book.built, s.cfg.maxSignings, s.blockhash)
	book.settle(res)
	s.observe(ctx, start, book, res, err)
	return res, err
}

// SendSigned sends a transaction signed elsewhere (for example by a player's wallet) and
// waits for it like Send, resending the same bytes but never re-signing.
// lastValidBlockHeight must come with the transaction's blockhash from
// getLatestBlockhash. When the transaction provably cannot land any more (its
// blockhash expired or is unknown to the cluster), SendSigned returns a *SendError
// matching ErrBlockhashExpired: have it signed again with a new blockhash.
func (s *Sender) SendSigned(ctx context.Context, tx *solana.Transaction, lastValidBlockHeight uint64) (*Result, error) {
	if tx == nil {
		return nil, fmt.Errorf("%w: nil transaction", ErrInvalidTransaction)
	}
	if lastValidBlockHeight == 0 {
		return nil, fmt.Errorf("%w: no last valid block height", ErrInvalidTransaction)
	}
	wire, err := tx.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %v", ErrInvalidTransaction, err)
	}
	bh := Blockhash{Hash: tx.Message.RecentBlockhash, LastValidBlockHeight: lastValidBlockHeight}
	start := time.Now()
	res, err := s.run(ctx, func(solana.Hash) ([]byte, error) { return wire, nil }, 1,
		func(context.Context, solana.Hash) (Blockhash, error) { return bh, nil })
	if res != nil {
		res.Fees, _ = TransactionFees(wire) // it was sent, so it decodes
	}
	s.observe(ctx, start, &feeBook{}, res, err)
	return res, err
}

// run is the send loop of one action: at most signings transactions, each built for a
// blockhash from next (given the blockhash to move away from, zero at first).
func (s *Sender) run(ctx context.Context, build BuildFunc, signings int,
	next func(context.Context, solana.Hash) (Blockhash, error)) (*Result, error) {
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	// One context for the caller's deadline and the Sender's life; its cause tells
	// them apart.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(s.ctx, func() { cancel(ErrClosed) })()
	a := &action{s: s, fl: &flight{updates: make(chan update, 16)}}
	defer a.done()
	var stale solana.Hash
	var refusal error
	for a.signings < signings {
		bh, err := next(ctx, stale)
		if err != nil {
			return nil, fmt.Errorf("sender: get blockhash: %w", err)
		}
		at, err := a.sign(build, bh)
		if err != nil {
			return nil, err
		}
		sentAt := time.Now()
		outcome, err := a.submit(ctx, at)
		switch outcome {
		case refusedBlockhash:
			s.log.Debug("sender: blockhash unknown to the node", "sig", at.sig, "blockhash", bh.Hash)
			stale, refusal = bh.Hash, err
			if a.signings < signings {
				if err := sleep(ctx, s.cfg.retry.delay(a.signings, rand.Float64())); err != nil {
					return nil, err
				}
			}
			continue
		case refused:
			return nil, err
		}
		s.sent(at.sig, sentAt)
		res, expired, err := a.wait(ctx, at)
		if !expired {
			return res, err
		}
		s.log.Info("sender: transaction expired without landing", "sig", at.sig,
			"lastValidBlockHeight", at.lvbh)
		stale, refusal = bh.Hash, nil
	}
	return nil, &SendError{Err: ErrBlockhashExpired, Signatures: a.sigs(), Cause: refusal}
}

// blockhash returns a blockhash other than stale that has not expired by the last known
// block height.
func (s *Sender) blockhash(ctx context.Context, stale solana.Hash) (Blockhash, error) {
	var bh Blockhash
	var err error
	if stale.IsZero() {
		bh, err = s.cache.Get(ctx)
	} else {
		bh, err = s.cache.Refresh(ctx, stale)
	}
	if err != nil {
		return bh, err
	}
	if h := s.lastPoll().height; h > 0 && bh.LastValidBlockHeight <= h {
		return s.cache.Refresh(ctx, bh.Hash)
	}
	return bh, nil
}

// Details are the execution facts of a landed transaction.
type Details struct {
	Slot      uint64
	BlockTime *time.Time
	Fee       uint64
	// ComputeUnits is nil when the node does not report it.
	ComputeUnits *uint64
	Logs         []string
	// Err is the transaction error as decoded JSON; nil on success.
	Err any
}

type txResult struct {
	Slot      uint64 `json:"slot"`
	BlockTime *int64 `json:"blockTime"`
	Meta      *struct {
		Fee                  uint64   `json:"fee"`
		ComputeUnitsConsumed *uint64  `json:"computeUnitsConsumed"`
		LogMessages          []string `json:"logMessages"`
		Err                  any      `json:"err"`
	} `json:"meta"`
}

// Details fetches fee, compute units and logs of a landed transaction (getTransaction at
// the Sender's commitment). It returns ErrTransactionNotFound if the cluster does not
// have it.
func (s *Sender) Details(ctx context.Context, sig solana.Signature) (*Details, error) {
	var res *txResult
	err := s.call.call(ctx, "getTransaction", []any{sig.String(), map[string]any{
		"commitment": s.cfg.commitment, "encoding": "base64",
		"maxSupportedTransactionVersion": rpc.MaxSupportedTransactionVersion1,
	}}, &res)
	if err != nil {
		return nil, err
	}
	if res == nil || res.Meta == nil {
		return nil, fmt.Errorf("%w: %s", ErrTransactionNotFound, sig)
	}
	d := &Details{Slot: res.Slot, Fee: res.Meta.Fee, ComputeUnits: res.Meta.ComputeUnitsConsumed,
		Logs: res.Meta.LogMessages, Err: res.Meta.Err}
	if res.BlockTime != nil {
		t := time.Unix(*res.BlockTime, 0)
		d.BlockTime = &t
	}
	return d, nil
}

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// encodeBase64 is the wire form sendTransaction takes.
func encodeBase64(raw []byte) string { return base64.StdEncoding.EncodeToString(raw) }
