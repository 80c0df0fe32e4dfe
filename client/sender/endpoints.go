package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gagliardetto/solana-go/rpc/jsonrpc"
)

// Endpoints spreads one rpc.Client's JSON-RPC calls over several RPC endpoints of the
// same cluster, as an http.RoundTripper under the client (Client returns one), so the
// Sender, its blockhash cache, its fee estimator and every read of package session use
// them alike:
//
//   - sendTransaction is broadcast to every endpoint not backing off (to all when every
//     one is), and the answer reported is the most telling for exactly-once: a success
//     if any, else a failure that may have been submitted (5xx, 429, a lost answer),
//     else a refusal, else a failure to connect. A transaction refused by one node but
//     possibly taken by another thus still counts as possibly submitted.
//   - Other calls fail over: to the healthiest endpoint first, to the next on a
//     transport error, HTTP 429 or 5xx, or a node behind the slot asked for; with
//     WithHedge, a second endpoint is asked too when the first is slow.
//   - An endpoint that fails backs off exponentially (honouring Retry-After) and is
//     tried last meanwhile; one answer from it clears it.
//   - Each read that accepts minContextSlot and does not set one gets the highest slot
//     any endpoint has answered at that commitment, so that a lagging node refuses it
//     (JSON-RPC -32016) instead of answering from the past, and the call moves on.
//
// Logs and errors name an endpoint by its position, never its URL (which may hold an
// API key).
type Endpoints struct {
	urls   []*url.URL
	hc     *http.Client
	hedge  time.Duration
	log    *slog.Logger
	health []endpointHealth

	mu        sync.Mutex
	watermark map[string]uint64 // by commitment
}

type endpointHealth struct {
	mu    sync.Mutex
	fails int
	until time.Time
}

// EndpointsOption configures Endpoints.
type EndpointsOption func(*Endpoints)

// WithHedge asks a second endpoint when a read's first has not answered within d.
// Default: no hedging, only failover.
func WithHedge(d time.Duration) EndpointsOption { return func(e *Endpoints) { e.hedge = d } }

// WithEndpointsLogger sets the logger of backoffs. Default: discard.
func WithEndpointsLogger(l *slog.Logger) EndpointsOption { return func(e *Endpoints) { e.log = l } }

// Backoff bounds of an endpoint that keeps failing.
const (
	endpointBackoff    = 200 * time.Millisecond
	endpointMaxBackoff = 30 * time.Second
)

// errMinContextSlot is the JSON-RPC code of a node behind the minContextSlot asked for.
const errMinContextSlot = -32016

// ParseEndpoints splits a list of RPC URLs given comma-separated, repeated, or both.
func ParseEndpoints(lists ...string) []string {
	var out []string
	for _, l := range lists {
		for _, u := range strings.Split(l, ",") {
			if u = strings.TrimSpace(u); u != "" {
				out = append(out, u)
			}
		}
	}
	return out
}

// NewEndpoints returns Endpoints over urls (http or https), at least one.
func NewEndpoints(urls []string, opts ...EndpointsOption) (*Endpoints, error) {
	if len(urls) == 0 {
		return nil, errors.New("sender: no RPC endpoint")
	}
	e := &Endpoints{log: slog.New(slog.DiscardHandler), watermark: make(map[string]uint64),
		health: make([]endpointHealth, len(urls))}
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("sender: RPC endpoint %d is not an http(s) URL", i+1)
		}
		e.urls = append(e.urls, u)
	}
	for _, o := range opts {
		o(e)
	}
	if e.log == nil {
		return nil, errors.New("sender: nil endpoints logger")
	}
	e.hc = &http.Client{Transport: newTransport()}
	return e, nil
}

// Len is the number of endpoints.
func (e *Endpoints) Len() int { return len(e.urls) }

// Client returns an rpc.Client whose calls go through e; header is sent with every
// request, to every endpoint.
func (e *Endpoints) Client(header http.Header) *rpc.Client {
	hc := &http.Client{Transport: e, Timeout: time.Minute}
	return rpc.NewWithCustomRPCClient(jsonrpc.NewClientWithOpts("http://endpoints.sessionkit.invalid/",
		&jsonrpc.RPCClientOpts{HTTPClient: hc, CustomHeader: header}))
}

// Close drops idle connections.
func (e *Endpoints) Close() { e.hc.CloseIdleConnections() }

// request is the part of a JSON-RPC request Endpoints reads.
type endpointRequest struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// answer is one endpoint's reply, read whole.
type answer struct {
	i      int
	status int
	header http.Header
	body   []byte
	err    error
}

