package postgres_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/postgres"
	"github.com/sessionkit/sessionkit/tokenstore/postgres/pgtest"
	"github.com/sessionkit/sessionkit/tokenstore/storetest"
)

// The benchmarks run on 100,000 sessions: 10,000 authorities of 10 sessions each, over
// 4 targets, valid until times spread over a day. Both stores are built once per test
// process (only when a benchmark runs) and removed by TestMain.
const (
	benchSessions     = 100_000
	benchPerAuthority = 10
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.url != "" {
		pgtest.Drop(dropTB{}, fixture.url, fixture.schema)
	}
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// dropTB reports a failed drop after the tests, when no *testing.T is left.
type dropTB struct{ testing.TB }

func (dropTB) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

var fixture struct {
	pgOnce, dirOnce sync.Once
	url, schema     string
	dir             string
	pgErr, dirErr   error
}

func benchRecord(i int) (tokenstore.Record, *txn.SessionKey) {
	seed := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte("bench seed"), uint64(i)))
	key, _ := txn.NewSessionKey(seed[:])
	return tokenstore.Record{
		ProgramID: storetest.Program, Version: pda.V1, Token: storetest.Pub("bench token", i),
		Authority: storetest.Pub("bench authority", i/benchPerAuthority), TargetProgram: storetest.Pub("bench target", i%4),
		SessionSigner: key.PublicKey(), ValidUntil: 1_800_000_000 + int64(i*7919%86_400),
		CreatedAt: time.Unix(1_790_000_000, 0),
	}, key
}

// benchPostgres returns a store on the 100,000-session schema, seeded with COPY: the
// benchmarks measure using it, not building it.
func benchPostgres(b *testing.B) *postgres.Store {
	fixture.pgOnce.Do(func() {
		fixture.url = pgtest.URL(b)
		fixture.schema = fmt.Sprintf("skbench_%d", os.Getpid())
		fixture.pgErr = seedPostgres(fixture.url, fixture.schema)
	})
	require.NoError(b, fixture.pgErr)
	st, err := postgres.Open(b.Context(), fixture.url, tokenstore.MasterKey(testKey), postgres.WithSchema(fixture.schema))
	require.NoError(b, err)
	b.Cleanup(func() { st.Close() })
	return st
}

func seedPostgres(url, schema string) error {
	ctx := context.Background()
	st, err := postgres.Create(ctx, url, tokenstore.MasterKey(testKey), postgres.WithSchema(schema))
	if err != nil {
		return err
	}
	defer st.Close()
	// The sealer a store of this credential uses is the header's: seal with a Sealer
	// opened on it, as Put would, and COPY the rows in.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var header []byte
	if err := conn.QueryRow(ctx, `SELECT header FROM `+pgx.Identifier{schema, "store_header"}.Sanitize()).Scan(&header); err != nil {
		return err
	}
	s, err := tokenstore.OpenSealer(ctx, schema, header, tokenstore.MasterKey(testKey))
	if err != nil {
		return err
	}
	rows := make([][]any, benchSessions)
	for i := range rows {
		rec, key := benchRecord(i)
		sr, err := s.Seal(rec, key, rec.CreatedAt)
		if err != nil {
			return err
		}
		r := sr.Record
		rows[i] = []any{r.Token[:], r.ProgramID[:], int16(r.Version), r.Authority[:], r.TargetProgram[:], r.SessionSigner[:],
			r.FeePayer[:], r.ValidUntil, r.CreatedAt.UnixNano(), sr.Nonce, sr.Sealed}
	}
	cols := []string{"token", "program_id", "version", "authority", "target_program", "session_signer", "fee_payer", "valid_until", "created_at", "nonce", "sealed"}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{schema, "sessions"}, cols, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, `ANALYZE `+pgx.Identifier{schema, "sessions"}.Sanitize())
	return err
}

