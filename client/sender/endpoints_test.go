package sender

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseEndpoints(t *testing.T) {
	require.Equal(t, []string{"http://a", "http://b", "http://c"},
		ParseEndpoints("http://a, http://b", "", "http://c,"))
	require.Empty(t, ParseEndpoints(" , "))
}

func TestNewEndpointsInvalid(t *testing.T) {
	_, err := NewEndpoints(nil)
	require.ErrorContains(t, err, "sender: no RPC endpoint")
	_, err = NewEndpoints([]string{"http://ok", "ws://secret-key@host"})
	require.EqualError(t, err, "sender: RPC endpoint 2 is not an http(s) URL")
}

// node is a scripted endpoint that records the requests it gets.
type node struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
	calls  atomic.Int32
}

func newNode(t *testing.T, answer func(method string, body []byte) (int, string)) *node {
	n := &node{}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.calls.Add(1)
		n.mu.Lock()
		n.bodies = append(n.bodies, string(body))
		n.mu.Unlock()
		var req struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(body, &req)
		code, out := answer(req.Method, body)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *node) last() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.bodies) == 0 {
		return ""
	}
	return n.bodies[len(n.bodies)-1]
}

func ok(result string) func(string, []byte) (int, string) {
	return func(string, []byte) (int, string) { return 200, `{"jsonrpc":"2.0","id":1,"result":` + result + `}` }
}

