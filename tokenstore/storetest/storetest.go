// Package storetest is the contract every tokenstore.Store, Leaser and Claimer must keep,
// as tests that each implementation runs against a fresh store of its own.
package storetest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
)

// Program is the session program of the records Session makes (gpl_session's id).
var Program = solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")

// Pub is a deterministic public key for label and i.
func Pub(label string, i int) solana.PublicKey {
	return solana.PublicKey(sha256.Sum256(fmt.Appendf(nil, "storetest %s %d", label, i)))
}

// Session returns a complete record and its key, the same for the same i. Authorities
// repeat with period 3 and targets with period 2, so filters have something to select;
// ValidUntil is 1,800,000,000 + 60·i.
func Session(t testing.TB, i int) (tokenstore.Record, *txn.SessionKey) {
	t.Helper()
	seed := sha256.Sum256(fmt.Appendf(nil, "storetest seed %d", i))
	key, err := txn.NewSessionKey(seed[:])
	require.NoError(t, err)
	version, feePayer := pda.V1, solana.PublicKey{}
	if i%2 == 1 {
		version, feePayer = pda.V2, Pub("payer", i)
	}
	return tokenstore.Record{
		ProgramID: Program, Version: version, Token: Pub("token", i),
		Authority: Pub("authority", i%3), TargetProgram: Pub("target", i%2),
		SessionSigner: key.PublicKey(), FeePayer: feePayer,
		ValidUntil: 1_800_000_000 + int64(i)*60,
		CreatedAt:  time.Date(2026, 11, 21, 8, 0, 0, i*1000, time.UTC),
	}, key
}

