package tokenstore

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// implementations runs every conformance test on each Store.
var implementations = []struct {
	name string
	new  func(t *testing.T) Store
}{
	{"Dir", func(t *testing.T) Store { d, _ := newTestDir(t); return d }},
	{"Memory", func(t *testing.T) Store { return NewMemory() }},
}

func forEachStore(t *testing.T, test func(t *testing.T, st Store)) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) { test(t, impl.new(t)) })
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		for i := range 4 {
			rec, key := testSession(t, i)
			require.NoError(t, st.Put(ctx, rec, key))
		}
		for i := range 4 {
			want, wantKey := testSession(t, i)
			got, key, err := st.Get(ctx, want.Token)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, wantKey.PrivateKey(), key.PrivateKey())

			msg := []byte("session transaction")
			sig := key.Sign(msg)
			assert.True(t, ed25519.Verify(want.SessionSigner[:], msg, sig[:]))
		}
	})
}

func TestPutStampsAndNormalizesCreatedAt(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		rec, key := testSession(t, 0)
		rec.CreatedAt = time.Time{}
		before := time.Now()
		require.NoError(t, st.Put(ctx, rec, key))
		got, _, err := st.Get(ctx, rec.Token)
		require.NoError(t, err)
		assert.False(t, got.CreatedAt.Before(before.Truncate(time.Nanosecond)), "CreatedAt %s before Put", got.CreatedAt)
		assert.False(t, got.CreatedAt.After(time.Now()))
		assert.Equal(t, time.UTC, got.CreatedAt.Location())

		rec, key = testSession(t, 1)
		rec.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("UTC+2", 7200))
		require.NoError(t, st.Put(ctx, rec, key))
		got, _, err = st.Get(ctx, rec.Token)
		require.NoError(t, err)
		assert.Equal(t, time.Date(2026, 1, 2, 1, 4, 5, 6, time.UTC), got.CreatedAt)
	})
}

func TestPutExistingTokenKeepsFirstKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		rec, key := testSession(t, 0)
		require.NoError(t, st.Put(ctx, rec, key))

		other, otherKey := testSession(t, 1)
		other.Token = rec.Token
		err := st.Put(ctx, other, otherKey)
		require.ErrorIs(t, err, ErrExists)
		assert.Contains(t, err.Error(), rec.Token.String())

		got, gotKey, err := st.Get(ctx, rec.Token)
		require.NoError(t, err)
		assert.Equal(t, rec.SessionSigner, got.SessionSigner)
		assert.Equal(t, key.PublicKey(), gotKey.PublicKey())
	})
}

func TestGetDeleteMissing(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		missing := testPub("token", 99)
		_, _, err := st.Get(ctx, missing)
		require.ErrorIs(t, err, ErrNotFound)
		assert.Contains(t, err.Error(), missing.String())
		require.ErrorIs(t, st.Delete(ctx, missing), ErrNotFound)
	})
}

func TestPutRejectsInvalidRecords(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Record, **txn.SessionKey)
		reason string
	}{
		{"nil key", func(_ *Record, k **txn.SessionKey) { *k = nil }, "no session key"},
		{"zeroed key", func(_ *Record, k **txn.SessionKey) { (*k).Zero() }, "no session key"},
		{"version 0", func(r *Record, _ **txn.SessionKey) { r.Version = 0 }, "version 0"},
		{"version 3", func(r *Record, _ **txn.SessionKey) { r.Version = 3 }, "version 3"},
		{"no program", func(r *Record, _ **txn.SessionKey) { r.ProgramID = solana.PublicKey{} }, "ProgramID"},
		{"no token", func(r *Record, _ **txn.SessionKey) { r.Token = solana.PublicKey{} }, "Token"},
		{"no authority", func(r *Record, _ **txn.SessionKey) { r.Authority = solana.PublicKey{} }, "Authority"},
		{"no target", func(r *Record, _ **txn.SessionKey) { r.TargetProgram = solana.PublicKey{} }, "Target"},
		{"no signer", func(r *Record, _ **txn.SessionKey) { r.SessionSigner = solana.PublicKey{} }, "SessionSigner"},
		{"signer is not the key", func(r *Record, _ **txn.SessionKey) { r.SessionSigner = testPub("x", 0) }, "not the key's public key"},
		{"created before 1678", func(r *Record, _ **txn.SessionKey) { r.CreatedAt = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }, "CreatedAt"},
	}
	forEachStore(t, func(t *testing.T, st Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec, key := testSession(t, 0)
				tt.edit(&rec, &key)
				err := st.Put(t.Context(), rec, key)
				require.ErrorIs(t, err, ErrInvalidRecord)
				assert.Contains(t, err.Error(), tt.reason)
			})
		}
		recs, err := st.List(t.Context(), Filter{})
		require.NoError(t, err)
		assert.Empty(t, recs)
	})
}

