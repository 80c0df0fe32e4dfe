// Package session runs the life of gpl_session session keys over RPC for game backends:
// create (with the authority's key or through the player's wallet), play, inspect, list,
// renew, revoke, and a pool of live sessions for many players.
//
// A [Manager] talks to the cluster and sends through a [sender.Sender]; a [Session] holds
// one ephemeral signer and wraps target-program instructions into transactions that the
// ephemeral key alone signs; a [Pool] keeps the sessions of many players, renews them
// ahead of expiry and persists them through a [Persister] (see [StorePersister]).
//
// [Dial] makes a Manager with its RPC client and sender for an endpoint.
//
// # Which kind to create
//
// [CreateParams.Kind] is explicit, because it decides who pays, who gets the rent back and
// who may revoke:
//
//   - [KindV1] (create_session): the authority pays rent, top-up and fee and gets the rent
//     back on revoke. Anyone may revoke a V1 token, so the backend can clean up (and sweep
//     the unspent top-up back to the player) without asking the wallet again. Choose it when
//     the player funds the session: the usual wallet flow.
//   - [KindV1WithPayer] (create_session_with_payer): a sponsor pays, yet the rent returns to
//     the authority on revoke. Choose it only when the backend sponsors sessions for a target
//     program that accepts V1 tokens alone (Account<SessionToken>).
//   - [KindV2] (create_session_v2): the payer is recorded in the token and gets the rent
//     back; only the authority may revoke an active token, anyone an expired one. Choose it
//     when the backend sponsors sessions and the target program accepts V2 tokens.
//
// Whatever the kind, the target program decides which token versions it accepts.
//
// A token with no live Session (found by List, past valid_until so that Resume refuses
// it, or restored from a store) is closed with [Manager.RevokeToken]; given the ephemeral
// key in [RevokeParams.SessionKey] it sweeps the signer's lamports as [Manager.Revoke]
// does.
//
// # On-chain caps
//
// What a session key can lose is what it holds: the chain enforces these caps even when
// the key leaks. The SOL cap is [CreateParams.TopUp]. Token caps ([CreateParams.Tokens])
// are set up in the one create transaction the wallet signs: a [TokenTopUp] moves the
// granted amount (a checked transfer; with a Token-2022 transfer fee, less the fee) into
// the session signer's own associated token account, a [TokenDelegate] approves the
// session signer on the authority's account for the amount (one delegate per account: a
// later approve replaces it). [Session.Caps] reads what is left of each cap. The caps
// granted travel in [Snapshot.Tokens] (a [StorePersister] keeps them as an authenticated
// attachment), so a resumed session still knows its allowances, and [Manager.Renew]
// grants them again.
//
// [Manager.Revoke], signed by the session key alone, moves every token left back to the
// authority's accounts, closes the session's token accounts (their rent to the payer who
// paid it), ends its allowances, closes the token and sweeps the SOL, in one transaction
// when it fits and otherwise in bounded steps that each read the chain afresh, so a
// revoke after a crash finishes the job. [Manager.RevokeAll] signs an authority out of
// every session at once. A store's key is deleted only once the chain shows its signer
// holds neither lamports nor token accounts.
//
// # Time
//
// Expiry is judged by the cluster's Clock sysvar, never by the local wall clock alone: a
// [Session] refuses to sign only when a reading of the cluster clock says the token has
// expired. Readings are cached for a bounded time ([WithClockMaxAge]) and extrapolated with
// the local monotonic clock in between, but an extrapolation that crosses valid_until only
// triggers a new reading; it never refuses by itself.
//
// # Errors
//
// Refusals are sentinel errors ([client.ErrExpired], [ErrRevoked], [guard.ErrForeignProgram],
// ...), with [*guard.RefusedError] naming the offending instruction.
//
// # What a session key signs
//
// Every move is judged from its compiled message before the session key signs it
// (package guard): the key may pay the fee, sign for the target program, carry Compute
// Budget instructions within [WithComputeCaps], and appear in programs allowed with
// [Session.AllowPrograms]; nothing else. Every move also carries a compute-unit-limit
// instruction that encodes the Session's random salt, so two processes holding the same
// key (which they should not) never sign the same move into one transaction. Failed transactions carry the
// client package's typed errors, so errors.Is(err, client.ErrInvalidToken) and friends
// hold with any sender; a Manager from [Dial] also names the session program's codes in
// the messages.
//
// # Grants
//
// [CreateParams.Grant] binds a session with a permission grant (package client/grant) that
// the player signs: its hash goes into a Memo of the create transaction, the grant into the
// Snapshot and the store, and [Manager.CheckGrant] compares the two. Before every signature
// the guard judges the grant's per-transaction bounds from the compiled message (allowed
// instructions, SOL and token spend, compute caps: a *guard.RefusedError) and the session
// its stateful ones (totals, max uses, rate, valid-after: a [*BoundError] matching
// [ErrBound]). With [WithStore], the counters are reserved in the store before signing, in
// blocks (64 moves, a sixteenth of a spend total), so they survive restarts: a restarted
// process counts every reserved unit as used, so a crash forfeits at most the unused rest
// of a block and never lets the session past its bound. A move counts once, when first
// signed, whether or not it lands. The rate is counted in memory: a restart opens a new
// window. These bounds stop a bug or compromised game logic in the backend, not a holder
// of the raw key: what the key holds (its top-ups) is the only cap the chain enforces.
//
// [Session.Remaining] puts both side by side: the chain's caps (SOL, token top-ups,
// delegate allowances) and the grant's budgets (moves, lamports, tokens left), each
// documented with the place that enforces it; [GrantBudgets] reads the budgets of a
// session another process holds, from its store.
package session
