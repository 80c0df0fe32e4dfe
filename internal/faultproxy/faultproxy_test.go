package faultproxy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"
	"github.com/mr-tron/base58"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var upstreamHash = solana.Hash{0xab}

// upstream stands in for the runtime: it answers every method with its name, except
// getLatestBlockhash, and records what reached it.
type upstream struct {
	srv *httptest.Server

	mu  sync.Mutex
	got []string
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		u.mu.Lock()
		u.got = append(u.got, string(body))
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(string(body), "[") {
			fmt.Fprint(w, `[{"jsonrpc":"2.0","id":1,"result":"batch"}]`)
			return
		}
		var req request
		require.NoError(t, json.Unmarshal(body, &req))
		if req.Method == "getLatestBlockhash" {
			// A slot above 2^53 shows whether a rewrite keeps numbers exact.
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"context":{"slot":9007199254740993},"value":{"blockhash":%q,"lastValidBlockHeight":200}}}`,
				req.ID, upstreamHash)
			return
		}
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%q}`, req.ID, req.Method)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

// received is every request body that reached the upstream, in order.
func (u *upstream) received() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.got...)
}

func rpcBody(id int, method string, params ...any) string {
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	if err != nil {
		panic(err)
	}
	return string(b)
}

type answer struct {
	status int
	header http.Header
	body   string
}

func post(c *http.Client, url, body string) (answer, error) {
	res, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, string(b)}, err
}

func mustPost(t *testing.T, url, body string) answer {
	t.Helper()
	a, err := post(http.DefaultClient, url, body)
	require.NoError(t, err)
	return a
}

// impatient gives up long before the faults that test giving up end.
var impatient = &http.Client{Timeout: 50 * time.Millisecond}

func always(f Fault) Rule { return func(Call) Fault { return f } }

// signedTx is a wire transaction with its first signature.
func signedTx(t *testing.T) ([]byte, solana.Signature) {
	key := solana.NewWallet().PrivateKey
	ix := system.NewTransferInstruction(1, key.PublicKey(), solana.NewWallet().PublicKey()).Build()
	tx, err := solana.NewTransaction([]solana.Instruction{ix}, solana.Hash{1}, solana.TransactionPayer(key.PublicKey()))
	require.NoError(t, err)
	_, err = tx.Sign(func(solana.PublicKey) *solana.PrivateKey { return &key })
	require.NoError(t, err)
	wire, err := tx.MarshalBinary()
	require.NoError(t, err)
	return wire, tx.Signatures[0]
}

func TestPass(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL)
	req := rpcBody(7, "getBalance", "x")
	a := mustPost(t, p.URL(), req)
	assert.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":7,"result":"getBalance"}`, a.body)
	assert.Equal(t, []string{req}, u.received())
	assert.Equal(t, 1, p.Count(Pass))
	assert.Equal(t, 0, p.Total())
}

func TestStatus(t *testing.T) {
	tests := []struct {
		fault      Fault
		status     int
		retryAfter string
	}{
		{Status(http.StatusTooManyRequests, "0"), http.StatusTooManyRequests, "0"},
		{Status(http.StatusServiceUnavailable, ""), http.StatusServiceUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			u := newUpstream(t)
			p := New(t, u.srv.URL, always(tt.fault))
			a := mustPost(t, p.URL(), rpcBody(1, "getBalance"))
			assert.Equal(t, tt.status, a.status)
			assert.Equal(t, tt.retryAfter, a.header.Get("Retry-After"))
			assert.Empty(t, u.received(), "not forwarded")
			assert.Equal(t, 1, p.Count(tt.fault))
			assert.Equal(t, 1, p.Total())
		})
	}
}

func TestDrop(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL, always(Drop))
	a := mustPost(t, p.URL(), rpcBody(1, "sendTransaction"))
	assert.Equal(t, http.StatusBadGateway, a.status)
	assert.NotContains(t, a.body, "sendTransaction", "the runtime's answer is lost")
	assert.Len(t, u.received(), 1, "forwarded")
	assert.Equal(t, 1, p.Count(Drop))
}

func TestHangUp(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL, always(HangUp))
	_, err := post(http.DefaultClient, p.URL(), rpcBody(1, "sendTransaction"))
	require.ErrorIs(t, err, io.EOF)
	assert.Len(t, u.received(), 1, "forwarded")
	assert.Equal(t, 1, p.Count(HangUp))
}

