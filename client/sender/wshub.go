package sender

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gorilla/websocket"
)

var errWSDown = errors.New("sender: websocket not connected")

// wsEvents is what the hub tells its Sender. The hub calls it from its reader goroutine
// without holding its own lock, so the Sender may call back into the hub.
type wsEvents interface {
	// acked: the subscription for sig is live; a notification sent before it may have
	// been missed.
	acked(sig solana.Signature)
	// notified: sig reached the hub's commitment in slot, with txErr (nil on success).
	notified(sig solana.Signature, slot uint64, txErr any)
	// unsubscribed: the subscriptions of sigs ended without a notification (the
	// connection dropped, or the server refused them).
	unsubscribed(sigs []solana.Signature)
	// missed: a notification came that names no subscription the hub knows; any
	// signature may have been concerned.
	missed()
}

// wsHub keeps one WebSocket connection for all signature subscriptions of a Sender and
// replaces it when it fails, subscribing again every signature still watched. It speaks
// signatureSubscribe itself rather than through solana-go's ws.Client, which neither
// reconnects nor says when a subscription is acknowledged: that moment is when a status
// check can find what the subscription came too late to report.
type wsHub struct {
	url        string
	commitment rpc.CommitmentType
	timeout    time.Duration
	backoff    RetryPolicy
	log        *slog.Logger
	events     wsEvents

	mu     sync.Mutex
	conn   *websocket.Conn
	gen    uint64 // bumped on every replacement, so a stale connection's failures are ignored
	nextID uint64
	subs   map[solana.Signature]*wsSub // every signature watched, live or not
	byReq  map[uint64]*wsSub           // subscribe requests awaiting their answer
	bySub  map[uint64]*wsSub           // acknowledged subscriptions by server id
	// ending are the server ids of subscriptions this connection unsubscribed, by the
	// unsubscribe request's id, until the server answers it: a notification it sent
	// meanwhile is expected, not a sign of one missed.
	ending map[uint64]uint64
	ended  map[uint64]bool
	closed bool

	writeMu sync.Mutex // one writer at a time on conn

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// wsSub is one signature's subscription on the hub's current connection, if any.
type wsSub struct {
	sig   solana.Signature
	gen   uint64 // connection the request went out on; 0 when not sent
	req   uint64
	subID uint64
	live  bool
}

// wsPingInterval keeps idle connections open through proxies and detects dead ones.
const wsPingInterval = 20 * time.Second

// newWSHub connects once synchronously so the first sends can subscribe, and keeps
// retrying in the background if that fails.
func newWSHub(url string, commitment rpc.CommitmentType, timeout time.Duration, log *slog.Logger, events wsEvents) *wsHub {
	h := &wsHub{
		url:        url,
		commitment: commitment,
		timeout:    timeout,
		backoff:    RetryPolicy{BaseDelay: 250 * time.Millisecond, MaxDelay: 10 * time.Second, Jitter: 0.5}.withDefaults(),
		log:        log,
		events:     events,
		subs:       make(map[solana.Signature]*wsSub),
		byReq:      make(map[uint64]*wsSub),
		bySub:      make(map[uint64]*wsSub),
		ending:     make(map[uint64]uint64),
		ended:      make(map[uint64]bool),
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if conn, err := h.dial(); err == nil {
		h.adopt(conn, 0)
	} else {
		h.log.Warn("sender: websocket connect failed; polling until it reconnects", "err", err)
		h.wg.Add(1)
		go h.reconnect(nil)
	}
	return h
}

func (h *wsHub) dial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(h.ctx, h.timeout)
	defer cancel()
	d := websocket.Dialer{HandshakeTimeout: h.timeout, Proxy: websocket.DefaultDialer.Proxy}
	conn, resp, err := d.DialContext(ctx, h.url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
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

// adopt makes conn the hub's connection, starts reading it and subscribes every watched
// signature on it. attempts counts the dials of a reconnection, 0 for the first
// connection.
func (h *wsHub) adopt(conn *websocket.Conn, attempts int) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		conn.Close()
		return
	}
	h.conn = conn
	h.gen++
	gen := h.gen
	var resend []*wsSub
	for _, sub := range h.subs {
		resend = append(resend, sub)
	}
	h.wg.Add(2)
	h.mu.Unlock()
	go h.read(conn, gen)
	go h.ping(conn, gen)
	if attempts > 0 {
		h.log.Info("sender: websocket reconnected", "attempts", attempts, "resubscribed", len(resend))
	}
	for _, sub := range resend {
		h.send(sub)
	}
}

// subscribe starts watching sig; the hub keeps it subscribed, across reconnections,
// until unsubscribe. Without a connection now, the signature is subscribed once one is up.
func (h *wsHub) subscribe(sig solana.Signature) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	sub := h.subs[sig]
	if sub == nil {
		sub = &wsSub{sig: sig}
		h.subs[sig] = sub
	}
	h.mu.Unlock()
	h.send(sub)
}

