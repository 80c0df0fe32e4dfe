package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
	"github.com/sessionkit/sessionkit/tokenstore/postgres/pgtest"
	"github.com/sessionkit/sessionkit/tokenstore/storetest"
)

var testKey = bytes.Repeat([]byte{0x5e}, 32)

// newStore creates a store in a schema of its own, closed and dropped after the test.
func newStore(t *testing.T, opts ...postgres.Option) (*postgres.Store, string, string) {
	t.Helper()
	url, schema := pgtest.Schema(t)
	st, err := postgres.Create(t.Context(), url, tokenstore.MasterKey(testKey), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st, url, schema
}

// sql runs one statement on the schema, as an operator (or an intruder) would.
func sql(t *testing.T, url, schema, q string, args ...any) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(t.Context()))
	_, err = conn.Exec(t.Context(), `SET search_path TO `+pgx.Identifier{schema}.Sanitize())
	require.NoError(t, err)
	tag, err := conn.Exec(t.Context(), q, args...)
	require.NoError(t, err)
	return tag.RowsAffected()
}

func TestPostgresContract(t *testing.T) {
	open := func(t *testing.T) tokenstore.Store { st, _, _ := newStore(t); return st }
	t.Run("Store", func(t *testing.T) { storetest.Run(t, open) })
	t.Run("Leaser", func(t *testing.T) { storetest.RunLeaser(t, open) })
	t.Run("Reserver", func(t *testing.T) {
		storetest.RunReserver(t, func(t *testing.T) storetest.ReserverStore { st, _, _ := newStore(t); return st })
	})
}

func TestPostgresEditedRowFailsNamingToken(t *testing.T) {
	cols := []struct{ col, set string }{
		{"authority", `authority = decode(repeat('01', 32), 'hex')`},
		{"target_program", `target_program = decode(repeat('02', 32), 'hex')`},
		{"fee_payer", `fee_payer = decode(repeat('03', 32), 'hex')`},
		{"valid_until", `valid_until = valid_until + 86400`},
		{"created_at", `created_at = created_at + 1`},
		{"version", `version = 3 - version`},
		{"program_id", `program_id = decode(repeat('04', 32), 'hex')`},
		{"nonce", `nonce = decode(repeat('05', 24), 'hex')`},
		{"sealed", `sealed = overlay(sealed placing '\xff'::bytea from 1)`},
	}
	for _, c := range cols {
		t.Run(c.col, func(t *testing.T) {
			st, url, schema := newStore(t)
			for i := range 3 {
				rec, key := storetest.Session(t, i)
				require.NoError(t, st.Put(t.Context(), rec, key))
			}
			rec, _ := storetest.Session(t, 1)
			require.EqualValues(t, 1, sql(t, url, schema, `UPDATE sessions SET `+c.set+` WHERE token = $1`, rec.Token[:]))

			_, _, err := st.Get(t.Context(), rec.Token)
			var ce *tokenstore.CorruptError
			require.ErrorAs(t, err, &ce)
			require.ErrorIs(t, err, tokenstore.ErrCorrupt)
			assert.Equal(t, schema+".sessions/"+rec.Token.String(), ce.Path)
			assert.Contains(t, err.Error(), rec.Token.String())

			recs, err := st.List(t.Context(), tokenstore.Filter{})
			var pe *tokenstore.PartialError
			require.ErrorAs(t, err, &pe)
			require.Len(t, pe.Files, 1)
			assert.Contains(t, pe.Files[0].Error(), rec.Token.String())
			require.Len(t, recs, 2, "the sound rows are still listed")
		})
	}
}

func TestPostgresRowOfAnotherStoreFails(t *testing.T) {
	a, url, schemaA := newStore(t)
	b, _, schemaB := newStore(t)
	rec, key := storetest.Session(t, 0)
	require.NoError(t, a.Put(t.Context(), rec, key))
	// Same credential, different store id: a row copied across does not open.
	sql(t, url, schemaB, `INSERT INTO sessions SELECT * FROM `+pgx.Identifier{schemaA}.Sanitize()+`.sessions`)
	_, _, err := b.Get(t.Context(), rec.Token)
	require.ErrorIs(t, err, tokenstore.ErrCorrupt)
}

func TestPostgresOpen(t *testing.T) {
	st, url, schema := newStore(t, postgres.WithKDF(tokenstore.LightArgon2))
	require.NoError(t, st.Close())

	_, err := postgres.Create(t.Context(), url, tokenstore.MasterKey(testKey), postgres.WithSchema(schema))
	require.ErrorIs(t, err, postgres.ErrStoreExists)

	_, err = postgres.Open(t.Context(), url, tokenstore.MasterKey(bytes.Repeat([]byte{1}, 32)), postgres.WithSchema(schema))
	require.ErrorIs(t, err, tokenstore.ErrWrongKey)

	st, err = postgres.Open(t.Context(), url, tokenstore.MasterKey(testKey), postgres.WithSchema(schema))
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// The schema may come from the URL's search_path.
	st, err = postgres.Open(t.Context(), url+"?search_path="+schema, tokenstore.MasterKey(testKey))
	require.NoError(t, err)
	assert.Equal(t, schema, st.Schema())
	require.NoError(t, st.Close())

	_, other := pgtest.Schema(t)
	_, err = postgres.Open(t.Context(), url, tokenstore.MasterKey(testKey), postgres.WithSchema(other))
	require.ErrorIs(t, err, postgres.ErrNoStore)

	_, err = postgres.Open(t.Context(), "postgres://user:hunter2@[::1", tokenstore.MasterKey(testKey))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2", "the password stays out of errors")
}

