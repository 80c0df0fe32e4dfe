package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/jackc/pgx/v5"

	"github.com/sessionkit/sessionkit/tokenstore"
)

// A lease lives in its session's row and expires by the database's clock: replicas whose
// clocks disagree still agree on who holds what. ttl travels as microseconds.
const leaseUntil = `clock_timestamp() + $%d::bigint * interval '1 microsecond'`

func micros(ttl time.Duration) int64 { return max(ttl.Microseconds(), 1) }

// Acquire implements tokenstore.Leaser in one statement: the row is leased to holder
// unless an unexpired lease stands and takeover is not set.
func (st *Store) Acquire(ctx context.Context, token solana.PublicKey, holder string, ttl time.Duration, takeover bool) (tokenstore.Lease, error) {
	if err := tokenstore.CheckLeaseRequest(holder, ttl); err != nil {
		return tokenstore.Lease{}, err
	}
	_, release, err := st.acquire(ctx)
	if err != nil {
		return tokenstore.Lease{}, err
	}
	defer release()
	id := tokenstore.NewLeaseID()
	// The lease that stood in the way may end between the update and the read that
	// names it: then the update is tried once more.
	for attempt := 0; ; attempt++ {
		var expires time.Time
		err = st.pool.QueryRow(ctx, `UPDATE sessions SET lease_id = $2, lease_holder = $3, lease_expires = `+fmt.Sprintf(leaseUntil, 4)+`
			WHERE token = $1 AND ($5 OR lease_id IS NULL OR lease_expires <= clock_timestamp())
			RETURNING lease_expires`, token[:], id[:], holder, micros(ttl), takeover).Scan(&expires)
		if err == nil {
			return tokenstore.NewLease(token, holder, expires, id), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return tokenstore.Lease{}, wrap("acquire "+token.String(), err)
		}
		var cur *string
		var curExpires *time.Time
		var live bool
		err = st.pool.QueryRow(ctx, `SELECT lease_holder, lease_expires, coalesce(lease_expires > clock_timestamp(), false) FROM sessions WHERE token = $1`,
			token[:]).Scan(&cur, &curExpires, &live)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return tokenstore.Lease{}, fmt.Errorf("%w: %s", tokenstore.ErrNotFound, token)
		case err != nil:
			return tokenstore.Lease{}, wrap("acquire "+token.String(), err)
		case cur != nil && (live || attempt > 0):
			return tokenstore.Lease{}, &tokenstore.HeldError{Token: token, Holder: *cur, Expires: curExpires.UTC()}
		case attempt > 0:
			return tokenstore.Lease{}, &tokenstore.HeldError{Token: token, Holder: "(changing hands)", Expires: time.Now().UTC()}
		}
	}
}

// Renew implements tokenstore.Leaser.
func (st *Store) Renew(ctx context.Context, l tokenstore.Lease, ttl time.Duration) (tokenstore.Lease, error) {
	if err := tokenstore.CheckLeaseRequest(l.Holder, ttl); err != nil {
		return tokenstore.Lease{}, err
	}
	_, release, err := st.acquire(ctx)
	if err != nil {
		return tokenstore.Lease{}, err
	}
	defer release()
	id := l.ID()
	var expires time.Time
	err = st.pool.QueryRow(ctx, `UPDATE sessions SET lease_expires = `+fmt.Sprintf(leaseUntil, 3)+`
		WHERE token = $1 AND lease_id = $2 RETURNING lease_expires`, l.Token[:], id[:], micros(ttl)).Scan(&expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return tokenstore.Lease{}, st.lost(ctx, l.Token)
	}
	if err != nil {
		return tokenstore.Lease{}, wrap("renew "+l.Token.String(), err)
	}
	return tokenstore.NewLease(l.Token, l.Holder, expires, id), nil
}

// Release implements tokenstore.Leaser.
func (st *Store) Release(ctx context.Context, l tokenstore.Lease) error {
	_, release, err := st.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	id := l.ID()
	tag, err := st.pool.Exec(ctx, `UPDATE sessions SET lease_id = NULL, lease_holder = NULL, lease_expires = NULL
		WHERE token = $1 AND lease_id = $2`, l.Token[:], id[:])
	if err != nil {
		return wrap("release "+l.Token.String(), err)
	}
	if tag.RowsAffected() == 0 {
		return st.lost(ctx, l.Token)
	}
	return nil
}

// lost is the *tokenstore.LeaseLostError for token, naming its holder now if any.
func (st *Store) lost(ctx context.Context, token solana.PublicKey) error {
	var holder *string
	err := st.pool.QueryRow(ctx, `SELECT lease_holder FROM sessions WHERE token = $1`, token[:]).Scan(&holder)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return errors.Join(&tokenstore.LeaseLostError{Token: token}, wrap("lease of "+token.String(), err))
	}
	e := &tokenstore.LeaseLostError{Token: token}
	if holder != nil {
		e.Holder = *holder
	}
	return e
}

// Leases implements tokenstore.Leaser: every recorded lease, expired ones included,
// ordered by token.
func (st *Store) Leases(ctx context.Context) ([]tokenstore.Lease, error) {
	_, release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := st.pool.Query(ctx, `SELECT token, lease_holder, lease_expires, lease_id FROM sessions
		WHERE lease_id IS NOT NULL ORDER BY token`)
	if err != nil {
		return nil, wrap("leases", err)
	}
	defer rows.Close()
	var out []tokenstore.Lease
	var bad []error
	for rows.Next() {
		var token, id []byte
		var holder string
		var expires time.Time
		if err := rows.Scan(&token, &holder, &expires, &id); err != nil {
			return nil, wrap("leases", err)
		}
		if len(token) != 32 || len(id) != tokenstore.LeaseIDSize {
			bad = append(bad, &tokenstore.CorruptError{Path: st.name(fmt.Sprintf("sessions/%x", token)), Reason: "lease token or id has the wrong size"})
			continue
		}
		out = append(out, tokenstore.NewLease(solana.PublicKey(token), holder, expires, [tokenstore.LeaseIDSize]byte(id)))
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("leases", err)
	}
	return out, partial("leases", bad)
}
