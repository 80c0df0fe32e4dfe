package tokenstore

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func forEachLeaser(t *testing.T, test func(t *testing.T, st Store, l Leaser)) {
	forEachStore(t, func(t *testing.T, st Store) {
		rec, key := testSession(t, 0)
		require.NoError(t, st.Put(t.Context(), rec, key))
		test(t, st, st.(Leaser))
	})
}

func TestLeaseLifecycle(t *testing.T) {
	forEachLeaser(t, func(t *testing.T, st Store, ls Leaser) {
		ctx := t.Context()
		token := testPub("token", 0)
		a, err := ls.Acquire(ctx, token, "host-a pid 1", time.Minute, false)
		require.NoError(t, err)
		assert.Equal(t, "host-a pid 1", a.Holder)
		assert.WithinDuration(t, time.Now().Add(time.Minute), a.Expires, 5*time.Second)

		_, err = ls.Acquire(ctx, token, "host-b pid 2", time.Minute, false)
		var he *HeldError
		require.ErrorAs(t, err, &he)
		require.ErrorIs(t, err, ErrHeld)
		assert.Equal(t, "host-a pid 1", he.Holder)
		assert.True(t, he.Expires.Equal(a.Expires))
		assert.Contains(t, err.Error(), `held by "host-a pid 1" until`)

		a, err = ls.Renew(ctx, a, 2*time.Minute)
		require.NoError(t, err)
		leases, err := ls.Leases(ctx)
		require.NoError(t, err)
		require.Len(t, leases, 1)
		assert.Equal(t, a, leases[0])

		b, err := ls.Acquire(ctx, token, "host-b pid 2", time.Minute, true)
		require.NoError(t, err)
		_, err = ls.Renew(ctx, a, time.Minute)
		var lost *LeaseLostError
		require.ErrorAs(t, err, &lost)
		require.ErrorIs(t, err, ErrLeaseLost)
		assert.Equal(t, "host-b pid 2", lost.Holder)
		require.ErrorIs(t, ls.Release(ctx, a), ErrLeaseLost, "a lost lease released the new one")
		require.NoError(t, ls.Release(ctx, b))
		leases, err = ls.Leases(ctx)
		require.NoError(t, err)
		assert.Empty(t, leases)
		require.ErrorIs(t, ls.Release(ctx, b), ErrLeaseLost)
	})
}

func TestExpiredLeaseIsTakenWithoutTakeover(t *testing.T) {
	forEachLeaser(t, func(t *testing.T, st Store, ls Leaser) {
		token := testPub("token", 0)
		a, err := ls.Acquire(t.Context(), token, "a", 10*time.Millisecond, false)
		require.NoError(t, err)
		time.Sleep(30 * time.Millisecond)
		_, err = ls.Acquire(t.Context(), token, "b", time.Minute, false)
		require.NoError(t, err)
		_, err = ls.Renew(t.Context(), a, time.Minute)
		require.ErrorIs(t, err, ErrLeaseLost)
	})
}

func TestLeaseRequests(t *testing.T) {
	forEachLeaser(t, func(t *testing.T, st Store, ls Leaser) {
		ctx := t.Context()
		_, err := ls.Acquire(ctx, testPub("token", 9), "a", time.Minute, false)
		require.ErrorIs(t, err, ErrNotFound)
		for _, holder := range []string{"", string(make([]byte, 129)), "a\x1b[2Jb", "\xff"} {
			_, err = ls.Acquire(ctx, testPub("token", 0), holder, time.Minute, false)
			require.ErrorIs(t, err, ErrInvalidLease, "holder %q", holder)
		}
		_, err = ls.Acquire(ctx, testPub("token", 0), "a", 0, false)
		require.ErrorIs(t, err, ErrInvalidLease)

		// Deleting the session ends its lease.
		a, err := ls.Acquire(ctx, testPub("token", 0), "a", time.Minute, false)
		require.NoError(t, err)
		require.NoError(t, st.Delete(ctx, testPub("token", 0)))
		leases, err := ls.Leases(ctx)
		require.NoError(t, err)
		assert.Empty(t, leases)
		_, err = ls.Renew(ctx, a, time.Minute)
		require.ErrorIs(t, err, ErrLeaseLost)
	})
}