// benchDir returns a directory store holding the same 100,000 sessions, put with the
// light KDF on a passphrase and 8 writers at a time (each Put fsyncs twice).
func benchDir(b *testing.B) *tokenstore.Dir {
	pass := []byte("bench")
	fixture.dirOnce.Do(func() {
		fixture.dir, fixture.dirErr = os.MkdirTemp("", "postgres-bench-dir-")
		if fixture.dirErr != nil {
			return
		}
		ctx := context.Background()
		d, err := tokenstore.Create(ctx, filepath.Join(fixture.dir, "store"), tokenstore.Passphrase(pass), tokenstore.LightArgon2)
		if err != nil {
			fixture.dirErr = err
			return
		}
		defer d.Close()
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for w := range errs {
			wg.Go(func() {
				for i := w; i < benchSessions && errs[w] == nil; i += len(errs) {
					rec, key := benchRecord(i)
					errs[w] = d.Put(ctx, rec, key)
				}
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				fixture.dirErr = err
			}
		}
	})
	require.NoError(b, fixture.dirErr)
	d, err := tokenstore.Open(b.Context(), filepath.Join(fixture.dir, "store"), tokenstore.Passphrase(pass))
	require.NoError(b, err)
	b.Cleanup(func() { d.Close() })
	return d
}

// latencies records each operation's time and reports the percentiles in ms.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	slices.Sort(l)
	at := func(q float64) float64 { return float64(l[int(q*float64(len(l)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// timed runs op b.N times and reports its percentiles.
func timed(b *testing.B, op func(i int)) {
	var l latencies
	b.ResetTimer()
	i := 0
	for b.Loop() {
		start := time.Now()
		op(i)
		l = append(l, time.Since(start))
		i++
	}
	l.report(b)
}

func benchGet(b *testing.B, st tokenstore.Store) {
	ctx := b.Context()
	timed(b, func(i int) {
		_, key, err := st.Get(ctx, storetest.Pub("bench token", (i*7919)%benchSessions))
		if err != nil {
			b.Fatal(err)
		}
		key.Zero()
	})
}

func benchListByAuthority(b *testing.B, st tokenstore.Store) {
	ctx := b.Context()
	timed(b, func(i int) {
		recs, err := st.List(ctx, tokenstore.Filter{Authority: storetest.Pub("bench authority", (i*7919)%(benchSessions/benchPerAuthority))})
		if err != nil || len(recs) != benchPerAuthority {
			b.Fatal(len(recs), err)
		}
	})
}

// benchPut stores fresh sessions, deleted afterwards; each Put returns once its record
// is durable (PostgreSQL: the commit flushed to the WAL; Dir: two fsyncs).
func benchPut(b *testing.B, st tokenstore.Store) {
	ctx := b.Context()
	base := benchSessions + int(time.Now().UnixNano()%1_000_000)*1000
	var tokens []solana.PublicKey
	timed(b, func(i int) {
		rec, key := benchRecord(base + i)
		if err := st.Put(ctx, rec, key); err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, rec.Token)
	})
	b.StopTimer()
	for _, tok := range tokens {
		_ = st.Delete(ctx, tok)
	}
}

func BenchmarkPostgresGet(b *testing.B)             { benchGet(b, benchPostgres(b)) }
func BenchmarkPostgresListByAuthority(b *testing.B) { benchListByAuthority(b, benchPostgres(b)) }
func BenchmarkPostgresPut(b *testing.B)             { benchPut(b, benchPostgres(b)) }
func BenchmarkDirGet(b *testing.B)                  { benchGet(b, benchDir(b)) }
func BenchmarkDirListByAuthority(b *testing.B)      { benchListByAuthority(b, benchDir(b)) }
func BenchmarkDirPut(b *testing.B)                  { benchPut(b, benchDir(b)) }

// BenchmarkPostgresClaimDue100 claims 100 due renewals out of the 100,000 (about 4,000
// are due), as one replica's maintenance pass does, and frees them untimed, so every
// claim finds the same table.
func BenchmarkPostgresClaimDue100(b *testing.B) {
	st := benchPostgres(b)
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, fixture.url)
	require.NoError(b, err)
	defer conn.Close(context.WithoutCancel(ctx))
	free := `UPDATE ` + pgx.Identifier{fixture.schema, "sessions"}.Sanitize() + ` SET lease_id = NULL, lease_holder = NULL, lease_expires = NULL WHERE lease_holder = 'bench'`
	p := tokenstore.ClaimParams{Holder: "bench", Before: time.Unix(1_800_000_000+3600, 0), Limit: 100, TTL: time.Minute}
	var l latencies
	for b.Loop() {
		start := time.Now()
		claims, err := st.ClaimDue(ctx, p)
		l = append(l, time.Since(start))
		if err != nil || len(claims) != 100 {
			b.Fatal(len(claims), err)
		}
		b.StopTimer()
		if _, err := conn.Exec(ctx, free); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	l.report(b)
}
