package tokenstore

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateLayoutAndModes(t *testing.T) {
	d, dir := newTestDir(t)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(t.Context(), rec, key))

	tests := []struct {
		path string
		mode fs.FileMode
	}{
		{"", fs.ModeDir | 0o700},
		{"store.json", 0o600},
		{"lock", 0o600},
		{"tmp", fs.ModeDir | 0o700},
		{"sessions", fs.ModeDir | 0o700},
		{"sessions/" + rec.Token.String() + ".rec", 0o600},
	}
	for _, tt := range tests {
		fi, err := os.Stat(filepath.Join(dir, tt.path))
		require.NoError(t, err)
		assert.Equal(t, tt.mode, fi.Mode(), "mode of %q", tt.path)
	}
	fi, err := os.Stat(filepath.Join(dir, "sessions", rec.Token.String()+".rec"))
	require.NoError(t, err)
	assert.EqualValues(t, recordSize, fi.Size())
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp, "Put left a temporary file")
}

func TestCreateHeader(t *testing.T) {
	tests := []struct {
		name string
		cred Credential
		opts []Option
		kdf  map[string]any
	}{
		{"master key", MasterKey(testMasterKey), nil, map[string]any{"name": "raw"}},
		{"passphrase", Passphrase([]byte("hunter2")), []Option{LightArgon2},
			map[string]any{"name": "argon2id", "time": 2.0, "memory_kib": 19456.0, "threads": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir() + "/s"
			d, err := Create(t.Context(), dir, tt.cred, tt.opts...)
			require.NoError(t, err)
			d.Close()
			b, err := os.ReadFile(filepath.Join(dir, "store.json"))
			require.NoError(t, err)
			var h map[string]any
			require.NoError(t, json.Unmarshal(b, &h))
			assert.Equal(t, "sessionkit-tokenstore", h["format"])
			assert.Equal(t, 1.0, h["version"])
			kdf := h["kdf"].(map[string]any)
			if salt, ok := kdf["salt"]; ok {
				assert.Len(t, salt, 24, "base64 of 16 bytes")
				delete(kdf, "salt")
			}
			assert.Equal(t, tt.kdf, kdf)
			assert.Len(t, h["store_id"], 24)
			assert.Len(t, h["key_check"], 44)
		})
	}
}

// TestDefaultArgon2 is the one test that pays for the default KDF.
func TestDefaultArgon2(t *testing.T) {
	dir := t.TempDir() + "/s"
	pw := []byte("correct horse battery staple")
	d, err := Create(t.Context(), dir, Passphrase(pw))
	require.NoError(t, err)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(t.Context(), rec, key))
	d.Close()

	h, err := parseHeader("store.json", mustRead(t, filepath.Join(dir, "store.json")))
	require.NoError(t, err)
	want := argon2Of(StandardArgon2)
	want.Name, want.Salt = "argon2id", h.KDF.Salt
	assert.Equal(t, want, h.KDF, "the default is StandardArgon2")

	d, err = Open(t.Context(), dir, Passphrase(pw))
	require.NoError(t, err)
	defer d.Close()
	_, got, err := d.Get(t.Context(), rec.Token)
	require.NoError(t, err)
	assert.Equal(t, key.PublicKey(), got.PublicKey())
}

// TestArgon2Presets pins the presets: a store records its parameters, so a
// changed preset only affects new stores, and silently.
func TestArgon2Presets(t *testing.T) {
	assert.Equal(t, kdfParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}, argon2Of(StandardArgon2))
	assert.Equal(t, kdfParams{Time: 2, MemoryKiB: 19456, Threads: 1}, argon2Of(LightArgon2))
}