// Run runs the Store contract against stores made by open, one per subtest.
func Run(t *testing.T, open func(t *testing.T) tokenstore.Store) {
	for _, c := range storeCases {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

var storeCases = []struct {
	name string
	test func(t *testing.T, st tokenstore.Store)
}{
	{"PutGetRoundTrip", func(t *testing.T, st tokenstore.Store) {
		ctx := t.Context()
		for i := range 4 {
			rec, key := Session(t, i)
			require.NoError(t, st.Put(ctx, rec, key))
		}
		for i := range 4 {
			want, wantKey := Session(t, i)
			got, key, err := st.Get(ctx, want.Token)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, wantKey.PrivateKey(), key.PrivateKey())
			sig := key.Sign([]byte("move"))
			assert.True(t, ed25519.Verify(want.SessionSigner[:], []byte("move"), sig[:]))
			key.Zero()
		}
	}},
	{"PutStampsCreatedAt", func(t *testing.T, st tokenstore.Store) {
		rec, key := Session(t, 0)
		rec.CreatedAt = time.Time{}
		before := time.Now().Add(-time.Microsecond)
		require.NoError(t, st.Put(t.Context(), rec, key))
		got, _, err := st.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		assert.True(t, got.CreatedAt.After(before) && !got.CreatedAt.After(time.Now()), "CreatedAt %s", got.CreatedAt)
		assert.Equal(t, time.UTC, got.CreatedAt.Location())
	}},
	{"PutExistingKeepsFirstKey", func(t *testing.T, st tokenstore.Store) {
		rec, key := Session(t, 0)
		require.NoError(t, st.Put(t.Context(), rec, key))
		_, other := Session(t, 1)
		rec.SessionSigner = other.PublicKey()
		require.ErrorIs(t, st.Put(t.Context(), rec, other), tokenstore.ErrExists)
		_, got, err := st.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		assert.Equal(t, key.PublicKey(), got.PublicKey())
	}},
	{"MissingToken", func(t *testing.T, st tokenstore.Store) {
		_, _, err := st.Get(t.Context(), Pub("token", 99))
		require.ErrorIs(t, err, tokenstore.ErrNotFound)
		assert.Contains(t, err.Error(), Pub("token", 99).String())
		require.ErrorIs(t, st.Delete(t.Context(), Pub("token", 99)), tokenstore.ErrNotFound)
	}},
	{"PutRejectsInvalidRecords", func(t *testing.T, st tokenstore.Store) {
		for _, c := range []struct {
			field string
			edit  func(r *tokenstore.Record)
		}{
			{"Token", func(r *tokenstore.Record) { r.Token = solana.PublicKey{} }},
			{"Authority", func(r *tokenstore.Record) { r.Authority = solana.PublicKey{} }},
			{"SessionSigner", func(r *tokenstore.Record) { r.SessionSigner = Pub("other", 0) }},
			{"version", func(r *tokenstore.Record) { r.Version = 7 }},
		} {
			rec, key := Session(t, 0)
			c.edit(&rec)
			err := st.Put(t.Context(), rec, key)
			require.ErrorIs(t, err, tokenstore.ErrInvalidRecord, c.field)
			assert.Contains(t, err.Error(), c.field)
		}
		recs, err := st.List(t.Context(), tokenstore.Filter{})
		require.NoError(t, err)
		assert.Empty(t, recs)
	}},
	{"ListFiltersAndOrders", func(t *testing.T, st tokenstore.Store) {
		for _, i := range []int{5, 0, 3, 1, 4, 2} {
			rec, key := Session(t, i)
			require.NoError(t, st.Put(t.Context(), rec, key))
		}
		tokens := func(f tokenstore.Filter) []solana.PublicKey {
			recs, err := st.List(t.Context(), f)
			require.NoError(t, err)
			var out []solana.PublicKey
			for _, r := range recs {
				out = append(out, r.Token)
			}
			return out
		}
		tok := func(is ...int) []solana.PublicKey {
			var out []solana.PublicKey
			for _, i := range is {
				out = append(out, Pub("token", i))
			}
			return out
		}
		assert.Equal(t, tok(0, 1, 2, 3, 4, 5), tokens(tokenstore.Filter{}))
		assert.Equal(t, tok(1, 4), tokens(tokenstore.Filter{Authority: Pub("authority", 1)}))
		assert.Equal(t, tok(1, 3, 5), tokens(tokenstore.Filter{TargetProgram: Pub("target", 1)}))
		assert.Equal(t, tok(3), tokens(tokenstore.Filter{Authority: Pub("authority", 0), TargetProgram: Pub("target", 1)}))
		assert.Empty(t, tokens(tokenstore.Filter{Authority: Pub("authority", 9)}))
	}},
	{"ListExpiredAndPrune", func(t *testing.T, st tokenstore.Store) {
		for i := range 5 {
			rec, key := Session(t, i)
			require.NoError(t, st.Put(t.Context(), rec, key))
		}
		now := time.Unix(1_800_000_000+2*60, 0) // token 2 expires exactly now
		recs, err := st.ListExpired(t.Context(), now)
		require.NoError(t, err)
		require.Len(t, recs, 3)
		assert.Equal(t, Pub("token", 2), recs[2].Token)
		n, err := st.Prune(t.Context(), now)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		recs, err = st.List(t.Context(), tokenstore.Filter{})
		require.NoError(t, err)
		require.Len(t, recs, 2)
		assert.Equal(t, Pub("token", 3), recs[0].Token)
	}},
	{"Delete", func(t *testing.T, st tokenstore.Store) {
		rec, key := Session(t, 0)
		require.NoError(t, st.Put(t.Context(), rec, key))
		require.NoError(t, st.Delete(t.Context(), rec.Token))
		_, _, err := st.Get(t.Context(), rec.Token)
		require.ErrorIs(t, err, tokenstore.ErrNotFound)
		require.NoError(t, st.Put(t.Context(), rec, key), "a deleted token can be stored again")
	}},
	{"DoesNotAliasKeys", func(t *testing.T, st tokenstore.Store) {
		rec, key := Session(t, 0)
		require.NoError(t, st.Put(t.Context(), rec, key))
		key.Zero()
		_, got, err := st.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		got.Zero()
		_, again, err := st.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		assert.Equal(t, rec.SessionSigner, again.PublicKey())
	}},
	{"Closed", func(t *testing.T, st tokenstore.Store) {
		rec, key := Session(t, 0)
		require.NoError(t, st.Close())
		require.ErrorIs(t, st.Put(t.Context(), rec, key), tokenstore.ErrClosed)
		_, _, err := st.Get(t.Context(), rec.Token)
		require.ErrorIs(t, err, tokenstore.ErrClosed)
		_, err = st.List(t.Context(), tokenstore.Filter{})
		require.ErrorIs(t, err, tokenstore.ErrClosed)
	}},
	{"ConcurrentPuts", func(t *testing.T, st tokenstore.Store) {
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() {
				rec, key := Session(t, i%8) // each token twice
				errs[i] = st.Put(t.Context(), rec, key)
			})
		}
		wg.Wait()
		exists := 0
		for _, err := range errs {
			if errors.Is(err, tokenstore.ErrExists) {
				exists++
			} else {
				require.NoError(t, err)
			}
		}
		assert.Equal(t, 8, exists, "each token is stored once")
		recs, err := st.List(t.Context(), tokenstore.Filter{})
		require.NoError(t, err)
		assert.Len(t, recs, 8)
	}},
}

