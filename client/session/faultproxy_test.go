package session

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
)

type faultKind int

const (
	// fault429 answers HTTP 429 without forwarding.
	fault429 faultKind = iota
	// faultDrop forwards, lets the runtime act, then closes the connection unanswered.
	faultDrop
	// faultDelay waits before forwarding.
	faultDelay
	// faultBadBlockhash forwards and replaces the blockhash in the answer with one the
	// cluster never produced, which it treats as expired.
	faultBadBlockhash
)

type fault struct {
	kind  faultKind
	delay time.Duration
}

// faultProxy is a JSON-RPC proxy on loopback in front of the runtime that injects faults
// into successive calls of chosen RPC methods.
type faultProxy struct {
	upstream string
	srv      *httptest.Server
	mu       sync.Mutex
	plan     map[string][]fault
	injected map[faultKind]int
}

func newFaultProxy(t testing.TB, upstream string) *faultProxy {
	p := &faultProxy{upstream: upstream, plan: map[string][]fault{}, injected: map[faultKind]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

// inject queues faults for the next calls of method, one per call.
func (p *faultProxy) inject(method string, faults ...fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plan[method] = append(p.plan[method], faults...)
}

// count is how many faults of kind were injected so far.
func (p *faultProxy) count(kind faultKind) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected[kind]
}

// total is how many faults were injected so far.
func (p *faultProxy) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.injected {
		n += c
	}
	return n
}

// pending is how many queued faults were not injected yet.
func (p *faultProxy) pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, q := range p.plan {
		n += len(q)
	}
	return n
}

// clear drops the faults not injected yet.
func (p *faultProxy) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.plan)
}

func (p *faultProxy) next(method string) (fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.plan[method]
	if len(q) == 0 {
		return fault{}, false
	}
	p.plan[method] = q[1:]
	p.injected[q[0].kind]++
	return q[0], true
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		Method string `json:"method"`
	}
	_ = json.Unmarshal(body, &req) // batches carry no single method and pass untouched
	f, ok := p.next(req.Method)
	if ok && f.kind == fault429 {
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	if ok && f.kind == faultDelay {
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
	}
	up, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.upstream, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	up.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(up)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if ok && f.kind == faultDrop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if ok && f.kind == faultBadBlockhash {
		answer = replaceBlockhash(answer)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(answer)
}

// replaceBlockhash swaps result.value.blockhash for a random hash.
func replaceBlockhash(answer []byte) []byte {
	var msg map[string]any
	if json.Unmarshal(answer, &msg) != nil {
		return answer
	}
	result, _ := msg["result"].(map[string]any)
	value, _ := result["value"].(map[string]any)
	if value == nil {
		return answer
	}
	value["blockhash"] = solana.Hash(solana.NewWallet().PublicKey()).String()
	out, err := json.Marshal(msg)
	if err != nil {
		return answer
	}
	return out
}
