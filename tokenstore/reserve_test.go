package tokenstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The counters survive reopening, and a counter or attachment file that was edited,
// or copied from another token, is refused as corrupt rather than trusted.
func TestReserveDirFiles(t *testing.T) {
	ctx := context.Background()
	d, path := newTestDir(t)
	a, keyA := testSession(t, 1)
	b, keyB := testSession(t, 2)
	require.NoError(t, d.Put(ctx, a, keyA))
	require.NoError(t, d.Put(ctx, b, keyB))
	_, err := d.Reserve(ctx, a.Token, "uses", 100)
	require.NoError(t, err)
	_, err = d.Reserve(ctx, b.Token, "uses", 7)
	require.NoError(t, err)
	require.NoError(t, d.Attach(ctx, a.Token, AttachmentGrant, []byte("grant a")))
	require.NoError(t, d.Close())

	d = openTestDir(t, path)
	total, err := d.Reserve(ctx, a.Token, "uses", 0)
	require.NoError(t, err)
	require.Equal(t, uint64(100), total)

	sessions := filepath.Join(path, "sessions")
	countA := filepath.Join(sessions, a.Token.String()+".count")
	countB := filepath.Join(sessions, b.Token.String()+".count")
	info, err := os.Stat(countA)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// Rolled back: b's file (7 uses) copied over a's.
	saved, err := os.ReadFile(countA)
	require.NoError(t, err)
	fromB, err := os.ReadFile(countB)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(countA, fromB, 0o600))
	_, err = d.Reserve(ctx, a.Token, "uses", 1)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)

	// Edited: one bit of the total flipped.
	edited := append([]byte(nil), saved...)
	edited[4+1+32+1+1+len("uses")] ^= 1
	require.NoError(t, os.WriteFile(countA, edited, 0o600))
	_, err = d.Reserve(ctx, a.Token, "uses", 0)
	require.ErrorAs(t, err, &ce)

	// A link is refused as records are.
	require.NoError(t, os.Remove(countA))
	require.NoError(t, os.Symlink(countB, countA))
	_, err = d.Reserve(ctx, a.Token, "uses", 0)
	var ue *UnsafePathError
	require.ErrorAs(t, err, &ue)

	att := filepath.Join(sessions, a.Token.String()+".grant.att")
	raw, err := os.ReadFile(att)
	require.NoError(t, err)
	raw[len(raw)-nonceSize-sideTagSize-1] ^= 1
	require.NoError(t, os.WriteFile(att, raw, 0o600))
	_, err = d.Attachment(ctx, a.Token, AttachmentGrant)
	require.ErrorAs(t, err, &ce)
}

// FuzzParseCounters: the counter body decoder never panics, and what it accepts encodes
// back to the same bytes (so a rewrite of the file changes nothing it did not mean to).
func FuzzParseCounters(f *testing.F) {
	token := testPub("token", 1)
	var cs counters
	_, _ = cs.add("lamports", 5)
	_, _ = cs.add("uses", 64)
	f.Add(appendCounters(token, cs))
	f.Add(appendCounters(token, nil))
	f.Fuzz(func(t *testing.T, body []byte) {
		rest, err := sideHeader("fuzz", body, counterMagic, token)
		if err != nil {
			return
		}
		cs, err := parseCounters("fuzz", rest)
		if err != nil {
			return
		}
		if got := appendCounters(token, cs); string(got) != string(body) {
			t.Fatalf("re-encoded %x, read %x", got, body)
		}
	})
}