// RunLeaser runs the Leaser contract against stores made by open, each holding the
// session Session(t, 0) when the test starts.
func RunLeaser(t *testing.T, open func(t *testing.T) tokenstore.Store) {
	for _, c := range leaserCases {
		t.Run(c.name, func(t *testing.T) {
			st := open(t)
			rec, key := Session(t, 0)
			require.NoError(t, st.Put(t.Context(), rec, key))
			c.test(t, st, st.(tokenstore.Leaser))
		})
	}
}

var leaserCases = []struct {
	name string
	test func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser)
}{
	{"Lifecycle", func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser) {
		ctx := t.Context()
		token := Pub("token", 0)
		a, err := ls.Acquire(ctx, token, "host-a pid 1", time.Minute, false)
		require.NoError(t, err)
		assert.Equal(t, "host-a pid 1", a.Holder)
		assert.WithinDuration(t, time.Now().Add(time.Minute), a.Expires, 5*time.Second)

		_, err = ls.Acquire(ctx, token, "host-b pid 2", time.Minute, false)
		var he *tokenstore.HeldError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, "host-a pid 1", he.Holder)
		assert.True(t, he.Expires.Equal(a.Expires), "%s != %s", he.Expires, a.Expires)

		a, err = ls.Renew(ctx, a, 2*time.Minute)
		require.NoError(t, err)
		assert.WithinDuration(t, time.Now().Add(2*time.Minute), a.Expires, 5*time.Second)
		leases, err := ls.Leases(ctx)
		require.NoError(t, err)
		require.Len(t, leases, 1)
		assert.Equal(t, a, leases[0])

		b, err := ls.Acquire(ctx, token, "host-b pid 2", time.Minute, true)
		require.NoError(t, err)
		_, err = ls.Renew(ctx, a, time.Minute)
		var lost *tokenstore.LeaseLostError
		require.ErrorAs(t, err, &lost)
		assert.Equal(t, "host-b pid 2", lost.Holder)
		require.ErrorIs(t, ls.Release(ctx, a), tokenstore.ErrLeaseLost, "a lost lease released the new one")
		require.NoError(t, ls.Release(ctx, b))
		leases, err = ls.Leases(ctx)
		require.NoError(t, err)
		assert.Empty(t, leases)
		require.ErrorIs(t, ls.Release(ctx, b), tokenstore.ErrLeaseLost)
	}},
	{"ExpiredIsTakenWithoutTakeover", func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser) {
		token := Pub("token", 0)
		a, err := ls.Acquire(t.Context(), token, "a", 20*time.Millisecond, false)
		require.NoError(t, err)
		time.Sleep(50 * time.Millisecond)
		b, err := ls.Acquire(t.Context(), token, "b", time.Minute, false)
		require.NoError(t, err)
		assert.Equal(t, "b", b.Holder)
		_, err = ls.Renew(t.Context(), a, time.Minute)
		require.ErrorIs(t, err, tokenstore.ErrLeaseLost)
	}},
	{"ExpiredUntakenIsRenewed", func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser) {
		a, err := ls.Acquire(t.Context(), Pub("token", 0), "a", 10*time.Millisecond, false)
		require.NoError(t, err)
		time.Sleep(30 * time.Millisecond)
		_, err = ls.Renew(t.Context(), a, time.Minute)
		require.NoError(t, err)
	}},
	{"Requests", func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser) {
		_, err := ls.Acquire(t.Context(), Pub("token", 9), "a", time.Minute, false)
		require.ErrorIs(t, err, tokenstore.ErrNotFound)
		for _, c := range []struct {
			holder string
			ttl    time.Duration
		}{{"", time.Minute}, {"a", 0}, {"a\x1b[2J", time.Minute}, {string(make([]byte, 129)), time.Minute}} {
			_, err := ls.Acquire(t.Context(), Pub("token", 0), c.holder, c.ttl, false)
			require.ErrorIs(t, err, tokenstore.ErrInvalidLease, "%q %s", c.holder, c.ttl)
		}
	}},
	{"DeleteEndsLease", func(t *testing.T, st tokenstore.Store, ls tokenstore.Leaser) {
		a, err := ls.Acquire(t.Context(), Pub("token", 0), "a", time.Minute, false)
		require.NoError(t, err)
		require.NoError(t, st.Delete(t.Context(), Pub("token", 0)))
		_, err = ls.Renew(t.Context(), a, time.Minute)
		require.ErrorIs(t, err, tokenstore.ErrLeaseLost)
	}},
}