// argon2Of returns the Argon2id parameters opt sets.
func argon2Of(opt Option) kdfParams {
	var o createOptions
	opt(&o)
	return o.argon2
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestOpenCredentials(t *testing.T) {
	ctx := t.Context()
	base := t.TempDir()
	pwDir, keyDir := base+"/pw", base+"/key"
	d, err := Create(ctx, pwDir, Passphrase([]byte("right")), LightArgon2)
	require.NoError(t, err)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(ctx, rec, key))
	d.Close()
	d, err = Create(ctx, keyDir, MasterKey(testMasterKey))
	require.NoError(t, err)
	d.Close()

	otherKey := testKeyBytes("master", 1)
	tests := []struct {
		name    string
		dir     string
		cred    Credential
		want    error
		wantMsg string
	}{
		{"right passphrase", pwDir, Passphrase([]byte("right")), nil, ""},
		{"wrong passphrase", pwDir, Passphrase([]byte("wrong")), ErrWrongPassphrase, "wrong passphrase for store " + pwDir},
		{"master key on passphrase store", pwDir, MasterKey(testMasterKey), ErrWrongKey, "keyed by a passphrase"},
		{"right master key", keyDir, MasterKey(testMasterKey), nil, ""},
		{"wrong master key", keyDir, MasterKey(otherKey[:]), ErrWrongKey, "wrong key for store " + keyDir},
		{"passphrase on master key store", keyDir, Passphrase([]byte("right")), ErrWrongKey, "keyed by a master key"},
		{"short master key", keyDir, MasterKey(testMasterKey[:16]), ErrInvalidKey, "16 bytes"},
		{"empty passphrase", pwDir, Passphrase(nil), ErrInvalidKey, "empty passphrase"},
		{"no credential", pwDir, Credential{}, ErrInvalidKey, "no credential"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Open(ctx, tt.dir, tt.cred)
			if tt.want == nil {
				require.NoError(t, err)
				d.Close()
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Nil(t, d)
		})
	}
	assert.False(t, errors.Is(func() error { _, err := Open(ctx, keyDir, MasterKey(otherKey[:])); return err }(), ErrWrongPassphrase),
		"a wrong master key is not a wrong passphrase")
}

// TestWrongPassphraseTouchesNoRecord makes every record unreadable: Open
// must still answer ErrWrongPassphrase, and the records must be untouched.
func TestWrongPassphraseTouchesNoRecord(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir() + "/s"
	d, err := Create(ctx, dir, Passphrase([]byte("right")), LightArgon2)
	require.NoError(t, err)
	rec, key := testSession(t, 0)
	require.NoError(t, d.Put(ctx, rec, key))
	d.Close()
	path := filepath.Join(dir, "sessions", rec.Token.String()+".rec")
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))

	_, err = Open(ctx, dir, Passphrase([]byte("wrong")))
	require.ErrorIs(t, err, ErrWrongPassphrase)
	assert.Equal(t, []byte("garbage"), mustRead(t, path))
}

func TestCreateRefusesExisting(t *testing.T) {
	ctx := t.Context()
	_, dir := newTestDir(t)
	_, err := Create(ctx, dir, MasterKey(testMasterKey))
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), "a store already exists")

	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, "notes.txt"), nil, 0o600))
	_, err = Create(ctx, other, MasterKey(testMasterKey))
	require.ErrorIs(t, err, fs.ErrExist)
	assert.Contains(t, err.Error(), `holds "notes.txt"`)

	// An empty existing directory is fine and gets mode 0700.
	empty := t.TempDir()
	require.NoError(t, os.Chmod(empty, 0o755))
	d, err := Create(ctx, empty, MasterKey(testMasterKey))
	require.NoError(t, err)
	d.Close()
	fi, err := os.Stat(empty)
	require.NoError(t, err)
	assert.Equal(t, fs.ModeDir|0o700, fi.Mode())
}

func TestCreateRejectsArgon2Params(t *testing.T) {
	tests := []struct {
		name   string
		opt    Option
		reason string
	}{
		{"zero time", WithArgon2(0, 19456, 1), "time 0 outside 2..10"},
		{"one pass, below OWASP", WithArgon2(1, 19456, 1), "time 1 outside 2..10"},
		{"huge time", WithArgon2(11, 19456, 1), "time 11 outside 2..10"},
		{"zero threads", WithArgon2(2, 19456, 0), "threads"},
		{"8 KiB", WithArgon2(2, 8, 1), "memory 8 KiB outside 19456..1048576 KiB"},
		{"just below OWASP", WithArgon2(2, 19455, 1), "memory 19455 KiB"},
		{"too much memory", WithArgon2(2, 1<<20+1, 4), "memory 1048577 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir() + "/s"
			_, err := Create(t.Context(), dir, Passphrase([]byte("pw")), tt.opt)
			var pe *KDFParamError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, ErrKDFParams)
			assert.Contains(t, err.Error(), tt.reason)
			_, err = os.Stat(dir)
			assert.ErrorIs(t, err, fs.ErrNotExist, "a rejected Create left a directory")
		})
	}
}

