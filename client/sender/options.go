package sender

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/gagliardetto/solana-go/rpc"
	"go.opentelemetry.io/otel/metric"

	"github.com/sessionkit/sessionkit/client/txn"
)

// RetryPolicy bounds the retries of one RPC call that failed with HTTP 429 or 5xx, a
// timeout or a transport error. Zero fields take the defaults shown.
type RetryPolicy struct {
	// MaxAttempts counts the first try; 1 disables retries. Default 5.
	MaxAttempts int
	// BaseDelay is the wait after the first failure, doubled on each further one.
	// Default 100ms.
	BaseDelay time.Duration
	// MaxDelay caps the exponential wait (a server's Retry-After may exceed it).
	// Default 3s.
	MaxDelay time.Duration
	// Jitter is the share of each wait drawn at random, at most 1, so that many
	// senders hit by the same outage do not retry in lockstep. Default 0.5; a negative
	// value means none.
	Jitter float64
}

// Defaults shared by Sender and BlockhashCache.
const (
	defaultRequestTimeout = 10 * time.Second
	defaultRefresh        = time.Second
)

// defaultRetry is the policy used when none is given.
var defaultRetry = RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 3 * time.Second, Jitter: 0.5}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = defaultRetry.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = defaultRetry.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = defaultRetry.MaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	switch {
	case p.Jitter == 0:
		p.Jitter = defaultRetry.Jitter
	case p.Jitter < 0:
		p.Jitter = 0
	case p.Jitter > 1:
		p.Jitter = 1
	}
	return p
}

// delay is the wait after the given failed attempt (1-based); r in [0, 1) draws the
// jitter, which only ever shortens the wait so the cap holds.
func (p RetryPolicy) delay(attempt int, r float64) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d - time.Duration(p.Jitter*r*float64(d))
}

type config struct {
	commitment   rpc.CommitmentType
	wsURL        string
	endpoint     string
	pollInterval time.Duration
	pollSet      bool
	// wsPollFactor bounds the gap between the safety checks of a subscribed signature,
	// and the block-height poll with a WebSocket, to that many poll intervals.
	wsPollFactor int
	// checkAfterSend asks for a transaction's status as soon as it is sent, which on a
	// local cluster usually finds it confirmed.
	checkAfterSend bool
	rebroadcast    time.Duration
	retry          RetryPolicy
	requestTimeout time.Duration
	logger         *slog.Logger
	cache          *BlockhashCache
	refresh        time.Duration
	skipPreflight  bool
	maxSignings    int
	mapper         ErrorMapper
	fees           *FeeEstimator
	feePolicy      *FeePolicy
	meter          metric.MeterProvider
}

func defaultConfig() config {
	return config{
		commitment:     rpc.CommitmentConfirmed,
		pollInterval:   400 * time.Millisecond,
		wsPollFactor:   5,
		rebroadcast:    2 * time.Second,
		retry:          defaultRetry,
		requestTimeout: defaultRequestTimeout,
		logger:         slog.New(slog.DiscardHandler),
		refresh:        defaultRefresh,
		maxSignings:    3,
		mapper:         txn.ParseTransactionError,
	}
}

func (c *config) validate() error {
	if err := checkCommitment(c.commitment); err != nil {
		return err
	}
	switch {
	case c.pollInterval <= 0:
		return fmt.Errorf("sender: poll interval %s is not positive", c.pollInterval)
	case c.rebroadcast <= 0:
		return fmt.Errorf("sender: rebroadcast interval %s is not positive", c.rebroadcast)
	case c.requestTimeout <= 0:
		return fmt.Errorf("sender: request timeout %s is not positive", c.requestTimeout)
	case c.refresh <= 0:
		return fmt.Errorf("sender: blockhash refresh interval %s is not positive", c.refresh)
	case c.maxSignings < 1:
		return fmt.Errorf("sender: max signings %d is below 1", c.maxSignings)
	case c.logger == nil:
		return fmt.Errorf("sender: nil logger")
	case c.mapper == nil:
		return fmt.Errorf("sender: nil error mapper")
	case c.cache != nil && c.cache.commitment != c.commitment:
		return fmt.Errorf("sender: blockhash cache commitment %q differs from sender commitment %q",
			c.cache.commitment, c.commitment)
	}
	return nil
}

// checkCommitment refuses processed: a processed block height can belong to a fork that
// is later abandoned, so it cannot prove that a blockhash has expired.
func checkCommitment(c rpc.CommitmentType) error {
	if c != rpc.CommitmentConfirmed && c != rpc.CommitmentFinalized {
		return fmt.Errorf("sender: commitment %q: want %q or %q", c, rpc.CommitmentConfirmed, rpc.CommitmentFinalized)
	}
	return nil
}