func TestDelay(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL)
	short, long := Delay(100*time.Millisecond), Delay(10*time.Second)
	p.Queue("getBalance", short, long)
	start := time.Now()
	a := mustPost(t, p.URL(), rpcBody(1, "getBalance"))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":1,"result":"getBalance"}`, a.body)

	// A client that gives up during the delay never reaches the runtime.
	_, err := post(impatient, p.URL(), rpcBody(2, "getBalance"))
	require.Error(t, err)
	p.Close() // waits for the request in flight
	assert.Len(t, u.received(), 1)
	assert.Equal(t, 1, p.Count(short))
	assert.Equal(t, 1, p.Count(long))
}

func TestDelayAnswer(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL)
	p.Queue("getBalance", DelayAnswer(100*time.Millisecond), DelayAnswer(10*time.Second))
	start := time.Now()
	a := mustPost(t, p.URL(), rpcBody(1, "getBalance"))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":1,"result":"getBalance"}`, a.body)

	// The runtime gets the request even though the client gave up waiting for the answer.
	_, err := post(impatient, p.URL(), rpcBody(2, "getBalance"))
	require.Error(t, err)
	p.Close() // waits for the request in flight
	assert.Len(t, u.received(), 2)
}

func TestBlackhole(t *testing.T) {
	wire, sig := signedTx(t)
	tests := []struct {
		name, body, result string
	}{
		{"base64", rpcBody(3, "sendTransaction", base64.StdEncoding.EncodeToString(wire), map[string]any{"encoding": "base64"}),
			fmt.Sprintf("%q", sig)},
		{"base58 by default", rpcBody(3, "sendTransaction", base58.Encode(wire)), fmt.Sprintf("%q", sig)},
		{"other method", rpcBody(3, "getBalance"), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUpstream(t)
			p := New(t, u.srv.URL, always(Blackhole))
			a := mustPost(t, p.URL(), tt.body)
			assert.Equal(t, http.StatusOK, a.status)
			assert.JSONEq(t, `{"jsonrpc":"2.0","id":3,"result":`+tt.result+`}`, a.body)
			assert.Empty(t, u.received(), "not forwarded")
		})
	}
}

func TestRewriteBlockhash(t *testing.T) {
	hash := solana.Hash{0x5e, 0xa1}
	tests := []struct {
		lastValid, want uint64
	}{
		{150, 150},
		{0, 200}, // kept
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.lastValid), func(t *testing.T) {
			u := newUpstream(t)
			f := RewriteBlockhash(hash, tt.lastValid)
			p := New(t, u.srv.URL, always(f))
			a := mustPost(t, p.URL(), rpcBody(4, "getLatestBlockhash"))
			assert.JSONEq(t, fmt.Sprintf(`{"jsonrpc":"2.0","id":4,"result":{"context":{"slot":9007199254740993},"value":{"blockhash":%q,"lastValidBlockHeight":%d}}}`,
				hash, tt.want), a.body)
			assert.Contains(t, a.body, "9007199254740993")
			assert.Len(t, u.received(), 1, "forwarded")
			assert.Equal(t, 1, p.Count(f))
		})
	}
}

func TestRulesAndQueue(t *testing.T) {
	u := newUpstream(t)
	var calls []Call
	record := func(c Call) Fault {
		calls = append(calls, c)
		return Pass
	}
	unavailable := Status(http.StatusServiceUnavailable, "")
	refuseBalance := func(c Call) Fault {
		if c.Method == "getBalance" {
			return unavailable
		}
		return Pass
	}
	var last []string
	lastRule := func(c Call) Fault {
		last = append(last, c.Method)
		return Pass
	}
	p := New(t, u.srv.URL, record, refuseBalance, lastRule)

	wire, sig := signedTx(t)
	send := rpcBody(1, "sendTransaction", base64.StdEncoding.EncodeToString(wire), map[string]any{"encoding": "base64"})
	for range 2 {
		assert.Equal(t, http.StatusOK, mustPost(t, p.URL(), send).status)
	}
	assert.Equal(t, http.StatusServiceUnavailable, mustPost(t, p.URL(), rpcBody(2, "getBalance")).status)

	// Queued faults come first, one per call, then the rules again.
	p.Queue("getBalance", Drop, Status(http.StatusTooManyRequests, ""))
	p.Queue("getSlot", Drop)
	assert.Equal(t, 3, p.Queued())
	assert.Equal(t, http.StatusBadGateway, mustPost(t, p.URL(), rpcBody(3, "getBalance")).status)
	assert.Equal(t, http.StatusTooManyRequests, mustPost(t, p.URL(), rpcBody(4, "getBalance")).status)
	assert.Equal(t, http.StatusServiceUnavailable, mustPost(t, p.URL(), rpcBody(5, "getBalance")).status)
	assert.Equal(t, 1, p.Queued())
	p.ClearQueue()
	assert.Zero(t, p.Queued())
	assert.Equal(t, http.StatusOK, mustPost(t, p.URL(), rpcBody(6, "getSlot")).status)

	assert.Equal(t, []Call{
		{Method: "sendTransaction", NthMethod: 1, Sig: sig, NthSig: 1},
		{Method: "sendTransaction", NthMethod: 2, Sig: sig, NthSig: 2},
		{Method: "getBalance", NthMethod: 1},
		{Method: "getBalance", NthMethod: 4}, // calls 2 and 3 took queued faults
		{Method: "getSlot", NthMethod: 1},
	}, calls)
	assert.Equal(t, []string{"sendTransaction", "sendTransaction", "getSlot"}, last,
		"rules after the one that picked a fault do not run")
	assert.Equal(t, 3, p.Count(Pass))
	assert.Equal(t, 2, p.Count(unavailable))
	assert.Equal(t, 1, p.Count(Drop))
	assert.Equal(t, 4, p.Total())
}

