package sessionweb

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/guard"
	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Error codes of the JSON errors the handlers answer with.
const (
	CodeBadRequest     = "bad_request"
	CodeForbidden      = "forbidden_origin"
	CodeUnknownSession = "unknown_session"
	CodeRateLimited    = "rate_limited"
	CodeRefused        = "refused"         // the signing guard refused the message; Bound names the rule
	CodeBound          = "bound"           // the session's grant refused the move; Bound names it
	CodeFeePayer       = "fee_payer"       // the message's fee payer is not the relay
	CodeSignature      = "bad_signature"   // the session signer's signature does not verify
	CodeTampered       = "tampered"        // the signed transaction differs from the prepared one
	CodeRevoked        = "revoked"         // the session is revoked
	CodeExpired        = "expired"         // the session is past valid_until by cluster time
	CodeWrongMode      = "wrong_mode"      // the call is for the other key mode
	CodeTimeout        = "timeout"         // the request ran out of time
	CodeFailed         = "failed"          // the cluster or the sender failed
	CodeTooLarge       = "request_too_big" // the body is over the limit
)

// Error is the body of every refusal: {"error": {...}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Bound, for CodeRefused and CodeBound, names the refused rule or bound (a guard
	// rule such as "instruction-not-allowed", a grant bound such as "max-uses").
	Bound  string `json:"bound,omitempty"`
	status int
}

func (e *Error) Error() string {
	if e.Bound != "" {
		return "sessionweb: " + e.Code + " (" + e.Bound + "): " + e.Message
	}
	return "sessionweb: " + e.Code + ": " + e.Message
}

func newError(status int, code, msg string) *Error {
	return &Error{status: status, Code: code, Message: msg}
}

// guardRules names the guard's refusals for the JSON errors.
var guardRules = []struct {
	err  error
	name string
}{
	{guard.ErrInstructionNotAllowed, "instruction-not-allowed"},
	{guard.ErrForeignProgram, "foreign-program"},
	{guard.ErrComputeBudget, "compute-budget"},
	{guard.ErrSignerAsProgram, "signer-as-program"},
	{guard.ErrMalformed, "malformed"},
	{guard.ErrLookupTables, "lookup-tables"},
	{guard.ErrSpendLimit, "spend-limit"},
	{guard.ErrTokenAccount, "token-account"},
	{guard.ErrSpendInstruction, "spend-instruction"},
	{session.ErrMissingSigner, "missing-signer"},
	{session.ErrMissingToken, "missing-token"},
}

// classify turns an error of the layers below into the JSON error the client sees. Their
// messages name public data only (addresses, amounts), never a key.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var bound *session.BoundError
	if errors.As(err, &bound) {
		return &Error{status: http.StatusForbidden, Code: CodeBound, Bound: bound.Bound, Message: err.Error()}
	}
	var refused *guard.RefusedError
	if errors.As(err, &refused) {
		out := &Error{status: http.StatusForbidden, Code: CodeRefused, Bound: "guard", Message: err.Error()}
		for _, r := range guardRules {
			if errors.Is(err, r.err) {
				out.Bound = r.name
				break
			}
		}
		return out
	}
	switch {
	case errors.Is(err, session.ErrTampered):
		return &Error{status: http.StatusBadRequest, Code: CodeTampered, Message: err.Error()}
	case errors.Is(err, session.ErrRevoked):
		return &Error{status: http.StatusGone, Code: CodeRevoked, Message: err.Error()}
	case errors.Is(err, client.ErrExpired):
		return &Error{status: http.StatusGone, Code: CodeExpired, Message: err.Error()}
	case errors.Is(err, session.ErrBadParams), errors.Is(err, txn.ErrSigner):
		return &Error{status: http.StatusBadRequest, Code: CodeBadRequest, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{status: http.StatusGatewayTimeout, Code: CodeTimeout, Message: err.Error()}
	}
	return &Error{status: http.StatusBadGateway, Code: CodeFailed, Message: err.Error()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.status, struct {
		Error *Error `json:"error"`
	}{e})
}