func TestEndpointsBroadcast(t *testing.T) {
	refused := func(string, []byte) (int, string) {
		return 200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"Transaction simulation failed: Blockhash not found","data":{"err":"BlockhashNotFound","logs":[]}}}`
	}
	unavailable := func(string, []byte) (int, string) { return 503, "busy" }
	landed := ok(`"sig"`)
	tests := []struct {
		name  string
		nodes []func(string, []byte) (int, string)
		want  func(t *testing.T, err error)
	}{
		{"one takes it: success", []func(string, []byte) (int, string){refused, unavailable, landed},
			func(t *testing.T, err error) { require.NoError(t, err) }},
		{"refused by one, maybe taken by another: maybe submitted",
			[]func(string, []byte) (int, string){refused, unavailable},
			func(t *testing.T, err error) {
				var re *RPCError
				require.ErrorAs(t, err, &re)
				require.Equal(t, 503, re.HTTPStatus)
				require.False(t, re.rejected())
			}},
		{"refused by all: refused", []func(string, []byte) (int, string){refused, refused},
			func(t *testing.T, err error) {
				var re *RPCError
				require.ErrorAs(t, err, &re)
				require.True(t, re.rejected())
				require.True(t, re.blockhashNotFound())
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var urls []string
			var nodes []*node
			for _, a := range tc.nodes {
				n := newNode(t, a)
				nodes, urls = append(nodes, n), append(urls, n.srv.URL)
			}
			eps, err := NewEndpoints(urls)
			require.NoError(t, err)
			c := testCaller("http://unused", 1)
			c.client = eps.Client(nil)
			tc.want(t, c.once(context.Background(), "sendTransaction", []any{"AAAA", map[string]any{"encoding": "base64"}}, nil))
			for i, n := range nodes {
				require.Equal(t, int32(1), n.calls.Load(), "node %d got the transaction", i)
			}
		})
	}
}

func TestEndpointsFailoverAndBackoff(t *testing.T) {
	limited := newNode(t, func(string, []byte) (int, string) { return 429, "slow down" })
	good := newNode(t, ok(`{"absoluteSlot":10,"blockHeight":8}`))
	eps, err := NewEndpoints([]string{"http://127.0.0.1:1", limited.srv.URL, good.srv.URL})
	require.NoError(t, err)
	c := testCaller("http://unused", 1)
	c.client = eps.Client(nil)
	ei, err := c.epochInfo(context.Background(), "confirmed")
	require.NoError(t, err)
	require.Equal(t, uint64(10), ei.AbsoluteSlot)
	require.Equal(t, int32(1), limited.calls.Load())
	// Both bad endpoints back off: the next read goes to the good one alone.
	_, err = c.epochInfo(context.Background(), "confirmed")
	require.NoError(t, err)
	require.Equal(t, int32(1), limited.calls.Load())
	require.Equal(t, int32(2), good.calls.Load())
}

func TestEndpointsMinContextSlot(t *testing.T) {
	behind := newNode(t, func(method string, body []byte) (int, string) {
		if strings.Contains(string(body), "minContextSlot") {
			return 200, `{"jsonrpc":"2.0","id":1,"error":{"code":-32016,"message":"Minimum context slot has not been reached"}}`
		}
		return 200, `{"jsonrpc":"2.0","id":1,"result":{"context":{"slot":90},"value":1}}`
	})
	ahead := newNode(t, ok(`{"context":{"slot":120},"value":2}`))
	eps, err := NewEndpoints([]string{behind.srv.URL, ahead.srv.URL})
	require.NoError(t, err)
	c := testCaller("http://unused", 1)
	c.client = eps.Client(nil)
	var out struct {
		Context struct{ Slot uint64 } `json:"context"`
		Value   uint64                `json:"value"`
	}
	// The first read knows no slot; then the watermark comes from the ahead node's answer.
	eps.note("confirmed", "getBalance", []byte(`{"result":{"context":{"slot":100}}}`))
	require.NoError(t, c.call(context.Background(), "getBalance", []any{"k", map[string]any{"commitment": "confirmed"}}, &out))
	require.Equal(t, uint64(2), out.Value, "the lagging node refused, the next answered")
	require.JSONEq(t, `{"jsonrpc":"2.0","id":`+idOf(t, behind.last())+`,"method":"getBalance","params":["k",{"commitment":"confirmed","minContextSlot":100}]}`, behind.last())
	require.Contains(t, ahead.last(), `"minContextSlot":100`)
	// Another commitment has its own watermark; a caller's own minContextSlot stands.
	require.NoError(t, c.call(context.Background(), "getBalance", []any{"k", map[string]any{"commitment": "finalized", "minContextSlot": 5}}, &out))
	require.Contains(t, ahead.last()+behind.last(), `"minContextSlot":5`)
	eps.mu.Lock()
	require.Equal(t, uint64(120), eps.watermark["confirmed"])
	eps.mu.Unlock()
}

func idOf(t *testing.T, body string) string {
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	return string(req.ID)
}

func TestEndpointsHedge(t *testing.T) {
	slow := newNode(t, func(string, []byte) (int, string) {
		time.Sleep(time.Second)
		return 200, `{"jsonrpc":"2.0","id":1,"result":{"absoluteSlot":1,"blockHeight":1}}`
	})
	fast := newNode(t, ok(`{"absoluteSlot":2,"blockHeight":2}`))
	eps, err := NewEndpoints([]string{slow.srv.URL, fast.srv.URL}, WithHedge(20*time.Millisecond))
	require.NoError(t, err)
	c := testCaller("http://unused", 1)
	c.client = eps.Client(nil)
	start := time.Now()
	ei, err := c.epochInfo(context.Background(), "confirmed")
	require.NoError(t, err)
	require.Equal(t, uint64(2), ei.AbsoluteSlot)
	require.Less(t, time.Since(start), 900*time.Millisecond)
}

// FuzzEndpointsMinSlot feeds arbitrary requests to the minContextSlot rewrite: it never
// panics, and a rewritten request keeps its method and id and asks for the watermark.
func FuzzEndpointsMinSlot(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":7,"method":"getBalance","params":["k",{"commitment":"confirmed"}]}`))
	f.Add([]byte(`{"id":"x","method":"getLatestBlockhash","params":[]}`))
	f.Add([]byte(`{"method":"getEpochInfo","params":[null]}`))
	f.Add([]byte(`{"method":"getBalance","params":["k",{"minContextSlot":3}]}`))
	eps, err := NewEndpoints([]string{"http://127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range []string{"confirmed", "finalized", "processed"} {
		eps.note(c, "getBalance", []byte(`{"result":{"context":{"slot":42}}}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req endpointRequest
		if json.Unmarshal(body, &req) != nil {
			return
		}
		out, _, ok := eps.withMinSlot(&req)
		if !ok {
			return
		}
		var got struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("rewritten request %s: %v", out, err)
		}
		if got.Method != req.Method || string(got.ID) != string(orNull(req.ID)) {
			t.Fatalf("rewritten request %s lost method or id of %s", out, body)
		}
		if !strings.Contains(string(out), `"minContextSlot":42`) {
			t.Fatalf("rewritten request %s asks no slot", out)
		}
	})
}

func orNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return json.RawMessage("null")
	}
	return id
}
