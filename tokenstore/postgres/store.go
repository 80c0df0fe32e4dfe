package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sessionkit/sessionkit/tokenstore"
)

var (
	// ErrNoStore means Open found no store in the schema: Create one first.
	ErrNoStore = errors.New("postgres: no token store in this schema")
	// ErrStoreExists means Create found a store in the schema already.
	ErrStoreExists = errors.New("postgres: a token store already exists in this schema")
	// ErrSchemaVersion means the schema was migrated by a newer release than this one.
	ErrSchemaVersion = errors.New("postgres: schema is newer than this release")
	// ErrInvalidClaim means ClaimDue was given parameters it cannot use; the text says which.
	ErrInvalidClaim = errors.New("postgres: invalid claim")
)

// Store is a tokenstore.Store, Leaser and Claimer in a PostgreSQL schema. Its methods
// are safe for concurrent use, and any number of processes may open the same schema.
type Store struct {
	schema string
	pool   *pgxpool.Pool

	mu sync.RWMutex
	s  *tokenstore.Sealer // nil once closed
}

var (
	_ tokenstore.Store   = (*Store)(nil)
	_ tokenstore.Leaser  = (*Store)(nil)
	_ tokenstore.Claimer = (*Store)(nil)
)

// Option configures Create and Open.
type Option func(*options)

type options struct {
	schema   string
	kdf      []tokenstore.Option
	maxConns int32
}

// WithSchema keeps the store in schema, created if missing. The default is the URL's
// search_path (its first entry), else "sessionkit".
func WithSchema(schema string) Option { return func(o *options) { o.schema = schema } }

// WithKDF passes Argon2id options (tokenstore.LightArgon2, tokenstore.WithArgon2) to
// Create; Open reads them from the stored header.
func WithKDF(opts ...tokenstore.Option) Option {
	return func(o *options) { o.kdf = append(o.kdf, opts...) }
}

// WithMaxConns bounds the connection pool; the default is pgxpool's (4, or the number
// of CPUs if more), or the URL's pool_max_conns.
func WithMaxConns(n int32) Option { return func(o *options) { o.maxConns = n } }

