package tokenstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireUnsafe checks that err is an *UnsafePathError naming path.
func requireUnsafe(t *testing.T, err error, path, reason string) {
	t.Helper()
	var ue *UnsafePathError
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, path, ue.Path)
	assert.Contains(t, ue.Reason, reason)
	assert.ErrorIs(t, err, ErrUnsafePath)
}

// TestOpenRefusesLinkedDirectories: a store restored from a backup whose
// tmp/ (or sessions/) is a link elsewhere must not be opened, and above
// all not swept: the files at the link's target must survive.
func TestOpenRefusesLinkedDirectories(t *testing.T) {
	for _, sub := range []string{tmpName, sessionsName} {
		t.Run(sub, func(t *testing.T) {
			d, dir := newTestDir(t)
			putThree(t, d, dir)
			d.Close()
			elsewhere := t.TempDir()
			for _, name := range []string{"a", "b", "put-c"} {
				require.NoError(t, os.WriteFile(filepath.Join(elsewhere, name), []byte("unrelated"), 0o600))
			}
			path := filepath.Join(dir, sub)
			require.NoError(t, os.Rename(path, path+".old"))
			require.NoError(t, os.Symlink(elsewhere, path))

			_, err := Open(t.Context(), dir, MasterKey(testMasterKey))
			requireUnsafe(t, err, path, "symbolic link")
			names, err := readNames(elsewhere)
			require.NoError(t, err)
			assert.Len(t, names, 3, "Open removed files at the link's target")
		})
	}
}

func TestOpenRefusesLinkedStoreFiles(t *testing.T) {
	for _, name := range []string{"", headerName, lockName} {
		t.Run(name, func(t *testing.T) {
			_, dir := newTestDir(t)
			path := filepath.Join(dir, name)
			if name == "" {
				path = filepath.Clean(dir)
			}
			moved := filepath.Join(t.TempDir(), "moved")
			require.NoError(t, os.Rename(path, moved))
			require.NoError(t, os.Symlink(moved, path))
			_, err := Open(t.Context(), dir, MasterKey(testMasterKey))
			if name == "" {
				// The store directory itself: the link is refused, not
				// followed to the real store.
				requireUnsafe(t, err, dir, "symbolic link")
				return
			}
			requireUnsafe(t, err, path, "symbolic link")
		})
	}
}

// TestFIFORecordDoesNotBlock: a FIFO named like a record must neither
// block List (an open for reading blocks until a writer comes) nor hide the
// sound records.
func TestFIFORecordDoesNotBlock(t *testing.T) {
	d, dir := newTestDir(t)
	putThree(t, d, dir)
	fifo := filepath.Join(dir, "sessions", testPub("token", 7).String()+".rec")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	type result struct {
		recs []Record
		err  error
	}
	done := make(chan result, 1)
	go func() {
		recs, err := d.List(ctx, Filter{})
		done <- result{recs, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("List blocked on a FIFO")
	}
	assert.Len(t, res.recs, 3)
	var pe *PartialError
	require.ErrorAs(t, res.err, &pe)
	require.Len(t, pe.Files, 1)
	requireUnsafe(t, pe.Files[0], fifo, "named pipe")

	_, _, err := d.Get(ctx, testPub("token", 7))
	requireUnsafe(t, err, fifo, "named pipe")
	require.NoError(t, ctx.Err(), "Get blocked on a FIFO")
}

// TestLinkedRecordIsRefused: a symlink named like a record, pointing at a
// valid record kept elsewhere, is not read.
func TestLinkedRecordIsRefused(t *testing.T) {
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	elsewhere := filepath.Join(t.TempDir(), "kept.rec")
	require.NoError(t, os.Rename(paths[1], elsewhere))
	require.NoError(t, os.Symlink(elsewhere, paths[1]))

	_, _, err := d.Get(t.Context(), testPub("token", 1))
	requireUnsafe(t, err, paths[1], "symbolic link")
	recs, err := d.List(t.Context(), Filter{})
	assert.Len(t, recs, 2)
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe.Files, 1)
	requireUnsafe(t, pe.Files[0], paths[1], "symbolic link")

	// Delete removes the link, never its target.
	require.NoError(t, d.Delete(t.Context(), testPub("token", 1)))
	_, err = os.Stat(elsewhere)
	require.NoError(t, err)
}

func TestRecordOwnedByAnotherUserIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	require.NoError(t, os.Lchown(paths[1], 12345, 12345))
	_, _, err := d.Get(t.Context(), testPub("token", 1))
	requireUnsafe(t, err, paths[1], "owned by uid 12345")
}

// TestPutHonoursContextWhileLocked: a process that holds the store's lock
// forever must not hang Put past its context.
func TestPutHonoursContextWhileLocked(t *testing.T) {
	d, _ := newTestDir(t)
	l, err := d.root.lockFile(lockName, true)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	rec, key := testSession(t, 0)
	start := time.Now()
	err = d.Put(ctx, rec, key)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.Less(t, time.Since(start), 2*time.Second)
}
