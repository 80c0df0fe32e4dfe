package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/gagliardetto/solana-go/rpc/jsonrpc"

	"github.com/sessionkit/sessionkit/client"
	"github.com/sessionkit/sessionkit/client/sender"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/cmd/sessionkit/internal/solanacfg"
	"github.com/sessionkit/sessionkit/localnet"
)

// Exit codes. Scripts tell "the tool failed" (1, 2) from "the answer is no" (3).
const (
	ExitOK = 0
	// ExitError: the command could not do its job (RPC failure, transaction failed,
	// missing keypair, ...).
	ExitError = 1
	// ExitUsage: bad flags or arguments, e.g. a malformed address.
	ExitUsage = 2
	// ExitNegative: the command worked and the answer is negative — the token is not
	// found, not a session token (inspect, revoke), or invalid (validate).
	ExitNegative = 3
	// ExitInterrupted: stopped by Ctrl-C or SIGTERM before it finished (128 + SIGINT, as
	// shells report it).
	ExitInterrupted = 130
)

// exitError carries an exit code and an optional hint to the top level.
type exitError struct {
	code int
	err  error
	hint string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(hint string, format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...), hint: hint}
}

func negative(hint string, format string, args ...any) error {
	return &exitError{code: ExitNegative, err: fmt.Errorf(format, args...), hint: hint}
}

func failure(hint string, err error) error {
	return &exitError{code: ExitError, err: err, hint: hint}
}

// report prints err as "Error: <one line>" and "Hint: ..." on w and returns the exit
// code. Errors that are not *exitError come from cobra's own parsing: usage errors.
func (a *app) report(w io.Writer, err error, cmdPath string) int {
	if err == nil {
		return ExitOK
	}
	code, hint := ExitUsage, ""
	var ee *exitError
	if errors.As(err, &ee) {
		code, hint = ee.code, ee.hint
	}
	if code == ExitError && hint == "" {
		hint = a.hintFor(err)
	}
	if code == ExitUsage && hint == "" {
		hint = "run '" + cmdPath + " --help' for usage"
	}
	msg, detail, _ := strings.Cut(a.describe(err), "\n")
	fmt.Fprintln(w, "Error: "+a.oneLine(msg))
	if hint != "" {
		fmt.Fprintln(w, "Hint: "+a.oneLine(hint))
	}
	// Only a failed local runtime or npm install explains itself over several lines: the
	// end of its output follows the error.
	if lines := strings.Split(strings.TrimSpace(detail), "\n"); detail != "" {
		for _, l := range lines[max(0, len(lines)-maxDetailLines):] {
			fmt.Fprintln(w, "  | "+a.redact(l))
		}
	}
	return code
}

const maxDetailLines = 20

// describe replaces transport errors, whose text repeats the request URL, by what
// happened to which (redacted) endpoint, and solana-go's multi-line dumps of JSON-RPC
// errors by their code and message.
func (a *app) describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("cannot reach the cluster at %s: %s", solanacfg.Redact(ue.URL), rootCause(ue.Err))
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return "cannot reach the cluster: " + rootCause(oe)
	}
	msg := err.Error()
	var re *jsonrpc.RPCError
	if errors.As(err, &re) {
		short := fmt.Sprintf("JSON-RPC error %d: %s", re.Code, re.Message)
		if d, ok := re.Data.(string); ok && d != "" {
			short += ": " + d
		}
		msg = strings.Replace(msg, re.Error(), short, 1)
	}
	return msg
}

func rootCause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "cannot resolve " + dns.Name
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(err) {
		err = u
	}
	return err.Error()
}

// oneLine folds a message onto one line, redacted.
func (a *app) oneLine(s string) string { return strings.Join(strings.Fields(a.redact(s)), " ") }

// redact keeps credentials in the endpoint URLs (an API key in the path or query) out
// of s.
func (a *app) redact(s string) string {
	if a.env != nil && a.env.rpcURL != "" {
		s = strings.ReplaceAll(s, a.env.rpcURL, solanacfg.Redact(a.env.rpcURL))
	}
	if a.env != nil && a.env.wsURL != "" {
		s = strings.ReplaceAll(s, a.env.wsURL, solanacfg.Redact(a.env.wsURL))
	}
	return s
}

// hintFor suggests a next step for well-known failures.
func (a *app) hintFor(err error) string {
	var ue *url.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ue), errors.As(err, &oe):
		return "is a cluster running there? Start one with 'sessionkit localnet up', or choose another with -u (m, d, t, l or a URL)"
	case errors.Is(err, txn.ErrInsufficientFunds):
		return "fund the paying keypair first (on a local cluster: sessionkit airdrop 2 -u URL)"
	case errors.Is(err, client.ErrInvalidAuthority):
		return "an active V2 token can only be revoked with its authority's signature: pass the authority's keypair with -k"
	case errors.Is(err, txn.ErrConstraintExecutable):
		return "--target must be a deployed (executable) program"
	case errors.Is(err, txn.ErrInstructionFallbackNotFound):
		return "the deployed session program predates this instruction: use a newer deployment"
	case errors.Is(err, sender.ErrOutcomeUnknown):
		return "the transaction may still land: look its signature up before retrying"
	case errors.Is(err, localnet.ErrNodeMissing):
		return "the embedded local cluster runs on Node.js: apt-get install nodejs npm"
	}
	return ""
}
