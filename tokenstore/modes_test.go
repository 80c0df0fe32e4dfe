package tokenstore

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenRefusesWidenedModes: a store whose modes were widened may have
// been read; Open refuses it, naming the path and the mode, and leaves the
// mode for the owner to judge.
func TestOpenRefusesWidenedModes(t *testing.T) {
	tests := []struct {
		path string
		mode fs.FileMode
	}{
		{"", 0o777},
		{"sessions", 0o755},
		{"tmp", 0o770},
		{"store.json", 0o666},
		{"lock", 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			d, dir := newTestDir(t)
			d.Close()
			path := filepath.Clean(filepath.Join(dir, tt.path))
			require.NoError(t, os.Chmod(path, tt.mode))
			_, err := Open(t.Context(), dir, MasterKey(testMasterKey))
			var ue *UnsafePathError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, path, ue.Path)
			assert.Equal(t, tt.mode, ue.Mode.Perm())
			assert.Contains(t, err.Error(), "mode "+"0"+modeDigits(tt.mode))
			fi, err := os.Stat(path)
			require.NoError(t, err)
			assert.Equal(t, tt.mode, fi.Mode().Perm(), "Open changed the mode")
		})
	}
}

func modeDigits(m fs.FileMode) string {
	return string([]byte{'0' + byte(m>>6&7), '0' + byte(m>>3&7), '0' + byte(m&7)})
}

// TestWidenedRecordIsRefused: a 0666 record is not read, but the sound
// ones still are.
func TestWidenedRecordIsRefused(t *testing.T) {
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	require.NoError(t, os.Chmod(paths[1], 0o666))
	_, _, err := d.Get(t.Context(), testPub("token", 1))
	requireUnsafe(t, err, paths[1], "mode 0666")
	recs, err := d.List(t.Context(), Filter{})
	assert.Len(t, recs, 2)
	requireUnsafe(t, err, paths[1], "mode 0666")
	requireOthersReadable(t, d)
}

// TestOpenAcceptsStoresBelowTheFloor: the floor binds new stores only, so a
// store made with weaker Argon2id parameters before it existed (time 1,
// 64 KiB) stays readable by its owner.
func TestOpenAcceptsStoresBelowTheFloor(t *testing.T) {
	dir := copyDir(t, "testdata/store-v1-below-floor")
	d, err := Open(t.Context(), dir, Passphrase([]byte(goldenStorePassphrase)))
	require.NoError(t, err)
	defer d.Close()
	recs, err := d.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Len(t, recs, goldenStoreSessions)
}