// class orders answers for a broadcast: higher is more telling.
func (a *answer) class() int {
	switch {
	case a.err != nil && isUndelivered(a.err):
		return 0
	case a.err == nil && a.status/100 == 2 && !a.rpcError():
		return 3
	case a.err == nil && a.status/100 == 2:
		return 1 // refused by the node: nothing was submitted through it
	default:
		return 2 // lost answer, 5xx, 429: may have been submitted
	}
}

func (a *answer) rpcError() bool {
	var env struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal(a.body, &env) == nil && env.Error != nil
}

// failed reports whether a read should move on to another endpoint.
func (a *answer) failed() bool {
	return a.err != nil || a.status == http.StatusTooManyRequests || a.status/100 == 5 || a.behind()
}

// behind reports whether the node refused the read for not having reached its
// minContextSlot.
func (a *answer) behind() bool {
	if a.err != nil || a.status/100 != 2 {
		return false
	}
	var env struct {
		Error *struct {
			Code int `json:"code"`
		} `json:"error"`
	}
	return json.Unmarshal(a.body, &env) == nil && env.Error != nil && env.Error.Code == errMinContextSlot
}

func isUndelivered(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// RoundTrip implements http.RoundTripper for Client's rpc.Client.
func (e *Endpoints) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBytes))
	_ = r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("sender: endpoints: read request: %w", err)
	}
	var req endpointRequest
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) || json.Unmarshal(body, &req) != nil {
		return e.respond(r, e.failover(r, body, ""))
	}
	if req.Method == "sendTransaction" {
		return e.respond(r, e.broadcast(r, body))
	}
	commitment := ""
	if body2, c, ok := e.withMinSlot(&req); ok {
		body, commitment = body2, c
	} else {
		commitment = c
	}
	a := e.failover(r, body, req.Method)
	// Every endpoint behind the slot asked for: the cluster itself has not reached it at
	// this commitment yet (a slot seen at another method's commitment, say). Wait for it
	// rather than read the past.
	for deadline := time.Now().Add(minSlotWait); a.behind() && time.Now().Before(deadline); {
		if err := sleep(r.Context(), 50*time.Millisecond); err != nil {
			break
		}
		a = e.failover(r, body, req.Method)
	}
	if a.err == nil && a.status/100 == 2 {
		e.note(commitment, req.Method, a.body)
	}
	return e.respond(r, a)
}

// minSlotWait bounds how long a read waits for the cluster to reach its minContextSlot
// when every endpoint is behind it: a few slots.
const minSlotWait = 2 * time.Second

// maxRequestBytes bounds a request body (a transaction is at most 1232 bytes).
const maxRequestBytes = 1 << 20