func TestOpenMissingStore(t *testing.T) {
	_, err := Open(t.Context(), t.TempDir()+"/nothing", MasterKey(testMasterKey))
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "no store here")
}

func TestOpenBadHeader(t *testing.T) {
	_, dir := newTestDir(t)
	path := filepath.Join(dir, "store.json")
	good := string(mustRead(t, path))
	tests := []struct {
		name    string
		content string
		want    error
		reason  string
	}{
		{"empty", "", ErrCorrupt, "not a store header"},
		{"not json", "hello", ErrCorrupt, "not a store header"},
		{"other format", `{"format":"age","version":1}`, ErrCorrupt, `format "age"`},
		{"newer version", `{"format":"sessionkit-tokenstore","version":2,"future":true}`, ErrUnsupportedVersion, "format version 2"},
		{"version 0", strings.Replace(good, `"version": 1,`, `"version": 0,`, 1), ErrCorrupt, "format version 0 was never written"},
		{"no version", `{"format":"sessionkit-tokenstore"}`, ErrCorrupt, "format version 0 was never written"},
		{"unknown field", strings.Replace(good, `"version": 1,`, `"version": 1, "extra": 1,`, 1), ErrCorrupt, `unknown field "extra"`},
		{"trailing data", good + "{}", ErrCorrupt, "after top-level value"},
		{"short store id", strings.Replace(good, `"store_id": "`, `"store_id": "AAAA`, 1), ErrCorrupt, "store_id is"},
		{"unknown kdf", strings.Replace(good, `"raw"`, `"scrypt"`, 1), ErrCorrupt, `unknown kdf "scrypt"`},
		{"raw with params", strings.Replace(good, `"name": "raw"`, `"name": "raw", "time": 1`, 1), ErrCorrupt, "takes no parameters"},
		{"too large", good + strings.Repeat(" ", maxHeaderSize), ErrCorrupt, "larger than 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o600))
			_, err := Open(t.Context(), dir, MasterKey(testMasterKey))
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.reason)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestOpenRejectsPlantedArgon2Params(t *testing.T) {
	dir := t.TempDir() + "/s"
	d, err := Create(t.Context(), dir, Passphrase([]byte("pw")), LightArgon2)
	require.NoError(t, err)
	d.Close()
	path := filepath.Join(dir, "store.json")
	good := string(mustRead(t, path))
	for _, tt := range []struct{ from, to, reason string }{
		{`"memory_kib": 19456`, `"memory_kib": 4294967295`, "memory 4294967295 KiB"},
		// 4 GiB and 100 passes were once accepted: minutes of work per Open.
		{`"memory_kib": 19456`, `"memory_kib": 4194304`, "memory 4194304 KiB outside 8..1048576 KiB"},
		{`"time": 2`, `"time": 100`, "time 100 outside 1..10"},
	} {
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(good, tt.from, tt.to, 1)), 0o600))
		start := time.Now()
		_, err = Open(t.Context(), dir, Passphrase([]byte("pw")))
		require.ErrorIs(t, err, ErrCorrupt)
		assert.Contains(t, err.Error(), tt.reason)
		assert.NotContains(t, err.Error(), "tokenstore: tokenstore:")
		assert.Less(t, time.Since(start), time.Second, "Open ran the planted KDF")
	}
}

// putThree stores sessions 0..2 and returns their file paths.
func putThree(t *testing.T, d *Dir, dir string) []string {
	t.Helper()
	var paths []string
	for i := range 3 {
		rec, key := testSession(t, i)
		require.NoError(t, d.Put(t.Context(), rec, key))
		paths = append(paths, filepath.Join(dir, "sessions", rec.Token.String()+".rec"))
	}
	return paths
}

