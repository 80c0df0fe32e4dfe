package sender

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRetryPolicyDelay(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Jitter: 0.5}
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0, 100 * time.Millisecond},
		{2, 0, 200 * time.Millisecond},
		{3, 0, 400 * time.Millisecond},
		{4, 0, 800 * time.Millisecond},
		{5, 0, time.Second},           // capped
		{60, 0, time.Second},          // no overflow far past the cap
		{1, 1, 50 * time.Millisecond}, // jitter shortens by at most Jitter
		{3, 0.5, 300 * time.Millisecond},
		{60, 1, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		got := p.delay(tt.attempt, tt.r)
		assert.InDelta(t, float64(tt.want), float64(got), float64(time.Microsecond), "attempt %d r %v", tt.attempt, tt.r)
	}
}

func TestRetryPolicyDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   RetryPolicy
		want RetryPolicy
	}{
		{"zero", RetryPolicy{}, defaultRetry},
		{"kept", RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Second, Jitter: 0.1},
			RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Second, Jitter: 0.1}},
		{"no jitter", RetryPolicy{Jitter: -1},
			RetryPolicy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 3 * time.Second, Jitter: 0}},
		{"cap below base", RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Millisecond, Jitter: 2},
			RetryPolicy{MaxAttempts: 1, BaseDelay: time.Second, MaxDelay: time.Second, Jitter: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.in.withDefaults()) })
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"-1", 0},
		{"soon", 0},
		{now.Add(2 * time.Second).Format(http.TimeFormat), 2 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, retryAfter(tt.header, now), "header %q", tt.header)
	}
}

func TestRPCErrorClassification(t *testing.T) {
	sim := func(err string) json.RawMessage {
		return json.RawMessage(`{"err":` + err + `,"logs":["Program log: x"]}`)
	}
	tests := []struct {
		name                   string
		err                    RPCError
		retryable, rejected    bool
		processed, noBlockhash bool
		undelivered            bool
	}{
		{name: "transport", err: RPCError{Err: io.ErrUnexpectedEOF}, retryable: true},
		{name: "connection refused", err: RPCError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, retryable: true, undelivered: true},
		{name: "connection reset", err: RPCError{Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, retryable: true},
		{name: "429", err: RPCError{HTTPStatus: 429}, retryable: true},
		{name: "503 with JSON-RPC body", err: RPCError{HTTPStatus: 503, Code: -32603}, retryable: true},
		{name: "408", err: RPCError{HTTPStatus: 408}, retryable: true},
		{name: "403", err: RPCError{HTTPStatus: 403}, rejected: true},
		{name: "undecodable result", err: RPCError{HTTPStatus: 200, permanent: true}},
		{name: "node behind", err: RPCError{HTTPStatus: 200, Code: -32005}, retryable: true, rejected: true},
		{name: "invalid params", err: RPCError{HTTPStatus: 200, Code: -32602}, rejected: true},
		{name: "program error", err: RPCError{HTTPStatus: 200, Code: -32002, Data: sim(`{"InstructionError":[0,{"Custom":1}]}`)}, rejected: true},
		{name: "blockhash not found", err: RPCError{HTTPStatus: 200, Code: -32002, Data: sim(`"BlockhashNotFound"`)}, rejected: true, noBlockhash: true},
		{name: "agave already processed", err: RPCError{HTTPStatus: 200, Code: -32002, Data: sim(`"AlreadyProcessed"`)}, rejected: true, processed: true},
		{name: "surfpool already processed", err: RPCError{HTTPStatus: 200, Code: -32002,
			Message: `Transaction verification failed for transaction Internal error: "Transaction error: This transaction has already been processed"`},
			rejected: true, processed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.retryable, tt.err.Retryable(), "Retryable")
			assert.Equal(t, tt.rejected, tt.err.rejected(), "rejected")
			assert.Equal(t, tt.processed, tt.err.alreadyProcessed(), "alreadyProcessed")
			assert.Equal(t, tt.noBlockhash, tt.err.blockhashNotFound(), "blockhashNotFound")
			assert.Equal(t, tt.undelivered, tt.err.undelivered(), "undelivered")
		})
	}
}

// jsonRPCServer answers each request with the next scripted reply; the last one repeats.
type reply struct {
	status     int
	retryAfter string
	body       string
}

func scriptedServer(t *testing.T, replies ...reply) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		rep := replies[min(i, len(replies)-1)]
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func testCaller(url string, attempts int) *caller {
	return &caller{
		client:  NewRPCClient(url, nil),
		retry:   RetryPolicy{MaxAttempts: attempts, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}.withDefaults(),
		timeout: 2 * time.Second,
		log:     slog.New(slog.DiscardHandler),
	}
}

