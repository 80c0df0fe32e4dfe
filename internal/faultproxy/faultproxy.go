// Package faultproxy puts fault-injecting proxies on loopback in front of a local Solana
// runtime, so tests can prove that every action lands exactly once or fails clearly.
package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
)

// Bounds that keep a misbehaving client or runtime from stalling or bloating a test run.
const (
	maxRequest      = 1 << 20
	maxAnswer       = 32 << 20
	upstreamTimeout = 30 * time.Second
)

type kind int

const (
	pass kind = iota
	status
	drop
	hangUp
	delay
	delayAnswer
	blackhole
	rewriteBlockhash
	canned
	refuse
)

// Fault is what the proxy does to one request. Faults are comparable, so Count can
// tell a 429 from a 503 and one delay from another.
type Fault struct {
	kind       kind
	status     int
	retryAfter string
	delay      time.Duration
	hash       solana.Hash
	lastValid  uint64
	result     string // JSON, for canned; the message, for refuse
	code       int
}

var (
	// Pass forwards the request and its answer untouched.
	Pass = Fault{}
	// Drop forwards the request, so the runtime acts on it, and answers HTTP 502
	// instead of the runtime's answer.
	Drop = Fault{kind: drop}
	// HangUp forwards the request, then closes the connection without an answer.
	HangUp = Fault{kind: hangUp}
	// Blackhole does not forward a sendTransaction and answers it with the
	// transaction's signature, as a node that accepted it and lost it would; other
	// methods are answered with a null result.
	Blackhole = Fault{kind: blackhole}
)

// Status answers HTTP code without forwarding, with a Retry-After header unless
// retryAfter is empty.
func Status(code int, retryAfter string) Fault {
	return Fault{kind: status, status: code, retryAfter: retryAfter}
}

// Delay holds the request for d before forwarding it; a client that gives up
// meanwhile never reaches the runtime.
func Delay(d time.Duration) Fault { return Fault{kind: delay, delay: d} }

// DelayAnswer forwards the request at once and holds the runtime's answer for d: the
// runtime has acted while the client may already have timed out.
func DelayAnswer(d time.Duration) Fault { return Fault{kind: delayAnswer, delay: d} }

// RewriteBlockhash forwards a getLatestBlockhash and replaces the blockhash in its
// answer with hash and, unless lastValid is 0, the last valid block height with
// lastValid. A hash the runtime never produced is refused as expired.
func RewriteBlockhash(hash solana.Hash, lastValid uint64) Fault {
	return Fault{kind: rewriteBlockhash, hash: hash, lastValid: lastValid}
}

// Answer does not forward the request and answers it with result, a JSON value: the
// answer of a node that sees what the local runtime cannot (recent fees paid by
// others, say).
func Answer(result json.RawMessage) Fault { return Fault{kind: canned, result: string(result)} }

// Refuse does not forward the request and answers it with a JSON-RPC error: a node
// behind the slot asked for answers -32016, say.
func Refuse(code int, message string) Fault { return Fault{kind: refuse, code: code, result: message} }

func (f Fault) String() string {
	switch f.kind {
	case status:
		if f.retryAfter != "" {
			return fmt.Sprintf("HTTP %d (Retry-After: %s)", f.status, f.retryAfter)
		}
		return fmt.Sprintf("HTTP %d", f.status)
	case drop:
		return "drop"
	case hangUp:
		return "hang-up"
	case delay:
		return fmt.Sprintf("delay %v", f.delay)
	case delayAnswer:
		return fmt.Sprintf("delay answer %v", f.delay)
	case blackhole:
		return "blackhole"
	case rewriteBlockhash:
		return fmt.Sprintf("blockhash %s (last valid %d)", f.hash, f.lastValid)
	case canned:
		return "answer " + f.result
	case refuse:
		return fmt.Sprintf("JSON-RPC error %d %q", f.code, f.result)
	}
	return "pass"
}

// Call is one JSON-RPC request as a Rule sees it.
type Call struct {
	Method string
	// NthMethod counts the requests for Method, this one included.
	NthMethod int
	// Sig is the transaction's first signature (sendTransaction only).
	Sig solana.Signature
	// NthSig counts the sendTransaction requests carrying Sig, this one included.
	NthSig int
	// MinContextSlot is the request's minContextSlot, zero if it sets none.
	MinContextSlot uint64
}

