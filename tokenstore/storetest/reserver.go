package storetest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/tokenstore"
)

// ReserverStore is a store that keeps counters and attachments.
type ReserverStore interface {
	tokenstore.Store
	tokenstore.Reserver
	tokenstore.Attacher
}

// RunReserver checks the Reserver and Attacher contract: reservations add up, zero
// reads, names and records are checked, attachments are written once, and both go with
// the record; concurrent reservations never hand out the same total twice.
func RunReserver(t *testing.T, open func(t *testing.T) ReserverStore) {
	t.Run("Counts", func(t *testing.T) {
		st, ctx := open(t), t.Context()
		rec, key := Session(t, 1)
		_, err := st.Reserve(ctx, rec.Token, "uses", 1)
		require.ErrorIs(t, err, tokenstore.ErrNotFound, "no record, no counters")
		require.NoError(t, st.Put(ctx, rec, key))

		total, err := st.Reserve(ctx, rec.Token, "uses", 0)
		require.NoError(t, err)
		require.Zero(t, total)
		total, err = st.Reserve(ctx, rec.Token, "uses", 64)
		require.NoError(t, err)
		require.Equal(t, uint64(64), total)
		total, err = st.Reserve(ctx, rec.Token, "uses", 64)
		require.NoError(t, err)
		require.Equal(t, uint64(128), total)
		total, err = st.Reserve(ctx, rec.Token, "lamports", 5_000)
		require.NoError(t, err)
		require.Equal(t, uint64(5_000), total)
		total, err = st.Reserve(ctx, rec.Token, "uses", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(128), total, "another counter left this one alone")

		_, err = st.Reserve(ctx, rec.Token, "lamports", ^uint64(0))
		require.ErrorIs(t, err, tokenstore.ErrInvalidRecord, "overflow")
		total, err = st.Reserve(ctx, rec.Token, "lamports", 0)
		require.NoError(t, err)
		require.Equal(t, uint64(5_000), total, "a refused reservation changed nothing")
		_, err = st.Reserve(ctx, rec.Token, "Uses!", 1)
		require.ErrorIs(t, err, tokenstore.ErrInvalidRecord)
	})
	t.Run("Attachments", func(t *testing.T) {
		st, ctx := open(t), t.Context()
		rec, key := Session(t, 2)
		require.ErrorIs(t, st.Attach(ctx, rec.Token, tokenstore.AttachmentGrant, []byte(`{}`)), tokenstore.ErrNotFound, "no record")
		require.NoError(t, st.Put(ctx, rec, key))
		require.NoError(t, st.Attach(ctx, rec.Token, tokenstore.AttachmentGrant, []byte(`{"version":1}`)))
		require.ErrorIs(t, st.Attach(ctx, rec.Token, tokenstore.AttachmentGrant, []byte(`{}`)), tokenstore.ErrExists, "written once")
		require.ErrorIs(t, st.Attach(ctx, rec.Token, "notes", []byte(`x`)), tokenstore.ErrInvalidRecord)
		got, err := st.Attachment(ctx, rec.Token, tokenstore.AttachmentGrant)
		require.NoError(t, err)
		require.Equal(t, `{"version":1}`, string(got))
	})
	t.Run("GoWithTheRecord", func(t *testing.T) {
		st, ctx := open(t), t.Context()
		rec, key := Session(t, 3)
		require.NoError(t, st.Put(ctx, rec, key))
		_, err := st.Reserve(ctx, rec.Token, "uses", 10)
		require.NoError(t, err)
		require.NoError(t, st.Attach(ctx, rec.Token, tokenstore.AttachmentGrant, []byte(`{"version":1}`)))
		require.NoError(t, st.Delete(ctx, rec.Token))
		_, err = st.Attachment(ctx, rec.Token, tokenstore.AttachmentGrant)
		require.ErrorIs(t, err, tokenstore.ErrNotFound)
		require.NoError(t, st.Put(ctx, rec, key))
		total, err := st.Reserve(ctx, rec.Token, "uses", 0)
		require.NoError(t, err)
		require.Zero(t, total, "Delete took the counters with the record")
		_, err = st.Attachment(ctx, rec.Token, tokenstore.AttachmentGrant)
		require.ErrorIs(t, err, tokenstore.ErrNotFound)
	})
	t.Run("Concurrent", func(t *testing.T) {
		st, ctx := open(t), t.Context()
		rec, key := Session(t, 4)
		require.NoError(t, st.Put(ctx, rec, key))
		const workers, each = 4, 10
		totals := make(chan uint64, workers*each)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					total, err := st.Reserve(ctx, rec.Token, "uses", 1)
					if err != nil {
						t.Error(err)
						return
					}
					totals <- total
				}
			})
		}
		wg.Wait()
		close(totals)
		seen := map[uint64]bool{}
		for total := range totals {
			require.False(t, seen[total], "total %d handed out twice", total)
			seen[total] = true
		}
		require.Len(t, seen, workers*each)
	})
}
