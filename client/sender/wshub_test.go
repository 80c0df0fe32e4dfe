package sender

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
	"github.com/gorilla/websocket"
)

// A WebSocket URL with an API key in it must not reach the hub's errors (and so its logs),
// even when the URL is malformed and the dialer quotes it back.
func TestWSDialErrorHidesEndpoint(t *testing.T) {
	const secret = "sk_live_0123456789"
	for _, url := range []string{
		"ws://127.0.0.1:1/?api-key=" + secret,
		"wss://user:" + secret + "@%zz/",
		"not a url " + secret,
	} {
		h := &wsHub{url: url, timeout: time.Second, ctx: context.Background()}
		_, err := h.dial()
		if err == nil {
			t.Fatalf("dial(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("dial(%q) error shows the key: %v", url, err)
		}
	}
}

// wsRecorder records what a hub reports.
type wsRecorder struct {
	mu                       sync.Mutex
	nAcked, nNotified, nLost map[solana.Signature]int
	nMissed                  int
}

func newWSRecorder() *wsRecorder {
	return &wsRecorder{nAcked: map[solana.Signature]int{}, nNotified: map[solana.Signature]int{}, nLost: map[solana.Signature]int{}}
}

func (r *wsRecorder) acked(sig solana.Signature) { r.mu.Lock(); r.nAcked[sig]++; r.mu.Unlock() }
func (r *wsRecorder) notified(sig solana.Signature, _ uint64, _ any) {
	r.mu.Lock()
	r.nNotified[sig]++
	r.mu.Unlock()
}
func (r *wsRecorder) unsubscribed(sigs []solana.Signature) {
	r.mu.Lock()
	for _, s := range sigs {
		r.nLost[s]++
	}
	r.mu.Unlock()
}
func (r *wsRecorder) missed() { r.mu.Lock(); r.nMissed++; r.mu.Unlock() }

func (r *wsRecorder) read(f func(r *wsRecorder) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r)
}

// fakeWSServer acknowledges every signatureSubscribe with subscription id 1000+id; it
// answers a signatureUnsubscribe after sending the notification it had in flight for
// that subscription, then sends one for a subscription nobody made.
type fakeWSServer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	conn *websocket.Conn
}

func newFakeWSServer(t *testing.T) *fakeWSServer {
	f := &fakeWSServer{}
	up := websocket.Upgrader{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conn = c
		f.mu.Unlock()
		defer c.Close()
		for {
			var req struct {
				ID     uint64            `json:"id"`
				Method string            `json:"method"`
				Params []json.RawMessage `json:"params"`
			}
			if err := c.ReadJSON(&req); err != nil {
				return
			}
			notify := func(sub uint64) {
				_ = c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil,
					`{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5},"value":{"err":null}},"subscription":%d}}`, sub))
			}
			switch req.Method {
			case "signatureSubscribe":
				_ = c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"jsonrpc":"2.0","result":%d,"id":%d}`, 1000+req.ID, req.ID))
			case "signatureUnsubscribe":
				var sub uint64
				_ = json.Unmarshal(req.Params[0], &sub)
				notify(sub)
				_ = c.WriteMessage(websocket.TextMessage, fmt.Appendf(nil, `{"jsonrpc":"2.0","result":true,"id":%d}`, req.ID))
				notify(999_999)
			}
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWSServer) url() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") }

// cut closes the server's side of the current connection.
func (f *fakeWSServer) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
	}
}

// The hub reports each acknowledgement; a notification sent before the server took an
// unsubscribe is expected and ignored, while one for a subscription nobody made is
// reported as possibly missed; a dropped connection ends every subscription, and the
// hub subscribes them again on the next one.
func TestWSHubAcksUnsubscribesAndResubscribes(t *testing.T) {
	f := newFakeWSServer(t)
	rec := newWSRecorder()
	h := newWSHub(f.url(), rpc.CommitmentConfirmed, 2*time.Second, slog.New(slog.DiscardHandler), rec)
	t.Cleanup(h.close)
	eventually := func(what string, cond func(r *wsRecorder) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !rec.read(cond) {
			if time.Now().After(deadline) {
				t.Fatalf("never: %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	a, b := solana.Signature{1}, solana.Signature{2}

	h.subscribe(a)
	eventually("a acknowledged", func(r *wsRecorder) bool { return r.nAcked[a] == 1 })
	h.unsubscribe(a)
	eventually("the stray notification reported", func(r *wsRecorder) bool { return r.nMissed == 1 })
	if rec.read(func(r *wsRecorder) bool { return r.nNotified[a] != 0 || r.nMissed != 1 }) {
		t.Fatalf("a's late notification was taken: %+v", rec.nNotified)
	}

	h.subscribe(b)
	eventually("b acknowledged", func(r *wsRecorder) bool { return r.nAcked[b] == 1 })
	f.cut()
	eventually("b ended with the connection", func(r *wsRecorder) bool { return r.nLost[b] == 1 })
	eventually("b subscribed again", func(r *wsRecorder) bool { return r.nAcked[b] == 2 })
	if rec.read(func(r *wsRecorder) bool { return r.nAcked[a] != 1 || r.nLost[a] != 0 }) {
		t.Fatal("an unsubscribed signature came back")
	}
}

// Whatever the server sends, the hub neither panics nor reports a signature it was not
// watching, and a signature is acknowledged or notified only through its own
// subscription.
func FuzzWSHubMessage(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","result":1001,"id":1}`,
		`{"jsonrpc":"2.0","error":{"code":-32602,"message":"bad"},"id":2}`,
		`{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5},"value":{"err":null}},"subscription":1001}}`,
		`{"jsonrpc":"2.0","method":"signatureNotification","params":{"result":{"context":{"slot":5},"value":"receivedSignature"},"subscription":1001}}`,
		`{"jsonrpc":"2.0","method":"signatureNotification","params":{"subscription":7}}`,
		`{"id":null}`, `[]`, `{"id":1,"result":"x"}`, `not json`,
	} {
		f.Add([]byte(seed), []byte(`{"jsonrpc":"2.0","result":1002,"id":2}`))
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		rec := newWSRecorder()
		h := &wsHub{log: slog.New(slog.DiscardHandler), events: rec, gen: 1,
			subs: map[solana.Signature]*wsSub{}, byReq: map[uint64]*wsSub{}, bySub: map[uint64]*wsSub{},
			ending: map[uint64]uint64{}, ended: map[uint64]bool{}}
		watched := map[solana.Signature]bool{}
		for i, sig := range []solana.Signature{{1}, {2}} {
			sub := &wsSub{sig: sig, gen: 1, req: uint64(i + 1)}
			h.subs[sig], h.byReq[sub.req] = sub, sub
			watched[sig] = true
		}
		h.handle(1, first)
		h.handle(1, second)
		h.handle(0, first) // a replaced connection's message changes nothing
		rec.read(func(r *wsRecorder) bool {
			for _, m := range []map[solana.Signature]int{r.nAcked, r.nNotified, r.nLost} {
				for sig, n := range m {
					if !watched[sig] || n > 2 {
						t.Fatalf("reported %s %d times", sig, n)
					}
				}
			}
			return true
		})
	})
}