func TestPostgresPassphraseStore(t *testing.T) {
	url, schema := pgtest.Schema(t)
	pass := []byte("correct horse battery staple")
	st, err := postgres.Create(t.Context(), url, tokenstore.Passphrase(pass), postgres.WithSchema(schema), postgres.WithKDF(tokenstore.LightArgon2))
	require.NoError(t, err)
	rec, key := storetest.Session(t, 0)
	require.NoError(t, st.Put(t.Context(), rec, key))
	require.NoError(t, st.Close())
	_, err = postgres.Open(t.Context(), url, tokenstore.Passphrase([]byte("wrong")), postgres.WithSchema(schema))
	require.ErrorIs(t, err, tokenstore.ErrWrongPassphrase)
	st, err = postgres.Open(t.Context(), url, tokenstore.Passphrase(pass), postgres.WithSchema(schema))
	require.NoError(t, err)
	defer st.Close()
	_, got, err := st.Get(t.Context(), rec.Token)
	require.NoError(t, err)
	assert.Equal(t, key.PublicKey(), got.PublicKey())
}

func TestPostgresMigrations(t *testing.T) {
	url, schema := pgtest.Schema(t)
	// Replicas starting together: each migration runs once, under the advisory lock.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			st, err := postgres.Open(t.Context(), url, tokenstore.MasterKey(testKey), postgres.WithSchema(schema))
			if err == nil {
				st.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, postgres.ErrNoStore, "migrated, but nobody created a store")
	}
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(t.Context()))
	var n, v int
	require.NoError(t, conn.QueryRow(t.Context(), fmt.Sprintf(`SELECT count(*), max(version) FROM %s.schema_version`, pgx.Identifier{schema}.Sanitize())).Scan(&n, &v))
	assert.Equal(t, postgres.SchemaVersion(), n)
	assert.Equal(t, postgres.SchemaVersion(), v)

	var indexes []string
	rows, err := conn.Query(t.Context(), `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'sessions' ORDER BY indexname`, schema)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		indexes = append(indexes, s)
	}
	assert.Equal(t, []string{"sessions_by_authority", "sessions_by_expiry", "sessions_by_target", "sessions_pkey"}, indexes)

	// A schema from a newer release is refused, not downgraded.
	_, err = conn.Exec(t.Context(), fmt.Sprintf(`INSERT INTO %s.schema_version (version, name) VALUES (99, 'future')`, pgx.Identifier{schema}.Sanitize()))
	require.NoError(t, err)
	_, err = postgres.Open(t.Context(), url, tokenstore.MasterKey(testKey), postgres.WithSchema(schema))
	require.ErrorIs(t, err, postgres.ErrSchemaVersion)
}

func TestPostgresLeaseExpiresByDatabaseClock(t *testing.T) {
	st, url, schema := newStore(t)
	rec, key := storetest.Session(t, 0)
	require.NoError(t, st.Put(t.Context(), rec, key))
	a, err := st.Acquire(t.Context(), rec.Token, "replica-a", time.Hour, false)
	require.NoError(t, err)
	// The holder died long ago by the database's reckoning.
	sql(t, url, schema, `UPDATE sessions SET lease_expires = clock_timestamp() - interval '1 second'`)
	b, err := st.Acquire(t.Context(), rec.Token, "replica-b", time.Minute, false)
	require.NoError(t, err)
	_, err = st.Renew(t.Context(), a, time.Minute)
	var lost *tokenstore.LeaseLostError
	require.ErrorAs(t, err, &lost)
	assert.Equal(t, "replica-b", lost.Holder)
	leases, err := st.Leases(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []tokenstore.Lease{b}, leases)
}

