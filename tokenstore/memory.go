package tokenstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
)

// Memory is a Store held in process memory, for tests and for code that
// needs no persistence. It keeps its own copies of records and seeds, so
// callers cannot alias its state. Its methods are safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	sessions map[solana.PublicKey]*memoryEntry // nil once closed
	leases   map[solana.PublicKey]Lease
}

type memoryEntry struct {
	rec         Record
	seed        *[ed25519.SeedSize]byte
	counters    counters
	attachments map[string][]byte
}

var (
	_ Store  = (*Memory)(nil)
	_ Leaser = (*Memory)(nil)
)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory {
	return &Memory{sessions: make(map[solana.PublicKey]*memoryEntry), leases: make(map[solana.PublicKey]Lease)}
}

// String returns "tokenstore.Memory(<n> sessions)".
func (m *Memory) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Sprintf("tokenstore.Memory(%d sessions)", len(m.sessions))
}

// lock locks m for one operation; the caller unlocks m.mu.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.sessions == nil {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, rec Record, key *txn.SessionKey) error {
	rec, err := normalize(rec, key, time.Now())
	if err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.sessions[rec.Token]; ok {
		return fmt.Errorf("%w: %s", ErrExists, rec.Token)
	}
	e := &memoryEntry{rec: rec, seed: new([ed25519.SeedSize]byte)}
	seed := key.Seed()
	copy(e.seed[:], seed)
	clear(seed)
	m.sessions[rec.Token] = e
	return nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, token solana.PublicKey) (Record, *txn.SessionKey, error) {
	if err := m.lock(ctx); err != nil {
		return Record{}, nil, err
	}
	e, ok := m.sessions[token]
	var rec Record
	var seed [ed25519.SeedSize]byte
	if ok {
		rec, seed = e.rec, *e.seed
	}
	m.mu.Unlock()
	defer clear(seed[:])
	if !ok {
		return Record{}, nil, fmt.Errorf("%w: %s", ErrNotFound, token)
	}
	// Deriving the key is the slow part; other callers need not wait for it.
	key, err := txn.NewSessionKey(seed[:])
	if err != nil {
		return Record{}, nil, err
	}
	return rec, key, nil
}

// List implements Store. It never returns a *PartialError: Memory has no
// files to go bad.
func (m *Memory) List(ctx context.Context, f Filter) ([]Record, error) {
	return m.list(ctx, f.match)
}

// ListExpired implements Store.
func (m *Memory) ListExpired(ctx context.Context, now time.Time) ([]Record, error) {
	return m.list(ctx, func(r *Record) bool { return r.Expired(now) })
}

func (m *Memory) list(ctx context.Context, keep func(*Record) bool) ([]Record, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var recs []Record
	for _, e := range m.sessions {
		if keep(&e.rec) {
			recs = append(recs, e.rec)
		}
	}
	sortRecords(recs)
	return recs, nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, token solana.PublicKey) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	e, ok := m.sessions[token]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, token)
	}
	clear(e.seed[:])
	delete(m.sessions, token)
	delete(m.leases, token)
	return nil
}

// Prune implements Store.
func (m *Memory) Prune(ctx context.Context, now time.Time) (int, error) {
	if err := m.lock(ctx); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	n := 0
	for token, e := range m.sessions {
		if e.rec.Expired(now) {
			clear(e.seed[:])
			delete(m.sessions, token)
			delete(m.leases, token)
			n++
		}
	}
	return n, nil
}

// Close zeroes every stored seed. It is idempotent.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.sessions {
		clear(e.seed[:])
	}
	m.sessions = nil
	return nil
}

// Acquire implements Leaser.
func (m *Memory) Acquire(ctx context.Context, token solana.PublicKey, holder string, ttl time.Duration, takeover bool) (Lease, error) {
	if err := checkLeaseRequest(holder, ttl); err != nil {
		return Lease{}, err
	}
	if err := m.lock(ctx); err != nil {
		return Lease{}, err
	}
	defer m.mu.Unlock()
	if _, ok := m.sessions[token]; !ok {
		return Lease{}, fmt.Errorf("%w: %s", ErrNotFound, token)
	}
	now := time.Now()
	if cur, ok := m.leases[token]; ok && !cur.Expired(now) && !takeover {
		return Lease{}, &HeldError{Token: token, Holder: cur.Holder, Expires: cur.Expires}
	}
	l := Lease{Token: token, Holder: holder, Expires: now.Add(ttl).UTC()}
	_, _ = rand.Read(l.id[:])
	m.leases[token] = l
	return l, nil
}

// current returns the lease l would be, or a *LeaseLostError; m is locked.
func (m *Memory) current(l Lease) error {
	if cur, ok := m.leases[l.Token]; !ok || cur.id != l.id {
		return &LeaseLostError{Token: l.Token, Holder: cur.Holder}
	}
	return nil
}

// Renew implements Leaser.
func (m *Memory) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	if err := checkLeaseRequest(l.Holder, ttl); err != nil {
		return Lease{}, err
	}
	if err := m.lock(ctx); err != nil {
		return Lease{}, err
	}
	defer m.mu.Unlock()
	if err := m.current(l); err != nil {
		return Lease{}, err
	}
	l.Expires = time.Now().Add(ttl).UTC()
	m.leases[l.Token] = l
	return l, nil
}

// Release implements Leaser.
func (m *Memory) Release(ctx context.Context, l Lease) error {
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if err := m.current(l); err != nil {
		return err
	}
	delete(m.leases, l.Token)
	return nil
}

// Leases implements Leaser; it never returns a *PartialError.
func (m *Memory) Leases(ctx context.Context) ([]Lease, error) {
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	leases := slices.Collect(maps.Values(m.leases))
	sortLeases(leases)
	return leases, nil
}