// Rule picks the fault for a call, Pass to leave it to the next rule. Rules run one at
// a time, so they may keep state without locking.
type Rule func(Call) Fault

// Proxy is an HTTP JSON-RPC proxy on loopback. Each request gets the next fault queued
// for its method, or else the first fault a rule picks, or else Pass. Batch requests
// are forwarded untouched: rules match single methods.
type Proxy struct {
	target string
	srv    *httptest.Server
	client *http.Client

	mu       sync.Mutex
	rules    []Rule
	queue    map[string][]Fault
	byMethod map[string]int
	bySig    map[solana.Signature]int
	injected map[Fault]int
}

// New starts a proxy in front of target, an http URL on loopback, and closes it when
// t ends.
func New(t testing.TB, target string, rules ...Rule) *Proxy {
	t.Helper()
	if err := checkLoopbackURL(target); err != nil {
		t.Fatal(err)
	}
	p := &Proxy{
		target: target,
		// No proxy from the environment: the runtime is on loopback.
		client:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		rules:    rules,
		queue:    map[string][]Fault{},
		byMethod: map[string]int{},
		bySig:    map[solana.Signature]int{},
		injected: map[Fault]int{},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		p.client.CloseIdleConnections()
	})
	return p
}

// URL is where clients send their requests.
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy once the requests in flight are answered, so new requests are
// refused as by an endpoint that is down.
func (p *Proxy) Close() { p.srv.Close() }

// Queue makes the next calls of method get faults, one each, ahead of any rule.
func (p *Proxy) Queue(method string, faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue[method] = append(p.queue[method], faults...)
}

// Queued is how many queued faults no call has taken yet.
func (p *Proxy) Queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, q := range p.queue {
		n += len(q)
	}
	return n
}

// ClearQueue drops the queued faults no call has taken yet.
func (p *Proxy) ClearQueue() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.queue)
}

// Count is how many requests got f so far; Count(Pass) includes batches.
func (p *Proxy) Count(f Fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[f]
}

// Total is how many requests got a fault other than Pass so far.
func (p *Proxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for f, c := range p.injected {
		if f != Pass {
			n += c
		}
	}
	return n
}

// request is the part of a JSON-RPC request the proxy reads.
type request struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
		return
	}
	var req request
	batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	if !batch {
		// A malformed request goes on as a call without a method, for the runtime to refuse.
		_ = json.Unmarshal(body, &req)
	}
	c := Call{Method: req.Method, MinContextSlot: minContextSlot(req.Params)}
	if c.Method == "sendTransaction" {
		c.Sig = signature(req.Params)
	}
	f := p.pick(c, batch)

	switch f.kind {
	case status:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	case blackhole:
		result := []byte("null")
		if c.Method == "sendTransaction" {
			result, _ = json.Marshal(c.Sig.String())
		}
		writeAnswer(w, http.StatusOK, fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":%s}`, idOrNull(req.ID), result))
		return
	case refuse:
		msg, _ := json.Marshal(f.result)
		writeAnswer(w, http.StatusOK, fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"error":{"code":%d,"message":%s}}`, idOrNull(req.ID), f.code, msg))
		return
	case canned:
		writeAnswer(w, http.StatusOK, fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%s,"result":%s}`, idOrNull(req.ID), f.result))
		return
	case delay:
		if !sleep(r.Context(), f.delay) {
			return
		}
	}

	code, answer, err := p.forward(r.Context(), body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	switch f.kind {
	case drop:
		http.Error(w, "faultproxy: answer dropped", http.StatusBadGateway)
		return
	case hangUp:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case delayAnswer:
		if !sleep(r.Context(), f.delay) {
			return
		}
	case rewriteBlockhash:
		answer = replaceBlockhash(answer, f.hash, f.lastValid)
	}
	writeAnswer(w, code, answer)
}

// pick counts the call and chooses its fault.
func (p *Proxy) pick(c Call, batch bool) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := Pass
	if !batch {
		p.byMethod[c.Method]++
		c.NthMethod = p.byMethod[c.Method]
		if c.Method == "sendTransaction" {
			p.bySig[c.Sig]++
			c.NthSig = p.bySig[c.Sig]
		}
		if q := p.queue[c.Method]; len(q) > 0 {
			f, p.queue[c.Method] = q[0], q[1:]
		} else {
			for _, rule := range p.rules {
				if f = rule(c); f != Pass {
					break
				}
			}
		}
	}
	p.injected[f]++
	return f
}