// requireOthersReadable checks that sessions 0 and 2 still Get and List.
func requireOthersReadable(t *testing.T, d *Dir) {
	t.Helper()
	for _, i := range []int{0, 2} {
		want, _ := testSession(t, i)
		got, _, err := d.Get(t.Context(), want.Token)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// requireCorrupt checks that session 1, stored at path, is reported as
// corrupt by Get and List, naming path, while List returns the others.
func requireCorrupt(t *testing.T, d *Dir, path, reason string) {
	t.Helper()
	bad, _ := testSession(t, 1)
	_, key, err := d.Get(t.Context(), bad.Token)
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.Path)
	require.Contains(t, ce.Reason, reason)
	require.Nil(t, key)

	recs, err := d.List(t.Context(), Filter{})
	require.ErrorAs(t, err, &ce)
	require.Equal(t, path, ce.Path)
	require.Len(t, recs, 2)
	require.NotEqual(t, bad.Token, recs[0].Token)
	require.NotEqual(t, bad.Token, recs[1].Token)
	requireOthersReadable(t, d)
}

func TestEveryFlippedBitIsDetected(t *testing.T) {
	d, dir := newTestDir(t)
	path := putThree(t, d, dir)[1]
	orig := mustRead(t, path)
	require.Len(t, orig, recordSize)
	for off := range orig {
		for _, bit := range []byte{0x01, 0x80} {
			flipped := append([]byte(nil), orig...)
			flipped[off] ^= bit
			require.NoError(t, os.WriteFile(path, flipped, 0o600))
			bad, _ := testSession(t, 1)
			_, _, err := d.Get(t.Context(), bad.Token)
			var ce *CorruptError
			var ve *VersionError
			switch {
			case off == offVersion && flipped[off] != 0:
				require.ErrorAs(t, err, &ve, "offset %d", off)
				require.Equal(t, path, ve.Path)
			case errors.As(err, &ce):
				require.Equal(t, path, ce.Path, "offset %d", off)
			default:
				t.Fatalf("flipping bit %#x at offset %d: got %v, want a *CorruptError", bit, off, err)
			}
			recs, err := d.List(t.Context(), Filter{})
			require.Error(t, err, "offset %d", off)
			require.Len(t, recs, 2, "offset %d", off)
		}
	}
	require.NoError(t, os.WriteFile(path, orig, 0o600))
	requireOthersReadable(t, d)
	_, _, err := d.Get(t.Context(), testPub("token", 1))
	require.NoError(t, err, "the restored record")
}

func TestCorruptRecords(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(b []byte) []byte
		reason string
	}{
		{"empty", func([]byte) []byte { return nil }, "truncated: 0 bytes"},
		{"truncated in metadata", func(b []byte) []byte { return b[:100] }, "truncated: 100 bytes, want 286"},
		{"truncated in ciphertext", func(b []byte) []byte { return b[:recordSize-1] }, "truncated: 285 bytes"},
		{"trailing byte", func(b []byte) []byte { return append(b, 0) }, "1 bytes of trailing data"},
		{"huge", func(b []byte) []byte { return append(b, make([]byte, 1<<20)...) }, "739 bytes of trailing data"},
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }, "bad magic"},
		{"unknown session version", func(b []byte) []byte { b[offSessionVer] = 9; return b }, "unknown session version 9"},
		{"metadata bit", func(b []byte) []byte { b[offValidUntil] ^= 1; return b }, "authentication failed"},
		{"fee payer bit", func(b []byte) []byte { b[offFeePayer+31] ^= 0x40; return b }, "authentication failed"},
		{"ciphertext bit", func(b []byte) []byte { b[metadataSize+nonceSize+3] ^= 1; return b }, "authentication failed"},
		{"tag bit", func(b []byte) []byte { b[recordSize-1] ^= 1; return b }, "authentication failed"},
		{"nonce bit", func(b []byte) []byte { b[metadataSize] ^= 1; return b }, "authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, dir := newTestDir(t)
			path := putThree(t, d, dir)[1]
			require.NoError(t, os.WriteFile(path, tt.edit(mustRead(t, path)), 0o600))
			requireCorrupt(t, d, path, tt.reason)
		})
	}
}

func TestRecordUnderAnotherName(t *testing.T) {
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	// Session 1's file now holds session 0's valid record.
	require.NoError(t, os.WriteFile(paths[1], mustRead(t, paths[0]), 0o600))
	requireCorrupt(t, d, paths[1], "not the one its name says")
}

