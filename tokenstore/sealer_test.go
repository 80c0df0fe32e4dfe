package tokenstore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionkit/sessionkit/pda"
	"github.com/sessionkit/sessionkit/tokenstore"
	"github.com/sessionkit/sessionkit/tokenstore/storetest"
)

func newSealer(t testing.TB) (*tokenstore.Sealer, []byte) {
	s, header, err := tokenstore.NewSealer(tokenstore.MasterKey(bytes.Repeat([]byte{1}, 32)))
	require.NoError(t, err)
	return s, header
}

// A Sealer seals as Dir does: the header reopens with the credential only, and every
// public field is bound to the sealed seed.
func TestSealer(t *testing.T) {
	s, header := newSealer(t)
	rec, key := storetest.Session(t, 1)
	sr, err := s.Seal(rec, key, time.Now())
	require.NoError(t, err)
	assert.Len(t, sr.Nonce, 24)
	assert.Len(t, sr.Sealed, 48)

	again, err := tokenstore.OpenSealer(t.Context(), "hdr", header, tokenstore.MasterKey(bytes.Repeat([]byte{1}, 32)))
	require.NoError(t, err)
	got, err := again.Open("row", sr)
	require.NoError(t, err)
	assert.Equal(t, key.PrivateKey(), got.PrivateKey())
	_, err = tokenstore.OpenSealer(t.Context(), "hdr", header, tokenstore.MasterKey(bytes.Repeat([]byte{2}, 32)))
	require.ErrorIs(t, err, tokenstore.ErrWrongKey)

	for name, edit := range map[string]func(r *tokenstore.SealedRecord){
		"authority":   func(r *tokenstore.SealedRecord) { r.Record.Authority[0] ^= 1 },
		"valid until": func(r *tokenstore.SealedRecord) { r.Record.ValidUntil++ },
		"version":     func(r *tokenstore.SealedRecord) { r.Record.Version = pda.V1 },
		"created at":  func(r *tokenstore.SealedRecord) { r.Record.CreatedAt = r.Record.CreatedAt.Add(time.Nanosecond) },
		"nonce":       func(r *tokenstore.SealedRecord) { r.Nonce = append([]byte{1}, r.Nonce[1:]...) },
		"short":       func(r *tokenstore.SealedRecord) { r.Sealed = r.Sealed[:47] },
	} {
		bad := sr
		bad.Nonce, bad.Sealed = bytes.Clone(sr.Nonce), bytes.Clone(sr.Sealed)
		edit(&bad)
		_, err := again.Open("row 7", bad)
		var ce *tokenstore.CorruptError
		require.ErrorAs(t, err, &ce, name)
		assert.Equal(t, "row 7", ce.Path)
	}
	_, err = s.Seal(tokenstore.Record{}, key, time.Now())
	require.ErrorIs(t, err, tokenstore.ErrInvalidRecord)
}

// Open is the guard between a database row and a key: whatever the row holds, it
// returns a key only for a row it sealed.
func FuzzSealerOpen(f *testing.F) {
	s, _ := newSealer(f)
	rec, key := storetest.Session(f, 0)
	sr, err := s.Seal(rec, key, time.Now())
	require.NoError(f, err)
	f.Add(sr.Nonce, sr.Sealed, rec.ValidUntil, byte(0))
	f.Add([]byte{}, []byte{}, int64(0), byte(1))
	f.Fuzz(func(t *testing.T, nonce, sealed []byte, validUntil int64, flip byte) {
		r := sr
		r.Nonce, r.Sealed, r.Record.ValidUntil = nonce, sealed, validUntil
		r.Record.Authority[0] ^= flip
		got, err := s.Open("row", r)
		if err == nil {
			require.Equal(t, sr.Record, r.Record, "opened an edited row")
			require.Equal(t, key.PublicKey(), got.PublicKey())
			return
		}
		require.ErrorIs(t, err, tokenstore.ErrCorrupt)
	})
}
