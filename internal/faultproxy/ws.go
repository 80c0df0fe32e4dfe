package faultproxy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// WS is a WebSocket proxy on loopback that forwards whole messages both ways and can
// drop the server's notifications, as a node that loses them would, or cut every
// connection at once.
type WS struct {
	target string
	srv    *httptest.Server

	mu      sync.Mutex
	drop    map[string]bool // notification methods dropped
	dropped int
	sent    map[string]int // client requests forwarded, by method
	conns   []*websocket.Conn
}

// NewWS starts a proxy in front of target, a ws URL on loopback, and stops it when t
// ends.
func NewWS(t testing.TB, target string) *WS {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "ws" || !isLoopback(u.Hostname()) {
		t.Fatalf("faultproxy: WebSocket target %q is not a ws URL on loopback", target)
	}
	p := &WS{target: target, drop: map[string]bool{}, sent: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.Cut()
		p.srv.Close()
	})
	return p
}

// URL is where clients connect.
func (p *WS) URL() string { return "ws" + strings.TrimPrefix(p.srv.URL, "http") }

// DropNotifications drops, from now on, every server message whose method is one of
// methods (signatureNotification, say); answers to requests still pass.
func (p *WS) DropNotifications(methods ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range methods {
		p.drop[m] = true
	}
}

// Dropped is how many messages the proxy dropped so far.
func (p *WS) Dropped() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dropped
}

// Forwarded is how many requests for method clients sent through the proxy so far.
func (p *WS) Forwarded(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent[method]
}

// Cut closes every open connection, both sides; new ones are forwarded again.
func (p *WS) Cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (p *WS) serve(w http.ResponseWriter, r *http.Request) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	out, resp, err := d.Dial(p.target, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	in, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		out.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, in, out)
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.pump(out, in, true)
	}()
	p.pump(in, out, false)
	<-done
}

// pump copies messages from src to dst until either fails, dropping notifications
// when fromServer; then it closes both.
func (p *WS) pump(src, dst *websocket.Conn, fromServer bool) {
	defer src.Close()
	defer dst.Close()
	for {
		kind, data, err := src.ReadMessage()
		if err != nil {
			return
		}
		if fromServer && p.dropping(data) {
			continue
		}
		if !fromServer {
			p.count(data)
		}
		if err := dst.WriteMessage(kind, data); err != nil {
			return
		}
	}
}

// method is the JSON-RPC method a message names, if any.
func method(data []byte) string {
	var m struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	return m.Method
}

func (p *WS) count(data []byte) {
	m := method(data)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sent[m]++
}

func (p *WS) dropping(data []byte) bool {
	m := method(data)
	if m == "" {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drop[m] {
		p.dropped++
		return true
	}
	return false
}