func TestList(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		// Put in reverse so the order of List cannot come from insertion.
		for i := 11; i >= 0; i-- {
			rec, key := testSession(t, i)
			require.NoError(t, st.Put(ctx, rec, key))
		}
		tests := []struct {
			name string
			f    Filter
			want []int
		}{
			{"all", Filter{}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
			{"authority", Filter{Authority: testPub("authority", 1)}, []int{1, 4, 7, 10}},
			{"target", Filter{TargetProgram: testPub("target", 0)}, []int{0, 2, 4, 6, 8, 10}},
			{"both", Filter{Authority: testPub("authority", 1), TargetProgram: testPub("target", 0)}, []int{4, 10}},
			{"unknown authority", Filter{Authority: testPub("authority", 7)}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := st.List(ctx, tt.f)
				require.NoError(t, err)
				var want []Record
				for _, i := range tt.want {
					rec, _ := testSession(t, i)
					want = append(want, rec)
				}
				assert.Equal(t, want, got)
			})
		}
	})
}

func TestListOrdersTiesByToken(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		for i := range 6 {
			rec, key := testSession(t, i)
			rec.ValidUntil = 1_800_000_000
			require.NoError(t, st.Put(ctx, rec, key))
		}
		got, err := st.List(ctx, Filter{})
		require.NoError(t, err)
		require.Len(t, got, 6)
		for i := 1; i < len(got); i++ {
			assert.Negative(t, compareKeys(got[i-1].Token, got[i].Token), "position %d", i)
		}
	})
}

func compareKeys(a, b solana.PublicKey) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

func TestListExpiredAndPrune(t *testing.T) {
	// Sessions 0..5 expire at 1_800_000_000 + 60*i.
	tests := []struct {
		name    string
		now     int64
		expired []int
	}{
		{"before all", 1_799_999_999, nil},
		{"at the first valid_until", 1_800_000_000, []int{0}},
		{"one second before the second", 1_800_000_059, []int{0}},
		{"at the second", 1_800_000_060, []int{0, 1}},
		{"after all", 1_900_000_000, []int{0, 1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, st Store) {
				ctx := t.Context()
				for i := range 6 {
					rec, key := testSession(t, i)
					require.NoError(t, st.Put(ctx, rec, key))
				}
				now := time.Unix(tt.now, 0)
				expired, err := st.ListExpired(ctx, now)
				require.NoError(t, err)
				var tokens []solana.PublicKey
				for _, r := range expired {
					tokens = append(tokens, r.Token)
				}
				var want []solana.PublicKey
				for _, i := range tt.expired {
					want = append(want, testPub("token", i))
				}
				assert.Equal(t, want, tokens)

				n, err := st.Prune(ctx, now)
				require.NoError(t, err)
				assert.Equal(t, len(tt.expired), n)
				left, err := st.List(ctx, Filter{})
				require.NoError(t, err)
				assert.Len(t, left, 6-len(tt.expired))
				for _, r := range left {
					assert.False(t, r.Expired(now), "%s left but expired", r.Token)
				}
				for _, tok := range want {
					_, _, err := st.Get(ctx, tok)
					assert.ErrorIs(t, err, ErrNotFound)
				}
			})
		})
	}
}

func TestDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		for i := range 3 {
			rec, key := testSession(t, i)
			require.NoError(t, st.Put(ctx, rec, key))
		}
		require.NoError(t, st.Delete(ctx, testPub("token", 1)))
		_, _, err := st.Get(ctx, testPub("token", 1))
		require.ErrorIs(t, err, ErrNotFound)
		recs, err := st.List(ctx, Filter{})
		require.NoError(t, err)
		require.Len(t, recs, 2)
		assert.Equal(t, testPub("token", 0), recs[0].Token)
		assert.Equal(t, testPub("token", 2), recs[1].Token)

		// The token can be stored again once deleted.
		rec, key := testSession(t, 1)
		require.NoError(t, st.Put(ctx, rec, key))
	})
}