func TestRecordFromAnotherStore(t *testing.T) {
	d, dir := newTestDir(t)
	paths := putThree(t, d, dir)
	// Same master key, different store id.
	other, otherDir := newTestDir(t)
	rec, key := testSession(t, 1)
	require.NoError(t, other.Put(t.Context(), rec, key))
	foreign := mustRead(t, filepath.Join(otherDir, "sessions", rec.Token.String()+".rec"))
	require.NoError(t, os.WriteFile(paths[1], foreign, 0o600))
	requireCorrupt(t, d, paths[1], "belongs to another store")
}

func TestRecordWithFutureVersion(t *testing.T) {
	d, dir := newTestDir(t)
	path := putThree(t, d, dir)[1]
	b := mustRead(t, path)
	b[offVersion] = 2
	require.NoError(t, os.WriteFile(path, b, 0o600))
	bad, _ := testSession(t, 1)
	_, _, err := d.Get(t.Context(), bad.Token)
	var ve *VersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, VersionError{Path: path, Kind: "record", Version: 2}, *ve)
	recs, err := d.List(t.Context(), Filter{})
	require.ErrorIs(t, err, ErrUnsupportedVersion)
	assert.Len(t, recs, 2)
}

func TestListIgnoresForeignNamesAndReportsBadNames(t *testing.T) {
	d, dir := newTestDir(t)
	putThree(t, d, dir)
	sessions := filepath.Join(dir, "sessions")
	require.NoError(t, os.WriteFile(filepath.Join(sessions, "README"), []byte("not a record"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(sessions, ".rec.swp"), nil, 0o600))
	recs, err := d.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Len(t, recs, 3)

	bogus := filepath.Join(sessions, "bogus.rec")
	require.NoError(t, os.WriteFile(bogus, nil, 0o600))
	recs, err = d.List(t.Context(), Filter{})
	var ce *CorruptError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, bogus, ce.Path)
	assert.Len(t, recs, 3)
}

func TestPruneKeepsCorruptRecords(t *testing.T) {
	d, dir := newTestDir(t)
	path := putThree(t, d, dir)[1]
	b := mustRead(t, path)
	b[offCreatedAt] ^= 1
	require.NoError(t, os.WriteFile(path, b, 0o600))

	n, err := d.Prune(t.Context(), testTime(2_000_000_000))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Equal(t, 2, n)
	_, err = os.Stat(path)
	assert.NoError(t, err, "Prune deleted a corrupt record")
}

func TestSweepSparesInFlightWrites(t *testing.T) {
	d, dir := newTestDir(t)
	tmp := filepath.Join(dir, "tmp")
	orphan := filepath.Join(tmp, "put-orphan")
	require.NoError(t, os.WriteFile(orphan, []byte("half a record"), 0o600))

	// A writer in flight holds the shared lock: nothing may be swept.
	writer, err := d.root.lockFile(lockName, false)
	require.NoError(t, err)
	openTestDir(t, dir)
	_, err = d.Prune(t.Context(), testTime(0))
	require.NoError(t, err)
	_, err = os.Stat(orphan)
	require.NoError(t, err, "swept while a writer held the lock")

	require.NoError(t, writer.Close())
	openTestDir(t, dir)
	_, err = os.Stat(orphan)
	require.ErrorIs(t, err, fs.ErrNotExist, "Open did not sweep the orphan")

	require.NoError(t, os.WriteFile(orphan, nil, 0o600))
	_, err = d.Prune(t.Context(), testTime(0))
	require.NoError(t, err)
	_, err = os.Stat(orphan)
	require.ErrorIs(t, err, fs.ErrNotExist, "Prune did not sweep the orphan")
}

func TestOpenRecreatesWorkFiles(t *testing.T) {
	d, dir := newTestDir(t)
	putThree(t, d, dir)
	d.Close()
	require.NoError(t, os.Remove(filepath.Join(dir, "lock")))
	require.NoError(t, os.Remove(filepath.Join(dir, "tmp")))
	d = openTestDir(t, dir)
	rec, key := testSession(t, 5)
	require.NoError(t, d.Put(context.Background(), rec, key))
	requireOthersReadable(t, d)
}

func TestDirString(t *testing.T) {
	d, dir := newTestDir(t)
	assert.Equal(t, "tokenstore.Dir("+dir+")", d.String())
}
