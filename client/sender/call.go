package sender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"
)

// caller runs JSON-RPC calls through an rpc.Client's raw callback API, which exposes the
// HTTP status and headers that solana-go's typed methods hide (a 429 with a JSON body
// would otherwise look like success, and Retry-After is lost).
type caller struct {
	client  *rpc.Client
	retry   RetryPolicy
	timeout time.Duration
	log     *slog.Logger
}

// maxResponseBytes bounds a response body; the largest answers the sender asks for are
// getTransaction results with logs.
const maxResponseBytes = 16 << 20

type envelope struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

// once makes a single attempt. Every failure is an *RPCError.
func (c *caller) once(ctx context.Context, method string, params []any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	err := c.client.RPCCallWithCallback(ctx, method, params, func(_ *http.Request, resp *http.Response) error {
		return decode(method, resp, out)
	})
	if err == nil {
		return nil
	}
	var re *RPCError
	if errors.As(err, &re) {
		return re
	}
	// jsonrpc wraps transport errors as "rpc call m() on <url>: <*url.Error>"; keep only
	// the innermost cause so the endpoint (and any API key in it) stays out of errors.
	cause := err
	if inner := errors.Unwrap(err); inner != nil {
		cause = inner
	}
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err
	}
	return &RPCError{Method: method, Err: cause}
}

func decode(method string, resp *http.Response, out any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return &RPCError{Method: method, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("read response: %w", err)}
	}
	var env envelope
	jsonErr := json.Unmarshal(body, &env)
	if resp.StatusCode/100 != 2 {
		re := &RPCError{Method: method, HTTPStatus: resp.StatusCode,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
		if jsonErr == nil && env.Error != nil {
			re.Code, re.Message, re.Data = env.Error.Code, env.Error.Message, env.Error.Data
		}
		return re
	}
	if jsonErr != nil {
		// A cut-off body is a transport failure and worth retrying.
		return &RPCError{Method: method, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("decode response: %w", jsonErr)}
	}
	if env.Error != nil {
		return &RPCError{Method: method, HTTPStatus: resp.StatusCode,
			Code: env.Error.Code, Message: env.Error.Message, Data: env.Error.Data}
	}
	if out == nil || len(env.Result) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return &RPCError{Method: method, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("decode result: %w", err), permanent: true}
	}
	return nil
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// call retries once under the policy while the failure is retryable.
func (c *caller) call(ctx context.Context, method string, params []any, out any) error {
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, method, params, out)
		if err == nil {
			return nil
		}
		re := err.(*RPCError)
		if ctx.Err() != nil || !re.Retryable() || attempt >= c.retry.MaxAttempts {
			return err
		}
		if err := c.backoff(ctx, method, attempt, re); err != nil {
			return err
		}
	}
}

// backoff waits before the next attempt, honouring Retry-After.
func (c *caller) backoff(ctx context.Context, method string, attempt int, re *RPCError) error {
	d := max(c.retry.delay(attempt, rand.Float64()), re.RetryAfter)
	c.log.Debug("sender: retrying RPC call", "method", method, "attempt", attempt, "wait", d, "err", re)
	return sleep(ctx, d)
}

type epochInfo struct {
	AbsoluteSlot uint64 `json:"absoluteSlot"`
	BlockHeight  uint64 `json:"blockHeight"`
}

// epochInfo reads the slot and block height at the commitment in one answer, so both
// come from the same node at the same moment.
func (c *caller) epochInfo(ctx context.Context, commitment rpc.CommitmentType) (epochInfo, error) {
	var ei epochInfo
	err := c.call(ctx, "getEpochInfo", []any{map[string]any{"commitment": commitment}}, &ei)
	return ei, err
}

type sigStatus struct {
	Slot               uint64  `json:"slot"`
	Confirmations      *uint64 `json:"confirmations"`
	Err                any     `json:"err"`
	ConfirmationStatus string  `json:"confirmationStatus"`
}

// reached reports whether the status is at least the commitment. Nodes that predate
// confirmationStatus report a rooted transaction with null confirmations.
func (s *sigStatus) reached(c rpc.CommitmentType) bool {
	level := s.ConfirmationStatus
	if level == "" && s.Confirmations == nil {
		level = string(rpc.ConfirmationStatusFinalized)
	}
	switch c {
	case rpc.CommitmentFinalized:
		return level == string(rpc.ConfirmationStatusFinalized)
	default:
		return level == string(rpc.ConfirmationStatusConfirmed) || level == string(rpc.ConfirmationStatusFinalized)
	}
}

type statusesResult struct {
	Context struct {
		Slot uint64 `json:"slot"`
	} `json:"context"`
	Value []*sigStatus `json:"value"`
}

// maxStatusBatch is the most signatures getSignatureStatuses accepts in one call.
const maxStatusBatch = 256

func (c *caller) statuses(ctx context.Context, sigs []solana.Signature, history bool) (statusesResult, error) {
	var res statusesResult
	params := []any{sigs}
	if history {
		params = append(params, map[string]any{"searchTransactionHistory": true})
	}
	if err := c.call(ctx, "getSignatureStatuses", params, &res); err != nil {
		return res, err
	}
	if len(res.Value) != len(sigs) {
		return res, &RPCError{Method: "getSignatureStatuses", HTTPStatus: http.StatusOK,
			Err: fmt.Errorf("%d statuses for %d signatures", len(res.Value), len(sigs)), permanent: true}
	}
	return res, nil
}