// Option configures a Sender.
type Option func(*config)

// WithCommitment sets the commitment used for blockhashes, preflight, block heights and
// confirmation: rpc.CommitmentConfirmed (default) or rpc.CommitmentFinalized. The
// exactly-once proof (see Sender.Send) holds as long as blocks at this commitment are
// not rolled back; finalized makes that absolute at the cost of about 32 slots of
// latency.
func WithCommitment(c rpc.CommitmentType) Option { return func(o *config) { o.commitment = c } }

// WithWebSocket enables signatureSubscribe over the given WebSocket endpoint (for
// example "ws://127.0.0.1:8900"). Confirmations then arrive by push. The status of each
// signature is also read as soon as its subscription is acknowledged and it is sent
// (what confirmed before the subscription started is never pushed), and again after a
// reconnection; later reads are a safety net against a lost notification, spaced by
// the signature's age relative to the latency observed so far (often while it is young,
// at most five poll intervals apart later) and batched for all signatures in flight.
// While the socket is down, signatures are polled every poll interval.
func WithWebSocket(url string) Option { return func(o *config) { o.wsURL = url } }

// WithPollInterval sets how often getSignatureStatuses is polled for transactions in
// flight without a live WebSocket subscription, and the block height without a
// WebSocket (five times as long with one). Default 400ms, 5ms on a loopback endpoint
// (WithEndpoint).
func WithPollInterval(d time.Duration) Option {
	return func(o *config) { o.pollInterval, o.pollSet = d, true }
}

// WithEndpoint names the RPC URL the client talks to, so that the sender can pick
// defaults for it: on a loopback host (127.0.0.0/8, ::1, localhost), as for a loopback
// WebSocket URL, it polls every 5ms and reads a transaction's status as soon as it is
// sent, unless WithPollInterval says otherwise. A local cluster confirms within
// milliseconds and a loopback poll costs little, while the 400ms default would dominate
// every send.
func WithEndpoint(rpcURL string) Option { return func(o *config) { o.endpoint = rpcURL } }

// loopbackPoll is the poll interval on a loopback cluster: on the embedded runtime
// (2 shared cores) sequential moves ran at 41/s with 5ms and at 30/s with 1ms, whose
// polls compete with the runtime for the CPU.
const loopbackPoll = 5 * time.Millisecond

// localDefaults applies the loopback defaults WithEndpoint describes.
func (c *config) localDefaults() {
	if c.pollSet || !(isLoopback(c.endpoint) || isLoopback(c.wsURL)) {
		return
	}
	c.pollInterval, c.checkAfterSend = loopbackPoll, true
}

func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithRebroadcastInterval sets how often an unconfirmed transaction's identical bytes are
// sent again while its blockhash is valid. Default 2s.
func WithRebroadcastInterval(d time.Duration) Option {
	return func(o *config) { o.rebroadcast = d }
}

// WithRetryPolicy sets the retry policy of every RPC call.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *config) { o.retry = p.withDefaults() } }

// WithRequestTimeout bounds each HTTP request and WebSocket handshake. Default 10s.
func WithRequestTimeout(d time.Duration) Option { return func(o *config) { o.requestTimeout = d } }

// WithLogger sets the logger. The sender logs signatures, methods and error classes,
// never keys, transaction bytes or endpoint URLs. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.logger = l } }

// WithBlockhashCache shares a cache among Senders; its commitment must match. The
// Sender does not close a cache it was given.
func WithBlockhashCache(c *BlockhashCache) Option { return func(o *config) { o.cache = c } }

// WithBlockhashRefresh sets the refresh interval of the Sender's own blockhash cache
// (ignored with WithBlockhashCache). Default 1s.
func WithBlockhashRefresh(d time.Duration) Option { return func(o *config) { o.refresh = d } }

// WithSkipPreflight skips simulation on the first send of each transaction. Program
// errors then land on chain (fee charged) instead of returning before submission.
func WithSkipPreflight(skip bool) Option { return func(o *config) { o.skipPreflight = skip } }

// WithMaxSignings bounds how many distinct transactions (one per blockhash) Send builds
// for one action before giving up with ErrBlockhashExpired. Default 3.
func WithMaxSignings(n int) Option { return func(o *config) { o.maxSignings = n } }

// WithErrorMapper sets how failed transactions become typed errors. Default:
// txn.ParseTransactionError, which yields *txn.ProgramError (matching sentinels
// such as client.ErrInvalidToken), *txn.InstructionError or *txn.TransactionError;
// client.ParseTransactionError, which session.Dial sets, also names the session
// program's codes in messages.
func WithErrorMapper(m ErrorMapper) Option { return func(o *config) { o.mapper = m } }