func TestPostgresClaimDue(t *testing.T) {
	st, _, _ := newStore(t)
	ctx := t.Context()
	const n = 40
	for i := range n {
		rec, key := storetest.Session(t, i)
		require.NoError(t, st.Put(ctx, rec, key))
	}
	// Sessions 0..29 are due; 3 of them are held by a live replica.
	before := time.Unix(1_800_000_000+30*60, 0)
	for i := range 3 {
		_, err := st.Acquire(ctx, storetest.Pub("token", i), "live", time.Minute, false)
		require.NoError(t, err)
	}
	// Four replicas claim at once, 5 at a time, until nothing is due.
	var mu sync.Mutex
	got := map[string]string{}
	var wg sync.WaitGroup
	for r := range 4 {
		holder := fmt.Sprintf("replica-%d", r)
		wg.Go(func() {
			for {
				claims, err := st.ClaimDue(ctx, tokenstore.ClaimParams{Holder: holder, Before: before, Limit: 5, TTL: time.Minute})
				if !assert.NoError(t, err) || len(claims) == 0 {
					return
				}
				mu.Lock()
				for _, c := range claims {
					assert.Equal(t, holder, c.Lease.Holder)
					if prev, dup := got[c.Record.Token.String()]; dup {
						t.Errorf("%s claimed by %s and %s", c.Record.Token, prev, holder)
					}
					got[c.Record.Token.String()] = holder
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Len(t, got, 27, "every due session not held, each once")
	for i := 3; i < 30; i++ {
		assert.Contains(t, got, storetest.Pub("token", i).String())
	}
	// A claimed lease is a lease: its holder renews it, nobody else acquires it.
	claims, err := st.ClaimDue(ctx, tokenstore.ClaimParams{Holder: "late", Before: before, Limit: 100, TTL: time.Minute})
	require.NoError(t, err)
	assert.Empty(t, claims)
	leases, err := st.Leases(ctx)
	require.NoError(t, err)
	require.Len(t, leases, 30)
	_, err = st.Renew(ctx, leases[5], time.Minute)
	require.NoError(t, err)
	_, err = st.Acquire(ctx, leases[5].Token, "late", time.Minute, false)
	require.ErrorIs(t, err, tokenstore.ErrHeld)
}

func TestPostgresClaimParams(t *testing.T) {
	st, _, _ := newStore(t)
	for _, c := range []struct {
		p    tokenstore.ClaimParams
		want error
	}{
		{tokenstore.ClaimParams{Holder: "a", Limit: 0, TTL: time.Minute}, postgres.ErrInvalidClaim},
		{tokenstore.ClaimParams{Holder: "a", Limit: 10001, TTL: time.Minute}, postgres.ErrInvalidClaim},
		{tokenstore.ClaimParams{Holder: "", Limit: 1, TTL: time.Minute}, tokenstore.ErrInvalidLease},
		{tokenstore.ClaimParams{Holder: "a", Limit: 1, TTL: 0}, tokenstore.ErrInvalidLease},
	} {
		_, err := st.ClaimDue(t.Context(), c.p)
		require.ErrorIs(t, err, c.want, "%+v", c.p)
	}
	claims, err := st.ClaimDue(t.Context(), tokenstore.ClaimParams{Holder: "a", Limit: 1, TTL: time.Minute})
	require.NoError(t, err)
	assert.Empty(t, claims, "a zero Before claims nothing")
	require.NoError(t, st.Close())
	_, err = st.ClaimDue(t.Context(), tokenstore.ClaimParams{Holder: "a", Limit: 1, TTL: time.Minute, Before: time.Now()})
	require.True(t, errors.Is(err, tokenstore.ErrClosed))
}

// Counters and attachments are sealed like records: a value edited in SQL, or copied from
// another session's row, fails to open instead of being trusted.
func TestPostgresEditedCountersAndAttachmentsFail(t *testing.T) {
	st, url, schema := newStore(t)
	ctx := t.Context()
	a, keyA := storetest.Session(t, 1)
	b, keyB := storetest.Session(t, 2)
	require.NoError(t, st.Put(ctx, a, keyA))
	require.NoError(t, st.Put(ctx, b, keyB))
	_, err := st.Reserve(ctx, a.Token, "uses", 64)
	require.NoError(t, err)
	_, err = st.Reserve(ctx, b.Token, "uses", 1)
	require.NoError(t, err)
	require.NoError(t, st.Attach(ctx, a.Token, tokenstore.AttachmentGrant, []byte(`{"version":1}`)))
	require.NoError(t, st.Attach(ctx, b.Token, tokenstore.AttachmentGrant, []byte(`{"version":2}`)))

	// B's smaller counter planted in A's row: a rollback across sessions.
	require.Equal(t, int64(1), sql(t, url, schema, `UPDATE sessions SET counters = (SELECT counters FROM sessions WHERE token = $2) WHERE token = $1`, a.Token[:], b.Token[:]))
	_, err = st.Reserve(ctx, a.Token, "uses", 1)
	var ce *tokenstore.CorruptError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, ce.Path, a.Token.String())

	// A flipped byte in B's attachment.
	require.Equal(t, int64(1), sql(t, url, schema, `UPDATE attachments SET sealed = overlay(sealed placing '\x00'::bytea from 40 for 1) WHERE token = $1`, b.Token[:]))
	_, err = st.Attachment(ctx, b.Token, tokenstore.AttachmentGrant)
	require.ErrorAs(t, err, &ce)
	require.Contains(t, ce.Path, b.Token.String())
	got, err := st.Attachment(ctx, a.Token, tokenstore.AttachmentGrant)
	require.NoError(t, err)
	require.Equal(t, `{"version":1}`, string(got), "the untouched attachment still opens")
}
