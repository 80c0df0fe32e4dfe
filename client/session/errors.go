package session

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

var (
	// ErrRevoked means the token was revoked through this process or is gone from the chain.
	ErrRevoked = errors.New("session: token revoked")
	// ErrWrongAuthority means the caller acts for an authority other than the token's.
	ErrWrongAuthority = errors.New("session: token belongs to another authority")
	// ErrMissingSigner means a target-program instruction lacks the session signer as signer.
	ErrMissingSigner = errors.New("session: instruction lacks the session signer as signer")
	// ErrMissingToken means a target-program instruction lacks the session token account.
	ErrMissingToken = errors.New("session: instruction lacks the session token account")
	// ErrMissingKey means the message needs a signature whose key was not supplied.
	ErrMissingKey = errors.New("session: no key for a required signer")
	// ErrTampered means a wallet-signed transaction is not the one that was prepared, or its
	// signatures do not verify.
	ErrTampered = errors.New("session: signed transaction differs from the prepared one")
	// ErrNotFound means no session token account exists at the address.
	ErrNotFound = errors.New("session: token account not found")
	// ErrMismatch means an on-chain token disagrees with what the caller expected of it.
	ErrMismatch = errors.New("session: token does not match the session")
	// ErrNoSweep means the ephemeral signer's lamports could not be swept in the revoke.
	ErrNoSweep = errors.New("session: ephemeral signer lamports not swept")
	// ErrDuplicate means a move would repeat an identical transaction that this session
	// already signed for the same blockhash, and cannot be made distinct.
	ErrDuplicate = errors.New("session: identical transaction already signed")
	// ErrBadParams means parameters that contradict each other or the instruction; the
	// message says how.
	ErrBadParams = errors.New("session: invalid parameters")
	// ErrClosed means the pool was closed.
	ErrClosed = errors.New("session: pool closed")
)

// UnfundedSignerError means a move failed before running because its fee payer, the
// session signer, has no lamports (AccountNotFound) or too few (InsufficientFundsForFee):
// the session was created without a top-up, or the top-up is spent. It unwraps to the
// send's error, which matches txn.ErrInsufficientFunds.
type UnfundedSignerError struct {
	Signer solana.PublicKey
	Err    error
}

func (e *UnfundedSignerError) Error() string {
	what := "no lamports"
	var te *txn.TransactionError
	if errors.As(e.Err, &te) && te.Name == "InsufficientFundsForFee" {
		what = "too few lamports"
	}
	return fmt.Sprintf("session: session signer %s has %s to pay fees (top it up, or pay with MoveParams.Payer): %v", e.Signer, what, e.Err)
}

func (e *UnfundedSignerError) Unwrap() error { return e.Err }

// unfunded names the session signer when err says that it, as fee payer, could not pay.
func unfunded(err error, signer solana.PublicKey, cfg *wrapConfig) error {
	var te *txn.TransactionError
	if cfg.payer != nil || !errors.As(err, &te) || (te.Name != "AccountNotFound" && te.Name != "InsufficientFundsForFee") {
		return err
	}
	return &UnfundedSignerError{Signer: signer, Err: err}
}