// Create makes a new store in the URL's database, migrating the schema first, and
// returns it open. A schema that holds a store already fails with ErrStoreExists.
func Create(ctx context.Context, url string, cred tokenstore.Credential, opts ...Option) (*Store, error) {
	st, o, err := connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	s, header, err := tokenstore.NewSealer(cred, o.kdf...)
	if err == nil {
		var tag pgconn.CommandTag
		tag, err = st.pool.Exec(ctx, `INSERT INTO store_header (id, header) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, header)
		if err == nil && tag.RowsAffected() == 0 {
			err = fmt.Errorf("%w: %s", ErrStoreExists, st.schema)
		}
	}
	if err != nil {
		st.pool.Close()
		return nil, wrap("create", err)
	}
	st.s = s
	return st, nil
}

// Open opens the store in the URL's database. A credential that does not match fails
// with tokenstore.ErrWrongPassphrase or ErrWrongKey before any row is read; a schema
// without a store fails with ErrNoStore.
func Open(ctx context.Context, url string, cred tokenstore.Credential, opts ...Option) (*Store, error) {
	st, _, err := connect(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	var header []byte
	err = st.pool.QueryRow(ctx, `SELECT header FROM store_header WHERE id = 1`).Scan(&header)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("%w %s", ErrNoStore, st.schema)
	}
	if err == nil {
		st.s, err = tokenstore.OpenSealer(ctx, st.name("store_header"), header, cred)
	}
	if err != nil {
		st.pool.Close()
		return nil, wrap("open", err)
	}
	return st, nil
}

// connect opens the pool with the schema on its search path and migrates the schema.
func connect(ctx context.Context, url string, opts []Option) (*Store, options, error) {
	cfg, o, err := parse(url, opts)
	if err != nil {
		return nil, o, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, o, wrap("connect", err)
	}
	st := &Store{schema: o.schema, pool: pool}
	if err := st.migrate(ctx); err != nil {
		pool.Close()
		return nil, o, err
	}
	return st, o, nil
}

// parse reads the URL and the options, with the schema on the search path.
func parse(url string, opts []Option) (*pgxpool.Config, options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included: say only what is wrong.
		return nil, o, fmt.Errorf("postgres: the store URL does not parse (want postgres://user@host:port/database?options)")
	}
	if o.schema == "" {
		o.schema, _, _ = strings.Cut(cfg.ConnConfig.RuntimeParams["search_path"], ",")
		o.schema = strings.Trim(strings.TrimSpace(o.schema), `"`)
	}
	if o.schema == "" {
		o.schema = "sessionkit"
	}
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{o.schema}.Sanitize()
	return cfg, o, nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order; a file is named
// NNNN_what.sql and must follow the one before it.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for i, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			return nil, fmt.Errorf("postgres: migration %s is out of sequence (want version %d)", base, i+1)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// SchemaVersion is the schema version this release migrates to.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate brings the schema to the latest version in one transaction, under an advisory
// lock keyed by the schema's name, so concurrent Opens apply each migration once.
func (st *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := st.pool.Begin(ctx)
	if err != nil {
		return wrap("migrate", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	h := fnv.New64a()
	h.Write([]byte("sessionkit/tokenstore/postgres\x00" + st.schema))
	ident := pgx.Identifier{st.schema}.Sanitize()
	steps := []string{
		`SELECT pg_advisory_xact_lock(` + strconv.FormatInt(int64(h.Sum64()), 10) + `)`,
		`CREATE SCHEMA IF NOT EXISTS ` + ident,
		`SET LOCAL search_path TO ` + ident,
		`CREATE TABLE IF NOT EXISTS schema_version (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`,
	}
	for _, q := range steps {
		if _, err := tx.Exec(ctx, q); err != nil {
			return wrap("migrate "+st.schema, err)
		}
	}
	var cur int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&cur); err != nil {
		return wrap("migrate "+st.schema, err)
	}
	if cur > len(ms) {
		return fmt.Errorf("%w: %s is at version %d, this release knows %d", ErrSchemaVersion, st.schema, cur, len(ms))
	}
	for _, m := range ms[cur:] {
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return wrap("migration "+m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return wrap("migration "+m.name, err)
		}
	}
	return wrap("migrate "+st.schema, tx.Commit(ctx))
}

// String returns "postgres.Store(<schema>)".
func (st *Store) String() string { return "postgres.Store(" + st.schema + ")" }

// Schema is the schema the store's tables are in.
func (st *Store) Schema() string { return st.schema }

// Close closes the connection pool; later calls return tokenstore.ErrClosed, but a
// second Close, like Dir's, returns nil.
func (st *Store) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.s == nil {
		return nil
	}
	st.s = nil
	st.pool.Close()
	return nil
}

// acquire returns the sealer for one operation; release must be called.
func (st *Store) acquire(ctx context.Context) (*tokenstore.Sealer, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	st.mu.RLock()
	if st.s == nil {
		st.mu.RUnlock()
		return nil, nil, tokenstore.ErrClosed
	}
	return st.s, st.mu.RUnlock, nil
}

// name is how errors refer to a table or row: schema.table, or schema.sessions/<token>.
func (st *Store) name(what string) string { return st.schema + "." + what }

// wrap prefixes a database failure with op; the package's and tokenstore's typed errors
// say what and where already, and a canceled context stays itself.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case strings.HasPrefix(err.Error(), "postgres: "), strings.HasPrefix(err.Error(), "tokenstore: "):
		return err
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// Exists reports whether the URL's schema holds a store, without changing anything: a
// command line asks for a new store's passphrase twice, an existing one's once.
func Exists(ctx context.Context, url string, opts ...Option) (bool, error) {
	cfg, o, err := parse(url, opts)
	if err != nil {
		return false, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
	if err != nil {
		return false, wrap("connect", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var ok bool
	err = conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, pgx.Identifier{o.schema, "store_header"}.Sanitize()).Scan(&ok)
	if err == nil && ok {
		err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{o.schema, "store_header"}.Sanitize()+`)`).Scan(&ok)
	}
	return ok, wrap("exists", err)
}
