package client

import (
	"github.com/sessionkit/sessionkit/client/txn"
)

// Program errors (#[error_code] SessionError, numbered from 6000). Target programs that
// use the session macros raise the same numbers themselves. errors.Is matches them
// against any *txn.ProgramError of the number, whichever parser made it;
// ParseTransactionError also names them in messages.
var (
	// ErrValidityTooLong (6000): valid_until is more than the deployment's maximum
	// validity after the clock. The create builders return it before anything is sent.
	ErrValidityTooLong = txn.NewErrorCode(6000, "ValidityTooLong", "Requested validity is too long",
		"client: requested validity is too long")
	// ErrInvalidToken (6001): the token's PDA does not match or the token has expired.
	ErrInvalidToken = txn.NewErrorCode(6001, "InvalidToken", "Invalid session token",
		"client: invalid session token")
	// ErrNoToken (6002): no session token provided.
	ErrNoToken = txn.NewErrorCode(6002, "NoToken", "No session token provided",
		"client: no session token provided")
	// ErrInvalidAuthority (6003): revoke_session_v2 of an active token without the
	// authority's signature.
	ErrInvalidAuthority = txn.NewErrorCode(6003, "InvalidAuthority", "Invalid authority",
		"client: invalid authority")
)

var (
	errorCodes  = []*txn.ErrorCode{ErrValidityTooLong, ErrInvalidToken, ErrNoToken, ErrInvalidAuthority}
	errorParser = txn.NewParser(errorCodes...)
)

// ParseTransactionError is txn.Parser.TransactionError with the session program's
// codes named: the error mapper to give a sender (sender.WithErrorMapper) whose
// transactions call the session program or a target program using its macros.
func ParseTransactionError(v any, logs []string) error { return errorParser.TransactionError(v, logs) }