// TestLeaseAcrossHandles: two Dir handles on one directory, as two
// processes that restored the same store would have.
func TestLeaseAcrossHandles(t *testing.T) {
	d1, dir := newTestDir(t)
	rec, key := testSession(t, 0)
	require.NoError(t, d1.Put(t.Context(), rec, key))
	d2 := openTestDir(t, dir)

	a, err := d1.Acquire(t.Context(), rec.Token, "first", time.Minute, false)
	require.NoError(t, err)
	_, err = d2.Acquire(t.Context(), rec.Token, "second", time.Minute, false)
	require.ErrorIs(t, err, ErrHeld)
	_, err = d2.Acquire(t.Context(), rec.Token, "second", time.Minute, true)
	require.NoError(t, err)
	_, err = d1.Renew(t.Context(), a, time.Minute)
	var lost *LeaseLostError
	require.ErrorAs(t, err, &lost)
	assert.Equal(t, "second", lost.Holder)
}

func TestLeaseAcrossProcesses(t *testing.T) {
	d, dir := newTestDir(t)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(t.Context(), rec, key))
	a, err := d.Acquire(t.Context(), rec.Token, "parent", time.Minute, false)
	require.NoError(t, err)

	run := func(takeover int) string {
		h := startHelper(t, "leaser", dir, 0, takeover, 0)
		line, err := h.stdout.ReadString('\n')
		require.NoError(t, err, "helper: %s", &h.stderr)
		require.NoError(t, h.cmd.Wait(), "helper: %s", &h.stderr)
		return line
	}
	assert.Equal(t, "held by parent\n", run(0))
	_, err = d.Renew(t.Context(), a, time.Minute)
	require.NoError(t, err, "a refused Acquire disturbed the lease")
	assert.Equal(t, "acquired\n", run(1))
	_, err = d.Renew(t.Context(), a, time.Minute)
	require.ErrorIs(t, err, ErrLeaseLost)
}

// TestLeaseFilesAreNotTrustedBlindly: an edited lease, a lease copied from
// another store and a linked lease are all refused.
func TestLeaseFilesAreNotTrustedBlindly(t *testing.T) {
	d, dir := newTestDir(t)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(t.Context(), rec, key))
	_, err := d.Acquire(t.Context(), rec.Token, "honest", time.Minute, false)
	require.NoError(t, err)
	path := filepath.Join(dir, "sessions", rec.Token.String()+".lease")
	good := mustRead(t, path)

	edited := append([]byte(nil), good...)
	edited[leaseFixedSize] ^= 1 // the holder's first byte: "honest" -> "ionest"
	require.NoError(t, os.WriteFile(path, edited, 0o600))
	_, err = d.Acquire(t.Context(), rec.Token, "other", time.Minute, false)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, path, ce.Path)
	leases, err := d.Leases(t.Context())
	assert.Empty(t, leases)
	require.ErrorAs(t, err, &ce)

	other, otherDir := newTestDir(t)
	require.NoError(t, other.Put(t.Context(), rec, key))
	_, err = other.Acquire(t.Context(), rec.Token, "foreign", time.Minute, false)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, mustRead(t, filepath.Join(otherDir, "sessions", rec.Token.String()+".lease")), 0o600))
	_, err = d.Acquire(t.Context(), rec.Token, "other", time.Minute, false)
	require.ErrorIs(t, err, ErrCorrupt)

	elsewhere := filepath.Join(t.TempDir(), "kept.lease")
	require.NoError(t, os.WriteFile(elsewhere, good, 0o600))
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Symlink(elsewhere, path))
	_, err = d.Acquire(t.Context(), rec.Token, "other", time.Minute, false)
	requireUnsafe(t, err, path, "symbolic link")

	// Takeover replaces a lease it cannot read.
	_, err = d.Acquire(t.Context(), rec.Token, "other", time.Minute, true)
	require.NoError(t, err)
	_, err = os.Stat(elsewhere)
	require.NoError(t, err, "the link's target was touched")
}

// FuzzParseLease: no input panics; what parses re-encodes to the same
// body, and a fuzzed lease never authenticates as anything but the sealed
// one.
func FuzzParseLease(f *testing.F) {
	s := goldenSealer(f)
	l := Lease{Token: testPub("token", 0), Holder: "host pid 42", Expires: time.Unix(1_800_000_000, 5).UTC()}
	copy(l.id[:], "sixteen byte id!")
	golden := s.sealLease(&l)
	f.Add(golden)
	f.Add(golden[:leaseFixedSize])
	f.Add([]byte("SKTL\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseLease("fuzz", b)
		if err != nil {
			return
		}
		require.Equal(t, p.body, appendLeaseBody(nil, &p.lease))
		// Each fuzzing process seals under its own random nonce, so compare
		// the lease, not the bytes.
		if s.openLease("fuzz", &p) == nil {
			require.Equal(t, l, p.lease, "only the sealed lease authenticates")
		}
	})
}
