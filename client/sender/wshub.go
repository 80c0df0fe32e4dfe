package sender

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/ws"
)

var errWSDown = errors.New("sender: websocket not connected")

// wsHub keeps one WebSocket connection for all signature subscriptions of a Sender and
// replaces it when it fails: solana-go's ws.Client never reconnects by itself.
type wsHub struct {
	url        string
	commitment rpc.CommitmentType
	timeout    time.Duration
	backoff    RetryPolicy
	log        *slog.Logger

	mu           sync.Mutex
	conn         *ws.Client
	gen          uint64 // bumped on every replacement, so stale failures are ignored
	reconnecting bool
	closed       bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// newWSHub connects once synchronously so the first sends can subscribe, and keeps
// retrying in the background if that fails.
func newWSHub(url string, commitment rpc.CommitmentType, timeout time.Duration, log *slog.Logger) *wsHub {
	h := &wsHub{
		url:        url,
		commitment: commitment,
		timeout:    timeout,
		backoff:    RetryPolicy{BaseDelay: 250 * time.Millisecond, MaxDelay: 10 * time.Second, Jitter: 0.5}.withDefaults(),
		log:        log,
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if conn, err := h.dial(); err == nil {
		h.conn = conn
	} else {
		h.log.Warn("sender: websocket connect failed; polling until it reconnects", "err", err)
		h.reconnecting = true
		h.wg.Add(1)
		go h.reconnect(nil)
	}
	return h
}

func (h *wsHub) dial() (*ws.Client, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	conn, err := ws.ConnectWithOptions(ctx, h.url, &ws.Options{HandshakeTimeout: h.timeout})
	if err != nil {
		// Dial and URL-parse errors can quote the endpoint, which may carry an API key,
		// and the hub logs them.
		return nil, &redactedError{msg: strings.ReplaceAll(err.Error(), h.url, "<websocket endpoint>"), err: err}
	}
	return conn, nil
}

// redactedError keeps the cause for errors.Is/As while its message omits the endpoint.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// subscribe registers a signatureSubscribe at the hub's commitment. gen identifies the
// connection for lost.
func (h *wsHub) subscribe(sig solana.Signature) (sub *ws.SignatureSubscription, gen uint64, err error) {
	h.mu.Lock()
	conn, gen := h.conn, h.gen
	h.mu.Unlock()
	if conn == nil {
		return nil, 0, errWSDown
	}
	sub, err = conn.SignatureSubscribeWithOpts(sig, &ws.SignatureSubscribeOpts{Commitment: h.commitment})
	if err != nil {
		h.lost(gen, err)
		return nil, 0, err
	}
	return sub, gen, nil
}

// lost drops connection gen after a failure seen through it and starts reconnecting.
func (h *wsHub) lost(gen uint64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || gen != h.gen || h.conn == nil {
		return
	}
	h.log.Warn("sender: websocket lost; polling until it reconnects", "err", err)
	old := h.conn
	h.conn = nil
	h.gen++
	if !h.reconnecting {
		h.reconnecting = true
		h.wg.Add(1)
		go h.reconnect(old)
	}
}

func (h *wsHub) reconnect(old *ws.Client) {
	defer h.wg.Done()
	if old != nil {
		old.Close()
	}
	for attempt := 1; ; attempt++ {
		conn, err := h.dial()
		if err == nil {
			h.mu.Lock()
			if h.closed {
				h.mu.Unlock()
				conn.Close()
				return
			}
			h.conn = conn
			h.gen++
			h.reconnecting = false
			h.mu.Unlock()
			h.log.Info("sender: websocket reconnected", "attempts", attempt)
			return
		}
		h.log.Debug("sender: websocket reconnect failed", "attempt", attempt, "err", err)
		if sleep(h.ctx, h.backoff.delay(attempt, rand.Float64())) != nil {
			return
		}
	}
}

func (h *wsHub) close() {
	h.mu.Lock()
	h.closed = true
	conn := h.conn
	h.conn = nil
	h.mu.Unlock()
	h.cancel()
	if conn != nil {
		conn.Close()
	}
	h.wg.Wait()
}