// forward posts body to the runtime. The request outlives a client that gives up on
// it, as one already on the wire would: that is the case the tests must survive.
func (p *Proxy) forward(ctx context.Context, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upstreamTimeout)
	defer cancel()
	up, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	up.Header.Set("Content-Type", "application/json")
	res, err := p.client.Do(up)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err == nil && len(answer) > maxAnswer {
		err = fmt.Errorf("faultproxy: answer larger than %d bytes", maxAnswer)
	}
	return res.StatusCode, answer, err
}

func writeAnswer(w http.ResponseWriter, code int, answer []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(answer)
}

// sleep waits d, or reports false once the client has gone.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func idOrNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}

// signature reads the first signature of a sendTransaction's wire transaction, in the
// encoding its config names (base58 when none, as the RPC API defaults to).
func signature(params []json.RawMessage) solana.Signature {
	var wire string
	if len(params) == 0 || json.Unmarshal(params[0], &wire) != nil {
		return solana.Signature{}
	}
	var cfg struct {
		Encoding string `json:"encoding"`
	}
	if len(params) > 1 {
		_ = json.Unmarshal(params[1], &cfg)
	}
	decode := solana.TransactionFromBase58
	if cfg.Encoding == "base64" {
		decode = solana.TransactionFromBase64
	}
	tx, err := decode(wire)
	if err != nil || len(tx.Signatures) == 0 {
		return solana.Signature{}
	}
	return tx.Signatures[0]
}

// replaceBlockhash rewrites result.value of a getLatestBlockhash answer, keeping every
// other field (numbers too) as the runtime sent it; any other answer is returned as is.
func replaceBlockhash(answer []byte, hash solana.Hash, lastValid uint64) []byte {
	var msg map[string]any
	dec := json.NewDecoder(bytes.NewReader(answer))
	dec.UseNumber()
	if dec.Decode(&msg) != nil {
		return answer
	}
	result, _ := msg["result"].(map[string]any)
	value, _ := result["value"].(map[string]any)
	if _, ok := value["blockhash"]; !ok {
		return answer
	}
	value["blockhash"] = hash.String()
	if lastValid != 0 {
		value["lastValidBlockHeight"] = lastValid
	}
	out, err := json.Marshal(msg)
	if err != nil {
		return answer
	}
	return out
}

// checkLoopbackURL refuses targets off this machine: the proxy is for the local runtime.
func checkLoopbackURL(target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("faultproxy: target: %w", err)
	}
	if u.Scheme != "http" || !isLoopback(u.Hostname()) {
		return fmt.Errorf("faultproxy: target %q is not an http URL on loopback", target)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// TCP forwards TCP connections on loopback (a WebSocket endpoint, say) and can cut
// them all at once, as a network failure would.
type TCP struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	conns  []net.Conn
	closed bool // set at cleanup; later connections are closed, not tracked
	wg     sync.WaitGroup
}

// NewTCP starts forwarding to target, a host:port on loopback, and stops when t ends.
func NewTCP(t testing.TB, target string) *TCP {
	t.Helper()
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		t.Fatal(err)
	}
	if !isLoopback(host) {
		t.Fatalf("faultproxy: TCP target %q is not on loopback", target)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &TCP{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Addr is the host:port clients connect to.
func (p *TCP) Addr() string { return p.ln.Addr().String() }

func (p *TCP) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			// Accepted just before the listener closed: a connection Cut will not see
			// would keep its copiers, and the cleanup waiting for them, alive.
			p.mu.Unlock()
			in.Close()
			out.Close()
			return
		}
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(out, in); out.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(in, out); in.Close() }()
	}
}

// Cut closes every open connection; new ones are forwarded again.
func (p *TCP) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// minContextSlot reads the minContextSlot of a request's config object, if any.
func minContextSlot(params []json.RawMessage) uint64 {
	for _, p := range params {
		var cfg struct {
			MinContextSlot uint64 `json:"minContextSlot"`
		}
		if json.Unmarshal(p, &cfg) == nil && cfg.MinContextSlot > 0 {
			return cfg.MinContextSlot
		}
	}
	return 0
}
