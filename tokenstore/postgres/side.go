package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sessionkit/sessionkit/tokenstore"
)

var (
	_ tokenstore.Reserver = (*Store)(nil)
	_ tokenstore.Attacher = (*Store)(nil)
)

// Reserve implements tokenstore.Reserver. The session's row is locked (FOR UPDATE) for
// the read-add-write of its sealed counters, so replicas sharing the database never hand
// out the same reservation twice; the total is durable when the transaction commits.
func (st *Store) Reserve(ctx context.Context, token solana.PublicKey, name string, n uint64) (uint64, error) {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	var total uint64
	err = pgx.BeginFunc(ctx, st.pool, func(tx pgx.Tx) error {
		var sealed []byte
		err := tx.QueryRow(ctx, `SELECT counters FROM sessions WHERE token = $1 FOR UPDATE`, token[:]).Scan(&sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", tokenstore.ErrNotFound, token)
		}
		if err != nil {
			return err
		}
		next, t, err := s.AddCounter(st.name("sessions/"+token.String()+".counters"), token, sealed, name, n)
		if err != nil {
			return err
		}
		total = t
		if n == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET counters = $2 WHERE token = $1`, token[:], next)
		return err
	})
	return total, wrap("reserve "+token.String(), err)
}

// Attach implements tokenstore.Attacher: written once, sealed with the store's key.
func (st *Store) Attach(ctx context.Context, token solana.PublicKey, name string, data []byte) error {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	sealed, err := s.SealAttachment(token, name, data)
	if err != nil {
		return err
	}
	_, err = st.pool.Exec(ctx, `INSERT INTO attachments (token, name, sealed) VALUES ($1, $2, $3)`, token[:], name, sealed)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: attachment %s of %s", tokenstore.ErrExists, name, token)
		case "23503": // foreign_key_violation: no such session
			return fmt.Errorf("%w: %s", tokenstore.ErrNotFound, token)
		}
	}
	return wrap("attach "+token.String(), err)
}

// Attachment implements tokenstore.Attacher.
func (st *Store) Attachment(ctx context.Context, token solana.PublicKey, name string) ([]byte, error) {
	s, release, err := st.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var sealed []byte
	err = st.pool.QueryRow(ctx, `SELECT sealed FROM attachments WHERE token = $1 AND name = $2`, token[:], name).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: attachment %s of %s", tokenstore.ErrNotFound, name, token)
	}
	if err != nil {
		return nil, wrap("attachment "+token.String(), err)
	}
	return s.OpenAttachment(st.name("attachments/"+token.String()+"/"+name), token, name, sealed)
}
