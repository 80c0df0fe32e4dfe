package tokenstore

import (
	"context"
	"time"
)

// Claimer hands due sessions to one holder at a time among many processes
// sharing a store, for replicas of one backend: each call leases to
// p.Holder up to p.Limit sessions that are due (ValidUntil before
// p.Before) and that nobody holds (no lease, or an expired one), skipping
// sessions another caller is claiming at that moment, so two concurrent
// calls never return the same session. tokenstore/postgres implements it.
type Claimer interface {
	ClaimDue(ctx context.Context, p ClaimParams) ([]Claim, error)
}

// ClaimParams says what ClaimDue takes and for how long.
type ClaimParams struct {
	Holder string        // who holds the claimed sessions, as in Leaser.Acquire
	Before time.Time     // a session is due when its ValidUntil is before this
	Limit  int           // at most this many sessions; 1..10000
	TTL    time.Duration // the leases' time to live
}

// Claim is one claimed session: its record and the lease that holds it.
type Claim struct {
	Record Record
	Lease  Lease
}
