// Package postgres is a tokenstore.Store, Leaser, Claimer, Reserver and Attacher kept in
// PostgreSQL, for backend replicas on many hosts that share one set of sessions.
//
// Records are sealed exactly as tokenstore.Dir seals them ([tokenstore.Sealer]): a row
// holds the session's public fields in clear and its seed encrypted, and the AEAD binds
// every public column, so a row edited with SQL fails Get with a *tokenstore.CorruptError
// naming its token. The database sees no secret: its access control guards the leases
// and the availability of the rows, the credential guards the keys. A session's counters
// (a grant's reservations) and attachments (its grant) are sealed as Dir seals its side
// files, so an edited or transplanted value fails to open; Reserve locks the session's row
// for its read-add-write, so two replicas never reserve the same block.
//
// The tables live in one schema (default "sessionkit", or the URL's search_path, or
// [WithSchema]); Create and Open apply the embedded, versioned migrations under an
// advisory lock, so replicas starting together do not race. Leases expire by the
// database's clock, so replicas on hosts whose clocks differ agree on who holds what.
package postgres