func TestCallerRetries(t *testing.T) {
	const ok = `{"jsonrpc":"2.0","id":1,"result":{"absoluteSlot":7,"blockHeight":5}}`
	tests := []struct {
		name      string
		replies   []reply
		attempts  int
		wantCalls int32
		check     func(t *testing.T, ei epochInfo, err error)
	}{
		{
			name:      "429 then success",
			replies:   []reply{{status: 429, retryAfter: "0", body: "slow down"}, {status: 200, body: ok}},
			attempts:  3,
			wantCalls: 2,
			check: func(t *testing.T, ei epochInfo, err error) {
				require.NoError(t, err)
				assert.Equal(t, epochInfo{AbsoluteSlot: 7, BlockHeight: 5}, ei)
			},
		},
		{
			name:      "5xx until attempts run out",
			replies:   []reply{{status: 503, body: "down"}},
			attempts:  4,
			wantCalls: 4,
			check: func(t *testing.T, _ epochInfo, err error) {
				var re *RPCError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 503, re.HTTPStatus)
				assert.Equal(t, "getEpochInfo", re.Method)
			},
		},
		{
			name:      "truncated body is retried",
			replies:   []reply{{status: 200, body: `{"jsonrpc":"2.0","res`}, {status: 200, body: ok}},
			attempts:  3,
			wantCalls: 2,
			check:     func(t *testing.T, _ epochInfo, err error) { require.NoError(t, err) },
		},
		{
			name:      "deterministic JSON-RPC error is not retried",
			replies:   []reply{{status: 200, body: `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid params"}}`}},
			attempts:  5,
			wantCalls: 1,
			check: func(t *testing.T, _ epochInfo, err error) {
				var re *RPCError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, -32602, re.Code)
				assert.Equal(t, "Invalid params", re.Message)
			},
		},
		{
			name:      "node behind is retried",
			replies:   []reply{{status: 200, body: `{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Node is behind"}}`}, {status: 200, body: ok}},
			attempts:  5,
			wantCalls: 2,
			check:     func(t *testing.T, _ epochInfo, err error) { require.NoError(t, err) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := scriptedServer(t, tt.replies...)
			ei, err := testCaller(srv.URL, tt.attempts).epochInfo(context.Background(), "confirmed")
			tt.check(t, ei, err)
			assert.Equal(t, tt.wantCalls, calls.Load())
		})
	}
}

func TestCallerHonoursRetryAfter(t *testing.T) {
	srv, _ := scriptedServer(t, reply{status: 429, retryAfter: "1", body: ""},
		reply{status: 200, body: `{"jsonrpc":"2.0","id":1,"result":{"absoluteSlot":1,"blockHeight":1}}`})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	// The policy alone would retry after a millisecond; Retry-After: 1 outlasts ctx.
	_, err := testCaller(srv.URL, 3).epochInfo(ctx, "confirmed")
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestCallerErrorsHideEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hang up without an answer, as a crashing gateway would.
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	const secret = "api-key=s3cr3t"
	_, err := testCaller(srv.URL+"/?"+secret, 2).epochInfo(context.Background(), "confirmed")
	var re *RPCError
	require.ErrorAs(t, err, &re)
	assert.True(t, re.Retryable())
	assert.False(t, re.rejected(), "a hang-up may follow a delivered request")
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, err.Error(), srv.URL)
	assert.True(t, strings.HasPrefix(err.Error(), "sender: getEpochInfo: "), err.Error())
}

func TestSendErrorMatching(t *testing.T) {
	cause := &RPCError{Method: "getEpochInfo", HTTPStatus: 503}
	err := error(&SendError{Err: ErrOutcomeUnknown, Cause: cause})
	assert.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.NotErrorIs(t, err, ErrBlockhashExpired)
	var re *RPCError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 503, re.HTTPStatus)
	assert.Equal(t, "sender: outcome unknown: sender: getEpochInfo: HTTP 503 Service Unavailable", err.Error())

	mapped := errors.New("program: invalid token")
	te := &FailedError{Preflight: true, Err: map[string]any{"InstructionError": []any{0.0, "InvalidArgument"}}, mapped: mapped}
	assert.ErrorIs(t, te, mapped)
	te.mapped = nil
	assert.Contains(t, te.Error(), `failed in preflight: {"InstructionError":[0,"InvalidArgument"]}`)
}
