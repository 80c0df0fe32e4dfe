package sender_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
)

// fault is what the proxy does to one JSON-RPC request.
type fault int

const (
	pass        fault = iota
	tooMany           // HTTP 429 with Retry-After, not forwarded
	unavailable       // HTTP 503, not forwarded
	dropped           // forwarded, the answer replaced by HTTP 502
	hungUp            // forwarded, the connection closed without an answer
	slow              // forwarded, the answer held past the client's timeout
	blackholed        // not forwarded, answered as if it had been (sendTransaction)
	staleHash         // getLatestBlockhash answered with the proxy's stale blockhash
)

func (f fault) String() string {
	return [...]string{"pass", "429", "503", "dropped", "hung up", "slow", "blackholed", "stale blockhash"}[f]
}

// call describes a request to the rule that picks its fault.
type call struct {
	Method string
	// Sig is the transaction's signature (sendTransaction only).
	Sig solana.Signature
	// NthMethod counts requests for Method, NthSig sendTransaction requests for Sig,
	// both from 1.
	NthMethod, NthSig int
}

// faultProxy is a reverse proxy in front of the real runtime's RPC endpoint that
// injects faults chosen by rule.
type faultProxy struct {
	URL string
	srv *httptest.Server

	target    *url.URL
	rp        *httputil.ReverseProxy
	slowDelay time.Duration

	mu       sync.Mutex
	rule     func(call) fault
	stale    []byte
	byMethod map[string]int
	bySig    map[solana.Signature]int
	injected map[fault]int
}

type faultKey struct{}

var (
	errDrop   = errors.New("proxy: response dropped")
	errHangUp = errors.New("proxy: hang up")
)

func newFaultProxy(t *testing.T, target string, rule func(call) fault) *faultProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{target: u, rule: rule, slowDelay: 600 * time.Millisecond,
		byMethod: map[string]int{}, bySig: map[solana.Signature]int{}, injected: map[fault]int{}}
	p.rp = httputil.NewSingleHostReverseProxy(u)
	p.rp.ModifyResponse = func(resp *http.Response) error {
		switch resp.Request.Context().Value(faultKey{}) {
		case dropped:
			return errDrop
		case hungUp:
			return errHangUp
		case slow:
			time.Sleep(p.slowDelay)
		}
		return nil
	}
	p.rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, errHangUp) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// setStale makes staleHash answers carry hash with the given last valid block height.
func (p *faultProxy) setStale(hash solana.Hash, lvbh uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stale = fmt.Appendf(nil, `{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":1},"value":{"blockhash":%q,"lastValidBlockHeight":%d}}}`, hash, lvbh)
}

// count returns how often f was injected.
func (p *faultProxy) count(f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[f]
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var req struct {
		ID     json.RawMessage   `json:"id"`
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	_ = json.Unmarshal(body, &req)
	c := call{Method: req.Method}

	p.mu.Lock()
	p.byMethod[c.Method]++
	c.NthMethod = p.byMethod[c.Method]
	if c.Method == "sendTransaction" && len(req.Params) > 0 {
		c.Sig = signatureOf(req.Params[0])
		p.bySig[c.Sig]++
		c.NthSig = p.bySig[c.Sig]
	}
	f := pass
	if p.rule != nil {
		f = p.rule(c)
	}
	p.injected[f]++
	stale := p.stale
	p.mu.Unlock()

	switch f {
	case tooMany:
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case unavailable:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case blackholed:
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%q}`, req.ID, c.Sig)
		return
	case staleHash:
		_, _ = w.Write(stale)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	// The upstream request must complete even when the client gives up on it: that is
	// the case the sender has to survive.
	ctx := context.WithValue(context.WithoutCancel(r.Context()), faultKey{}, f)
	p.rp.ServeHTTP(w, r.WithContext(ctx))
}

// signatureOf reads the first signature of a base64 wire transaction.
func signatureOf(param json.RawMessage) solana.Signature {
	var wire string
	if json.Unmarshal(param, &wire) != nil {
		return solana.Signature{}
	}
	raw, err := base64.StdEncoding.DecodeString(wire)
	if err != nil || len(raw) < 65 {
		return solana.Signature{}
	}
	var sig solana.Signature
	copy(sig[:], raw[1:65]) // one compact-u16 byte for fewer than 128 signatures
	return sig
}

// tcpProxy forwards TCP connections (the WebSocket endpoint) and can cut them all.
type tcpProxy struct {
	Addr   string
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", p.target)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(out, in); out.Close() }()
		go func() { defer p.wg.Done(); _, _ = io.Copy(in, out); in.Close() }()
	}
}

// cut closes every open connection, as a network failure would.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