// connected reports whether the hub has a connection now.
func (h *wsHub) connected() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn != nil
}

// send writes sub's signatureSubscribe on the current connection, unless it went out
// there already.
func (h *wsHub) send(sub *wsSub) {
	h.mu.Lock()
	conn, gen := h.conn, h.gen
	if conn == nil || h.subs[sub.sig] != sub || sub.gen == gen {
		h.mu.Unlock()
		return
	}
	h.nextID++
	sub.gen, sub.req, sub.subID, sub.live = gen, h.nextID, 0, false
	h.byReq[sub.req] = sub
	msg := map[string]any{"jsonrpc": "2.0", "id": sub.req, "method": "signatureSubscribe",
		"params": []any{sub.sig.String(), map[string]any{"commitment": h.commitment}}}
	h.mu.Unlock()
	if err := h.write(conn, msg); err != nil {
		h.lost(gen, err)
	}
}

// unsubscribe stops watching sig, telling the server when its subscription is live.
func (h *wsHub) unsubscribe(sig solana.Signature) {
	h.mu.Lock()
	sub := h.subs[sig]
	if sub == nil {
		h.mu.Unlock()
		return
	}
	delete(h.subs, sig)
	delete(h.byReq, sub.req)
	conn, live := h.conn, sub.live && sub.gen == h.gen
	if live {
		delete(h.bySub, sub.subID)
		h.nextID++
		h.ending[h.nextID], h.ended[sub.subID] = sub.subID, true
	}
	id := h.nextID
	h.mu.Unlock()
	if live && conn != nil {
		// Best effort: a failure here is the connection's, and the reader sees it too.
		_ = h.write(conn, map[string]any{"jsonrpc": "2.0", "id": id, "method": "signatureUnsubscribe",
			"params": []any{sub.subID}})
	}
}

func (h *wsHub) write(conn *websocket.Conn, msg any) error {
	h.writeMu.Lock()
	defer h.writeMu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(h.timeout))
	return conn.WriteJSON(msg)
}

// wsMessage is any message the server sends: an answer (ID set) or a notification.
type wsMessage struct {
	ID     *uint64         `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Method string `json:"method"`
	Params *struct {
		Subscription uint64 `json:"subscription"`
		Result       struct {
			Context struct {
				Slot uint64 `json:"slot"`
			} `json:"context"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	} `json:"params"`
}

// read handles conn's messages until it fails.
func (h *wsHub) read(conn *websocket.Conn, gen uint64) {
	defer h.wg.Done()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			h.lost(gen, err)
			return
		}
		h.handle(gen, data)
	}
}

// handle acts on one message of connection gen; one it cannot decode is ignored.
func (h *wsHub) handle(gen uint64, data []byte) {
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil {
		h.log.Debug("sender: undecodable websocket message", "err", err)
		return
	}
	switch {
	case m.ID != nil:
		h.answer(gen, *m.ID, m.Result, m.Error != nil)
	case m.Method == "signatureNotification" && m.Params != nil:
		h.notification(gen, m.Params.Subscription, m.Params.Result.Context.Slot, m.Params.Result.Value)
	}
}

