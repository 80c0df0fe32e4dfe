package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/jackc/pgx/v5"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// recordCols are a row's record columns, in scanRow's order.
const recordCols = `token, program_id, version, authority, target_program, session_signer, fee_payer, valid_until, created_at, nonce, sealed`

// row is one sessions row as read, before it is authenticated.
type row struct {
	token, programID, authority, target, signer, feePayer []byte
	version                                               int16
	validUntil, createdAt                                 int64
	nonce, sealed                                         []byte
}

func (r *row) dest() []any {
	return []any{&r.token, &r.programID, &r.version, &r.authority, &r.target, &r.signer, &r.feePayer, &r.validUntil, &r.createdAt, &r.nonce, &r.sealed}
}

// sealed turns r into what the Sealer opens; a column of the wrong shape is a
// *tokenstore.CorruptError naming the row.
func (st *Store) sealedRecord(r *row) (tokenstore.SealedRecord, string, error) {
	name := st.name("sessions/")
	var token solana.PublicKey
	if len(r.token) == len(token) {
		copy(token[:], r.token)
		name += token.String()
	} else {
		name += fmt.Sprintf("%x", r.token)
	}
	rec := tokenstore.Record{ValidUntil: r.validUntil, CreatedAt: time.Unix(0, r.createdAt).UTC(), Token: token}
	for _, k := range []struct {
		col string
		src []byte
		dst *solana.PublicKey
	}{
		{"token", r.token, &rec.Token}, {"program_id", r.programID, &rec.ProgramID}, {"authority", r.authority, &rec.Authority},
		{"target_program", r.target, &rec.TargetProgram}, {"session_signer", r.signer, &rec.SessionSigner}, {"fee_payer", r.feePayer, &rec.FeePayer},
	} {
		if len(k.src) != 32 {
			return tokenstore.SealedRecord{}, name, &tokenstore.CorruptError{Path: name, Reason: fmt.Sprintf("%s is %d bytes, want 32", k.col, len(k.src))}
		}
		copy(k.dst[:], k.src)
	}
	if r.version != int16(pda.V1) && r.version != int16(pda.V2) {
		return tokenstore.SealedRecord{}, name, &tokenstore.CorruptError{Path: name, Reason: fmt.Sprintf("unknown session version %d", r.version)}
	}
	rec.Version = pda.Version(r.version)
	return tokenstore.SealedRecord{Record: rec, Nonce: r.nonce, Sealed: r.sealed}, name, nil
}

// open authenticates r and returns its record and key.
func (st *Store) open(s *tokenstore.Sealer, r *row) (tokenstore.Record, *txn.SessionKey, error) {
	sr, name, err := st.sealedRecord(r)
	if err != nil {
		return tokenstore.Record{}, nil, err
	}
	key, err := s.Open(name, sr)
	if err != nil {
		return tokenstore.Record{}, nil, err
	}
	return sr.Record, key, nil
}

