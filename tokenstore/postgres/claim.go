package postgres

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sessionkit/sessionkit/tokenstore"
)

const maxClaim = 10000

// ClaimDue implements tokenstore.Claimer with SELECT … FOR UPDATE SKIP LOCKED: rows
// another replica is claiming at that moment are skipped, not waited for, so concurrent
// callers split the due sessions between them and none gets a session twice. The
// sessions claimed are the earliest due (ValidUntil before p.Before) that nobody holds
// (no lease, or one expired by the database's clock); each gets a fresh lease for p.TTL.
//
// Claimed rows that fail to authenticate are leased all the same (so no other replica
// trips on them until the lease expires) but left out of the claims and reported in a
// *tokenstore.PartialError beside them.
func (st *Store) ClaimDue(ctx context.Context, p tokenstore.ClaimParams) ([]tokenstore.Claim, error) {
	if err := tokenstore.CheckLeaseRequest(p.Holder, p.TTL); err != nil {
		return nil, err
	}
	if p.Limit < 1 || p.Limit > maxClaim {
		return nil, fmt.Errorf("%w: limit %d outside 1..%d", ErrInvalidClaim, p.Limit, maxClaim)
	}
	s, release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := st.pool.Query(ctx, `WITH due AS (
			SELECT token FROM sessions
			WHERE valid_until < $1 AND (lease_id IS NULL OR lease_expires <= clock_timestamp())
			ORDER BY valid_until, token
			LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE sessions s SET lease_id = uuid_send(gen_random_uuid()), lease_holder = $3, lease_expires = `+fmt.Sprintf(leaseUntil, 4)+`
		FROM due WHERE s.token = due.token
		RETURNING s.token, s.program_id, s.version, s.authority, s.target_program, s.session_signer, s.fee_payer,
			s.valid_until, s.created_at, s.nonce, s.sealed, s.lease_id, s.lease_expires`,
		beforeUnix(p.Before), p.Limit, p.Holder, micros(p.TTL))
	if err != nil {
		return nil, wrap("claim", err)
	}
	defer rows.Close()
	var claims []tokenstore.Claim
	var bad []error
	for rows.Next() {
		var r row
		var id []byte
		var expires time.Time
		if err := rows.Scan(append(r.dest(), &id, &expires)...); err != nil {
			return nil, wrap("claim", err)
		}
		rec, key, err := st.open(s, &r)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		key.Zero()
		claims = append(claims, tokenstore.Claim{Record: rec, Lease: tokenstore.NewLease(rec.Token, p.Holder, expires, [tokenstore.LeaseIDSize]byte(id))})
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("claim", err)
	}
	sortClaims(claims)
	return claims, partial("claim", bad)
}

// beforeUnix is p.Before in unix seconds, rounded up, so ValidUntil < Before in seconds
// means what it says; a zero Before claims nothing.
func beforeUnix(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// sortClaims puts claims in List order: UPDATE … RETURNING has none of its own.
func sortClaims(claims []tokenstore.Claim) {
	slices.SortFunc(claims, func(a, b tokenstore.Claim) int {
		return cmp.Or(cmp.Compare(a.Record.ValidUntil, b.Record.ValidUntil), bytes.Compare(a.Record.Token[:], b.Record.Token[:]))
	})
}