func (e *Endpoints) respond(r *http.Request, a *answer) (*http.Response, error) {
	if a.err != nil {
		return nil, a.err
	}
	return &http.Response{StatusCode: a.status, Status: http.StatusText(a.status), Header: a.header,
		Body: io.NopCloser(bytes.NewReader(a.body)), ContentLength: int64(len(a.body)), Request: r,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// post sends body to endpoint i and reads the answer whole.
func (e *Endpoints) post(ctx context.Context, r *http.Request, i int, body []byte) *answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.urls[i].String(), bytes.NewReader(body))
	if err != nil {
		return &answer{i: i, err: err}
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL stays out of errors
		}
		return &answer{i: i, err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	return &answer{i: i, status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// order lists the endpoints healthiest first: those not backing off in their given
// order, then the others, soonest back first.
func (e *Endpoints) order() []int {
	now := time.Now()
	out := make([]int, 0, len(e.urls))
	var later []int
	until := make([]time.Time, len(e.health))
	for i := range e.health {
		h := &e.health[i]
		h.mu.Lock()
		until[i] = h.until
		h.mu.Unlock()
		if !now.Before(until[i]) {
			out = append(out, i)
		} else {
			later = append(later, i)
		}
	}
	slices.SortStableFunc(later, func(a, b int) int { return until[a].Compare(until[b]) })
	return append(out, later...)
}

// healthy lists the endpoints not backing off, or all when every one is.
func (e *Endpoints) healthy() []int {
	o := e.order()
	now := time.Now()
	n := 0
	for _, i := range o {
		h := &e.health[i]
		h.mu.Lock()
		ok := !now.Before(h.until)
		h.mu.Unlock()
		if ok {
			n++
		}
	}
	if n == 0 {
		return o
	}
	return o[:n]
}

// record updates endpoint i's health from its answer.
func (e *Endpoints) record(a *answer) {
	h := &e.health[a.i]
	h.mu.Lock()
	defer h.mu.Unlock()
	if !a.failed() {
		h.fails, h.until = 0, time.Time{}
		return
	}
	h.fails++
	d := endpointBackoff
	for k := 1; k < h.fails && d < endpointMaxBackoff; k++ {
		d *= 2
	}
	d = min(d, endpointMaxBackoff)
	if a.header != nil {
		d = max(d, retryAfter(a.header.Get("Retry-After"), time.Now()))
	}
	h.until = time.Now().Add(d)
	e.log.Debug("sender: RPC endpoint backing off", "endpoint", a.i+1, "status", a.status, "wait", d, "err", a.err)
}

// broadcast sends a transaction to every healthy endpoint at once.
func (e *Endpoints) broadcast(r *http.Request, body []byte) *answer {
	targets := e.healthy()
	answers := make(chan *answer, len(targets))
	for _, i := range targets {
		go func() { answers <- e.post(r.Context(), r, i, body) }()
	}
	var best *answer
	for range targets {
		a := <-answers
		e.record(a)
		if best == nil || a.class() > best.class() {
			best = a
		}
	}
	return best
}

// failover asks the endpoints one after another until one answers, hedging a slow one
// when WithHedge is set.
func (e *Endpoints) failover(r *http.Request, body []byte, method string) *answer {
	order := e.order()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	answers := make(chan *answer, len(order))
	next, pending := 0, 0
	start := func() {
		i := order[next]
		next++
		pending++
		go func() { answers <- e.post(ctx, r, i, body) }()
	}
	start()
	var last *answer
	for pending > 0 {
		var hedge <-chan time.Time
		var timer *time.Timer
		if e.hedge > 0 && next < len(order) {
			timer = time.NewTimer(e.hedge)
			hedge = timer.C
		}
		select {
		case a := <-answers:
			pending--
			if ctx.Err() == nil || a.err == nil {
				e.record(a)
			}
			if !a.failed() {
				return a
			}
			if last == nil || a.behind() || (last.err != nil && a.err == nil) {
				last = a // a node's own answer tells the caller more than a 429 or a lost one
			}
			if pending == 0 && next < len(order) {
				start()
			}
		case <-hedge:
			start()
		}
		if timer != nil {
			timer.Stop()
		}
	}
	return last
}

// minSlotMethods are the reads that take minContextSlot in their config object, with
// the position of that object in their parameters.
var minSlotMethods = map[string]int{
	"getAccountInfo": 1, "getBalance": 1, "getMultipleAccounts": 1, "getProgramAccounts": 1,
	"getLatestBlockhash": 0, "getEpochInfo": 0, "getSlot": 0, "getBlockHeight": 0,
	"getFeeForMessage": 1, "isBlockhashValid": 1, "simulateTransaction": 1,
	"getTokenAccountBalance": 1, "getTokenAccountsByOwner": 2, "getSignaturesForAddress": 1,
}

// withMinSlot adds minContextSlot to a read that takes one and sets none, and returns
// the read's commitment ("finalized" when it names none, as nodes default to).
func (e *Endpoints) withMinSlot(req *endpointRequest) ([]byte, string, bool) {
	at, ok := minSlotMethods[req.Method]
	if !ok {
		return nil, "", false
	}
	params := req.Params
	cfg := map[string]any{}
	if at < len(params) {
		if err := json.Unmarshal(params[at], &cfg); err != nil || cfg == nil {
			return nil, "", false
		}
	} else if at > len(params) {
		return nil, "", false
	}
	commitment, _ := cfg["commitment"].(string)
	if commitment == "" {
		commitment = string(rpc.CommitmentFinalized)
	}
	if _, set := cfg["minContextSlot"]; set {
		return nil, commitment, false
	}
	e.mu.Lock()
	slot := e.watermark[commitment]
	e.mu.Unlock()
	if slot == 0 {
		return nil, commitment, false
	}
	cfg["minContextSlot"] = slot
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, commitment, false
	}
	out := append([]json.RawMessage(nil), params...)
	if at == len(out) {
		out = append(out, raw)
	} else {
		out[at] = raw
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "method": req.Method, "params": out})
	if err != nil {
		return nil, commitment, false
	}
	return body, commitment, true
}

// note raises the watermark of commitment to the slot an answer came from.
func (e *Endpoints) note(commitment, method string, body []byte) {
	if commitment == "" {
		return
	}
	var env struct {
		Result struct {
			Context struct {
				Slot uint64 `json:"slot"`
			} `json:"context"`
			AbsoluteSlot uint64 `json:"absoluteSlot"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &env) != nil {
		return
	}
	slot := env.Result.Context.Slot
	if method == "getEpochInfo" {
		slot = env.Result.AbsoluteSlot
	}
	if slot == 0 {
		return
	}
	e.mu.Lock()
	e.watermark[commitment] = max(e.watermark[commitment], slot)
	e.mu.Unlock()
}