func TestBatchUntouched(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL, func(Call) Fault {
		t.Error("a rule saw a batch")
		return Drop
	})
	batch := "[" + rpcBody(1, "getBalance") + "]"
	a := mustPost(t, p.URL(), batch)
	assert.JSONEq(t, `[{"jsonrpc":"2.0","id":1,"result":"batch"}]`, a.body)
	assert.Equal(t, []string{batch}, u.received())
	assert.Equal(t, 1, p.Count(Pass))
}

func TestConcurrent(t *testing.T) {
	u := newUpstream(t)
	tooMany := Status(http.StatusTooManyRequests, "")
	p := New(t, u.srv.URL, func(c Call) Fault {
		if c.NthMethod%2 == 0 {
			return tooMany
		}
		return Pass
	})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := post(http.DefaultClient, p.URL(), rpcBody(w*each+i, "getBalance"))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, workers*each/2, p.Count(tooMany))
	assert.Equal(t, workers*each/2, p.Count(Pass))
	assert.Len(t, u.received(), workers*each/2)
}

func TestClose(t *testing.T) {
	u := newUpstream(t)
	p := New(t, u.srv.URL)
	p.Close()
	_, err := post(http.DefaultClient, p.URL(), rpcBody(1, "getBalance"))
	require.Error(t, err)
	assert.Empty(t, u.received())
}

func TestLoopbackOnly(t *testing.T) {
	for target, ok := range map[string]bool{
		"http://127.0.0.1:8899": true,
		"http://[::1]:8899":     true,
		"http://localhost:8899": true,
		"https://127.0.0.1":     false,
		"http://10.0.0.1:8899":  false,
		"http://example.com":    false,
		"127.0.0.1:8899":        false,
	} {
		err := checkLoopbackURL(target)
		assert.Equal(t, ok, err == nil, "%s: %v", target, err)
	}
}

func TestTCPCut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	p := NewTCP(t, ln.Addr().String())
	echo := func(c net.Conn) error {
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		assert.Equal(t, "ping", string(buf))
		return nil
	}

	c, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, echo(c))
	p.Cut()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "cut")

	again, err := net.Dial("tcp", p.Addr())
	require.NoError(t, err)
	defer again.Close()
	require.NoError(t, echo(again), "new connections are forwarded after a cut")
}

func TestAnswer(t *testing.T) {
	u := newUpstream(t)
	fees := json.RawMessage(`[{"slot":9,"prioritizationFee":250}]`)
	p := New(t, u.srv.URL, always(Answer(fees)))
	a := mustPost(t, p.URL(), rpcBody(4, "getRecentPrioritizationFees"))
	assert.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":4,"result":[{"slot":9,"prioritizationFee":250}]}`, a.body)
	assert.Empty(t, u.received(), "not forwarded")
	assert.Equal(t, 1, p.Count(Answer(fees)))
}

func TestRefuse(t *testing.T) {
	u := newUpstream(t)
	var minSlot uint64
	behind := Refuse(-32016, "Minimum context slot has not been reached")
	p := New(t, u.srv.URL, func(c Call) Fault {
		minSlot = c.MinContextSlot
		return behind
	})
	a := mustPost(t, p.URL(), rpcBody(5, "getBalance", "x", map[string]any{"minContextSlot": 9}))
	assert.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"jsonrpc":"2.0","id":5,"error":{"code":-32016,"message":"Minimum context slot has not been reached"}}`, a.body)
	assert.Empty(t, u.received(), "not forwarded")
	assert.Equal(t, uint64(9), minSlot)
}