// Put stores rec and the seed of key in one row. With PostgreSQL's default
// synchronous_commit the row is durable (in the WAL, flushed) when Put returns. A token
// already stored fails with tokenstore.ErrExists.
func (st *Store) Put(ctx context.Context, rec tokenstore.Record, key *txn.SessionKey) error {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	sr, err := s.Seal(rec, key, time.Now())
	if err != nil {
		return err
	}
	r := sr.Record
	tag, err := st.pool.Exec(ctx, `INSERT INTO sessions (`+recordCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (token) DO NOTHING`,
		r.Token[:], r.ProgramID[:], int16(r.Version), r.Authority[:], r.TargetProgram[:], r.SessionSigner[:], r.FeePayer[:],
		r.ValidUntil, r.CreatedAt.UnixNano(), sr.Nonce, sr.Sealed)
	if err != nil {
		return wrap("put "+r.Token.String(), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", tokenstore.ErrExists, r.Token)
	}
	return nil
}

// Get returns the record and a fresh copy of the key stored for token, or
// tokenstore.ErrNotFound. A row that fails to authenticate (a column edited, a row
// copied from another store) is a *tokenstore.CorruptError naming the token.
func (st *Store) Get(ctx context.Context, token solana.PublicKey) (tokenstore.Record, *txn.SessionKey, error) {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return tokenstore.Record{}, nil, err
	}
	defer release()
	var r row
	err = st.pool.QueryRow(ctx, `SELECT `+recordCols+` FROM sessions WHERE token = $1`, token[:]).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return tokenstore.Record{}, nil, fmt.Errorf("%w: %s", tokenstore.ErrNotFound, token)
	}
	if err != nil {
		return tokenstore.Record{}, nil, wrap("get "+token.String(), err)
	}
	return st.open(s, &r)
}

// List returns the records matching f, each one authenticated, earliest ValidUntil
// first and ties by token. Rows that fail to authenticate are left out and reported in a
// *tokenstore.PartialError beside the sound records.
func (st *Store) List(ctx context.Context, f tokenstore.Filter) ([]tokenstore.Record, error) {
	// One statement per filter, so each plan uses its index.
	var where string
	var args []any
	switch {
	case !f.Authority.IsZero() && !f.TargetProgram.IsZero():
		where, args = `WHERE authority = $1 AND target_program = $2`, []any{f.Authority[:], f.TargetProgram[:]}
	case !f.Authority.IsZero():
		where, args = `WHERE authority = $1`, []any{f.Authority[:]}
	case !f.TargetProgram.IsZero():
		where, args = `WHERE target_program = $1`, []any{f.TargetProgram[:]}
	}
	return st.list(ctx, "list", where, args...)
}

// ListExpired returns the records expired at now (see tokenstore.Record.Expired), in
// List's order and with its error semantics.
func (st *Store) ListExpired(ctx context.Context, now time.Time) ([]tokenstore.Record, error) {
	return st.list(ctx, "list", `WHERE valid_until <= $1`, now.Unix())
}

func (st *Store) list(ctx context.Context, op, where string, args ...any) ([]tokenstore.Record, error) {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rows, err := st.pool.Query(ctx, `SELECT `+recordCols+` FROM sessions `+where+` ORDER BY valid_until, token`, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var recs []tokenstore.Record
	var bad []error
	for rows.Next() {
		var r row
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, wrap(op, err)
		}
		rec, key, err := st.open(s, &r)
		if err != nil {
			bad = append(bad, err)
			continue
		}
		key.Zero()
		recs = append(recs, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
	}
	return recs, partial(op, bad)
}

// partial is nil or the *tokenstore.PartialError for bad, which is in token order.
func partial(op string, bad []error) error {
	if len(bad) == 0 {
		return nil
	}
	return &tokenstore.PartialError{Op: op, Files: bad}
}

// Delete removes the session for token and its lease, or returns tokenstore.ErrNotFound.
func (st *Store) Delete(ctx context.Context, token solana.PublicKey) error {
	_, release, err := st.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	tag, err := st.pool.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token[:])
	if err != nil {
		return wrap("delete "+token.String(), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", tokenstore.ErrNotFound, token)
	}
	return nil
}

// Prune deletes the records expired at now that authenticate and returns how many; rows
// that do not are left in place and reported in a *tokenstore.PartialError. As with
// tokenstore.Dir.Prune, an expired session's signer may still hold top-up lamports:
// a pool's cleanup (revoke with sweep) is the way to get them back before the key goes.
func (st *Store) Prune(ctx context.Context, now time.Time) (int, error) {
	recs, err := st.ListExpired(ctx, now)
	var pe *tokenstore.PartialError
	if err != nil && !errors.As(err, &pe) {
		return 0, err
	}
	tokens := make([][]byte, len(recs))
	for i := range recs {
		tokens[i] = recs[i].Token[:]
	}
	_, release, aerr := st.acquire(ctx)
	if aerr != nil {
		return 0, aerr
	}
	defer release()
	tag, derr := st.pool.Exec(ctx, `DELETE FROM sessions WHERE token = ANY($1) AND valid_until <= $2`, tokens, now.Unix())
	if derr != nil {
		return 0, errors.Join(err, wrap("prune", derr))
	}
	if pe != nil {
		pe.Op = "prune"
	}
	return int(tag.RowsAffected()), err
}
