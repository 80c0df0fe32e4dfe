package session

import (
	"errors"
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
