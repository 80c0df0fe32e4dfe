// Package sessionkit is the Go toolkit for Solana session keys: the player's wallet signs
// once to create a session token of the gpl_session program, and the game backend then signs
// every move with an ephemeral key the target program accepts on the token's word.
//
// This package holds no code; the work is in its subpackages. Reach first for:
//
//   - [github.com/sessionkit/sessionkit/client/session]: session.Dial gives a Manager that
//     creates sessions (with the authority's key, or prepared for the player's wallet to
//     sign), sends moves signed by the session key alone, renews and revokes them and sweeps
//     the unspent top-up back; session.NewPool keeps sessions for many players.
//   - [github.com/sessionkit/sessionkit/localnet]: localnet.Start runs a real local Solana
//     runtime with the session program and your target program, for tests and first steps.
//   - [github.com/sessionkit/sessionkit/tokenstore]: the ephemeral keys encrypted at rest,
//     shared by the processes of a backend.
//   - [github.com/sessionkit/sessionkit/client]: the program's instructions, accounts and
//     error codes, byte for byte, for code that builds its own transactions.
//   - [github.com/sessionkit/sessionkit/client/guard]: the rule deciding, from the compiled
//     message alone, whether a session key may sign it.
//
// The README's quick start is a whole program using them, and docs/architecture.md says
// where every package sits.
package sessionkit
