package tokenstore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPartialListKeepsSoundRecords: one truncated and one future-version
// record must not hide the sound ones, and each is named in a
// *PartialError that callers can tell from a failed listing.
func TestPartialListKeepsSoundRecords(t *testing.T) {
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	for i := 3; i < 5; i++ {
		rec, key := testSession(t, i)
		require.NoError(t, d.Put(t.Context(), rec, key))
	}
	b := mustRead(t, paths[1])
	require.NoError(t, os.WriteFile(paths[1], b[:100], 0o600))
	future := filepath.Join(dir, "sessions", testPub("token", 3).String()+".rec")
	b = mustRead(t, future)
	b[offVersion] = 2
	require.NoError(t, os.WriteFile(future, b, 0o600))

	check := func(t *testing.T, recs []Record, err error, op string, n int) {
		var pe *PartialError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, op, pe.Op)
		require.Len(t, pe.Files, 2)
		wantPaths := []string{paths[1], future}
		if wantPaths[0] > wantPaths[1] {
			wantPaths[0], wantPaths[1] = wantPaths[1], wantPaths[0]
		}
		for i, fe := range pe.Files {
			assert.Contains(t, fe.Error(), wantPaths[i])
		}
		assert.ErrorIs(t, err, ErrCorrupt)
		assert.ErrorIs(t, err, ErrUnsupportedVersion)
		var ce *CorruptError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, paths[1], ce.Path)
		assert.Contains(t, ce.Reason, "truncated: 100 bytes")
		assert.Contains(t, err.Error(), "tokenstore: "+op+": 2 record file(s) unusable")
		assert.Len(t, recs, n)
	}
	recs, err := d.List(t.Context(), Filter{})
	check(t, recs, err, "list", 3)
	recs, err = d.ListExpired(t.Context(), testTime(2_000_000_000))
	check(t, recs, err, "list", 3)
	n, err := d.Prune(t.Context(), testTime(2_000_000_000))
	check(t, nil, err, "prune", 0)
	assert.Equal(t, 3, n)
}

func TestPartialErrorMessageIsBounded(t *testing.T) {
	e := &PartialError{Op: "list"}
	for i := range 10 {
		e.Files = append(e.Files, &CorruptError{Path: filepath.Join("s", string(rune('a'+i))+".rec"), Reason: "bad"})
	}
	assert.Equal(t, "tokenstore: list: 10 record file(s) unusable; corrupt file s/a.rec: bad; corrupt file s/b.rec: bad; corrupt file s/c.rec: bad; and 7 more", e.Error())
	assert.True(t, errors.Is(e, ErrCorrupt))
}

func TestMemoryListIsNeverPartial(t *testing.T) {
	m := NewMemory()
	rec, key := testSession(t, 0)
	require.NoError(t, m.Put(t.Context(), rec, key))
	recs, err := m.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Len(t, recs, 1)
}
