// Package txn is the Solana transaction plumbing every other sessionkit package builds on:
// legacy and v0 message compilation, the redacting ed25519 signer, the Clock read and typed runtime errors.
//
// It knows no particular program: the gpl_session client (package client) declares its
// error codes as *ErrorCode values and parses with a Parser that names them.
package txn