func TestStoreDoesNotAliasCallerKeys(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		rec, key := testSession(t, 0)
		want := key.PrivateKey()
		require.NoError(t, st.Put(ctx, rec, key))
		key.Zero() // the caller's copy

		_, got1, err := st.Get(ctx, rec.Token)
		require.NoError(t, err)
		assert.Equal(t, want, got1.PrivateKey())
		got1.Zero()
		_, got2, err := st.Get(ctx, rec.Token)
		require.NoError(t, err)
		assert.Equal(t, want, got2.PrivateKey())
	})
}

func TestClosedStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		rec, key := testSession(t, 0)
		require.NoError(t, st.Put(ctx, rec, key))
		require.NoError(t, st.Close())
		require.NoError(t, st.Close(), "second Close")

		_, _, err := st.Get(ctx, rec.Token)
		assert.ErrorIs(t, err, ErrClosed)
		assert.ErrorIs(t, st.Put(ctx, rec, key), ErrClosed)
		_, err = st.List(ctx, Filter{})
		assert.ErrorIs(t, err, ErrClosed)
		_, err = st.ListExpired(ctx, time.Now())
		assert.ErrorIs(t, err, ErrClosed)
		assert.ErrorIs(t, st.Delete(ctx, rec.Token), ErrClosed)
		_, err = st.Prune(ctx, time.Now())
		assert.ErrorIs(t, err, ErrClosed)
	})
}

func TestCanceledContext(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		rec, key := testSession(t, 0)
		assert.ErrorIs(t, st.Put(ctx, rec, key), context.Canceled)
		_, _, err := st.Get(ctx, rec.Token)
		assert.ErrorIs(t, err, context.Canceled)
		_, err = st.List(ctx, Filter{})
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, st.Delete(ctx, rec.Token), context.Canceled)
		_, err = st.Prune(ctx, time.Now())
		assert.ErrorIs(t, err, context.Canceled)

		recs, err := st.List(t.Context(), Filter{})
		require.NoError(t, err)
		assert.Empty(t, recs, "a canceled Put stored something")
	})
}

func TestConcurrentGoroutines(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		ctx := t.Context()
		const goroutines, each = 8, 6
		errs := make(chan error, goroutines*each)
		done := make(chan struct{})
		for g := range goroutines {
			go func() {
				defer func() { done <- struct{}{} }()
				for j := range each {
					rec, key := testSession(t, g*each+j)
					if err := st.Put(ctx, rec, key); err != nil {
						errs <- err
					}
					if _, _, err := st.Get(ctx, rec.Token); err != nil {
						errs <- err
					}
					if _, err := st.List(ctx, Filter{Authority: rec.Authority}); err != nil {
						errs <- err
					}
				}
			}()
		}
		for range goroutines {
			<-done
		}
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		recs, err := st.List(ctx, Filter{})
		require.NoError(t, err)
		assert.Len(t, recs, goroutines*each)
	})
}

func TestRecordExpired(t *testing.T) {
	r := Record{Version: pda.V2, ValidUntil: 1000}
	assert.False(t, r.Expired(time.Unix(999, 999_999_999)))
	assert.True(t, r.Expired(time.Unix(1000, 0)))
	assert.True(t, r.Expired(time.Unix(1001, 0)))
}

func TestErrorsAreDistinct(t *testing.T) {
	assert.ErrorIs(t, ErrWrongPassphrase, ErrWrongKey)
	assert.False(t, errors.Is(ErrWrongKey, ErrWrongPassphrase))
	var ce error = &CorruptError{Path: "/s/x.rec", Reason: "truncated"}
	assert.ErrorIs(t, ce, ErrCorrupt)
	assert.Equal(t, "tokenstore: corrupt file /s/x.rec: truncated", ce.Error())
	var ve error = &VersionError{Path: "/s/store.json", Kind: "store", Version: 9}
	assert.ErrorIs(t, ve, ErrUnsupportedVersion)
	assert.Equal(t, "tokenstore: store /s/store.json has format version 9, which this release cannot read", ve.Error())
}