// answer handles the server's answer to a subscribe (or unsubscribe) request.
func (h *wsHub) answer(gen, id uint64, result json.RawMessage, failed bool) {
	h.mu.Lock()
	if gen != h.gen {
		h.mu.Unlock()
		return // a replaced connection's
	}
	if subID, ok := h.ending[id]; ok {
		delete(h.ending, id)
		delete(h.ended, subID)
		h.mu.Unlock()
		return
	}
	sub := h.byReq[id]
	if sub == nil || sub.gen != gen {
		h.mu.Unlock()
		return
	}
	delete(h.byReq, id)
	var subID uint64
	if !failed && json.Unmarshal(result, &subID) != nil {
		failed = true
	}
	if failed {
		// The server refused this one subscription: it is polled instead.
		delete(h.subs, sub.sig)
		h.mu.Unlock()
		h.log.Debug("sender: signature subscription refused", "sig", sub.sig)
		h.events.unsubscribed([]solana.Signature{sub.sig})
		return
	}
	sub.subID, sub.live = subID, true
	h.bySub[subID] = sub
	h.mu.Unlock()
	h.events.acked(sub.sig)
}

// notification handles a signatureNotification; the server ends the subscription
// after sending it.
func (h *wsHub) notification(gen, subID, slot uint64, value json.RawMessage) {
	var v struct {
		Err any `json:"err"`
	}
	h.mu.Lock()
	if gen != h.gen {
		h.mu.Unlock()
		return
	}
	sub := h.bySub[subID]
	expected := h.ended[subID]
	if sub != nil {
		delete(h.bySub, subID)
		delete(h.subs, sub.sig)
	}
	h.mu.Unlock()
	if sub == nil {
		if !expected {
			h.events.missed()
		}
		return
	}
	if err := json.Unmarshal(value, &v); err != nil {
		// Not the status it should be (a receivedSignature string, say): have it read.
		h.events.unsubscribed([]solana.Signature{sub.sig})
		return
	}
	h.events.notified(sub.sig, slot, v.Err)
}

// ping writes a ping every wsPingInterval until conn is replaced.
func (h *wsHub) ping(conn *websocket.Conn, gen uint64) {
	defer h.wg.Done()
	t := time.NewTicker(wsPingInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		current := h.gen == gen && h.conn == conn
		h.mu.Unlock()
		if !current {
			return
		}
		h.writeMu.Lock()
		err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.timeout))
		h.writeMu.Unlock()
		if err != nil {
			h.lost(gen, err)
			return
		}
	}
}

// lost drops connection gen after a failure seen through it and starts reconnecting;
// every subscription on it ends.
func (h *wsHub) lost(gen uint64, err error) {
	h.mu.Lock()
	if h.closed || gen != h.gen || h.conn == nil {
		h.mu.Unlock()
		return
	}
	h.log.Warn("sender: websocket lost; polling until it reconnects", "err", err)
	old := h.conn
	h.conn = nil
	h.gen++
	clear(h.byReq)
	clear(h.bySub)
	clear(h.ending)
	clear(h.ended)
	sigs := make([]solana.Signature, 0, len(h.subs))
	for sig, sub := range h.subs {
		sub.live = false
		sigs = append(sigs, sig)
	}
	h.wg.Add(1)
	h.mu.Unlock()
	go h.reconnect(old)
	h.events.unsubscribed(sigs)
}

func (h *wsHub) reconnect(old *websocket.Conn) {
	defer h.wg.Done()
	if old != nil {
		old.Close()
	}
	for attempt := 1; ; attempt++ {
		conn, err := h.dial()
		if err == nil {
			h.adopt(conn, attempt)
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
	h.gen++
	h.mu.Unlock()
	h.cancel()
	if conn != nil {
		conn.Close()
	}
	h.wg.Wait()
}
