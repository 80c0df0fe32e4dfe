package sender

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gagliardetto/solana-go"
)

var (
	// ErrBlockhashExpired means every transaction signed for the action expired without
	// landing, and the signing budget (WithMaxSignings) is spent. None of them can land
	// any more: the action was not applied.
	ErrBlockhashExpired = errors.New("sender: blockhash expired on every signed transaction")
	// ErrOutcomeUnknown means a transaction may have reached the cluster but the sender
	// could not prove whether it landed (the RPC kept failing, ctx ended or the Sender was
	// closed). The action may or may not have been applied; look its signatures up.
	ErrOutcomeUnknown = errors.New("sender: outcome unknown")
	// ErrClosed means the Sender or BlockhashCache was closed.
	ErrClosed = errors.New("sender: closed")
	// ErrInvalidTransaction means the build function returned bytes the sender cannot
	// send (malformed, not fully signed, too large, or for another blockhash).
	ErrInvalidTransaction = errors.New("sender: unusable transaction from build function")
	// ErrTransactionNotFound means the cluster does not know the signature at the
	// sender's commitment.
	ErrTransactionNotFound = errors.New("sender: transaction not found")
)

// SendError is returned when an action ends without a landed transaction to report. Err
// is ErrBlockhashExpired or ErrOutcomeUnknown; Signatures lists every transaction signed
// for the action, oldest first, so that an unknown outcome can be resolved later; Cause
// is the failure that stopped the sender, if any (an *RPCError, ctx.Err(), ErrClosed).
type SendError struct {
	Err        error
	Signatures []solana.Signature
	Cause      error
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if len(e.Signatures) > 0 {
		b.WriteString(" (signatures ")
		for i, s := range e.Signatures {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.String())
		}
		b.WriteString(")")
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap makes errors.Is match both the sentinel and the cause.
func (e *SendError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// FailedError is a transaction the cluster executed and failed: in preflight
// simulation (Preflight true: it never reached a leader and no fee was charged) or on
// chain (Slot set: the fee was charged and the action did not take effect). Err is the
// cluster's FailedError as decoded JSON, for example
// map[string]any{"InstructionError": []any{0.0, map[string]any{"Custom": 6000.0}}}.
// Unwrap returns the ErrorMapper's typed error; by default that of
// txn.ParseTransactionError, e.g. a *txn.ProgramError matching
// client.ErrInvalidToken.
type FailedError struct {
	Signature solana.Signature
	Slot      uint64
	Preflight bool
	Err       any
	Logs      []string
	mapped    error
}

func (e *FailedError) Error() string {
	where := "on chain"
	if e.Preflight {
		where = "in preflight"
	}
	reason := e.mapped
	if reason == nil {
		raw, _ := json.Marshal(e.Err)
		reason = errors.New(string(raw))
	}
	return fmt.Sprintf("sender: transaction %s failed %s: %v", e.Signature, where, reason)
}

// Unwrap returns the typed program error, or nil when the ErrorMapper had none.
func (e *FailedError) Unwrap() error { return e.mapped }

// RPCError is a JSON-RPC call that failed after the sender's retries: an HTTP error
// status, a JSON-RPC error object, or a transport failure (Err). It never contains the
// endpoint URL, which may carry an API key.
type RPCError struct {
	Method     string
	HTTPStatus int // 0 when no HTTP response arrived
	Code       int // JSON-RPC error code; 0 without a JSON-RPC error object
	Message    string
	Data       json.RawMessage
	RetryAfter time.Duration // from a Retry-After header
	Err        error

	// permanent marks a response that arrived whole but could not be decoded.
	permanent bool
}

func (e *RPCError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sender: %s: ", e.Method)
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "JSON-RPC error %d: %s", e.Code, e.Message)
	case e.HTTPStatus != 0 && e.HTTPStatus/100 != 2:
		fmt.Fprintf(&b, "HTTP %d %s", e.HTTPStatus, http.StatusText(e.HTTPStatus))
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("failed")
	}
	return b.String()
}

func (e *RPCError) Unwrap() error { return e.Err }

// Retryable reports whether repeating the same call may succeed: HTTP 408, 429 and 5xx,
// transport failures and timeouts, and the JSON-RPC codes of a node that is behind or
// unhealthy.
func (e *RPCError) Retryable() bool {
	switch {
	case e.overloaded():
		return true
	case e.HTTPStatus >= 400:
		return false
	case e.Code != 0:
		return retryableCodes[e.Code]
	default:
		return !e.permanent
	}
}

// overloaded reports HTTP 408, 429 or 5xx: the server or a gateway in front of it could
// not answer now, without saying whether the request was seen.
func (e *RPCError) overloaded() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus == http.StatusRequestTimeout ||
		e.HTTPStatus >= 500
}

// retryableCodes are JSON-RPC errors of a node that may answer differently soon.
var retryableCodes = map[int]bool{
	-32603: true, // internal error
	-32005: true, // node is unhealthy / behind
	-32016: true, // minimum context slot not reached
}

// rejected reports whether the server answered and refused the request, so that a
// sendTransaction carrying it cannot have been forwarded to a leader. Gateways answer
// 429 and 5xx without saying whether the node saw the request, so those do not count.
func (e *RPCError) rejected() bool {
	switch {
	case e.overloaded():
		return false
	case e.HTTPStatus >= 400:
		return true
	default:
		return e.HTTPStatus != 0 && e.Code != 0
	}
}

// undelivered reports a failure to connect: the request never left the client.
func (e *RPCError) undelivered() bool {
	var op *net.OpError
	return e.HTTPStatus == 0 && errors.As(e.Err, &op) && op.Op == "dial"
}

// simulation is the data of a preflight failure (-32002).
type simulation struct {
	Err  any      `json:"err"`
	Logs []string `json:"logs"`
}

func (e *RPCError) simulation() (simulation, bool) {
	var s simulation
	if e.Code == 0 || len(e.Data) == 0 || json.Unmarshal(e.Data, &s) != nil || s.Err == nil {
		return simulation{}, false
	}
	return s, true
}

// alreadyProcessed recognises the answer for a signature the cluster has executed. Agave
// puts "AlreadyProcessed" in the preflight data; surfpool only says so in the message.
func (e *RPCError) alreadyProcessed() bool {
	if s, ok := e.simulation(); ok && s.Err == "AlreadyProcessed" {
		return true
	}
	return e.Code != 0 && strings.Contains(e.Message, "already been processed")
}

func (e *RPCError) blockhashNotFound() bool {
	s, ok := e.simulation()
	return ok && s.Err == "BlockhashNotFound"
}
