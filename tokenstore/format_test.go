package tokenstore

import (
	"bytes"
	"encoding/hex"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var writeFixtures = flag.Bool("write-fixtures", false, "write missing golden files under testdata (never overwrites)")

// Golden record: session 1 sealed under fixed inputs.
var (
	goldenStoreID = [storeIDSize]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}
	goldenNonce   = []byte("golden-nonce-24-bytes-ok")
)

const goldenRecordPath = "testdata/record-v1.hex"

func goldenSealer(t testing.TB) *sealer {
	s, _, err := newSealer(testMasterKey, goldenStoreID)
	require.NoError(t, err)
	return s
}

func readHexFile(t testing.TB, path string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(mustRead(t, path))), ""))
	require.NoError(t, err)
	return b
}

func writeIfMissing(t *testing.T, path string, data []byte) {
	if _, err := os.Stat(path); err == nil {
		t.Fatalf("%s exists; golden files are never overwritten, add a new version instead", path)
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// TestGoldenRecord pins the record encoding and the key schedule: the
// same inputs must keep producing the same 286 bytes.
func TestGoldenRecord(t *testing.T) {
	rec, key := testSession(t, 1)
	got := goldenSealer(t).sealWithNonce(&rec, key.Seed(), goldenNonce)
	if *writeFixtures {
		var lines []string
		for b := got; len(b) > 0; b = b[min(32, len(b)):] {
			lines = append(lines, hex.EncodeToString(b[:min(32, len(b))]))
		}
		writeIfMissing(t, goldenRecordPath, []byte(strings.Join(lines, "\n")+"\n"))
	}
	want := readHexFile(t, goldenRecordPath)
	require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))

	p, err := parseRecord("golden", want)
	require.NoError(t, err)
	assert.Equal(t, rec, p.rec)
	assert.Equal(t, goldenNonce, p.nonce)
	seed, err := goldenSealer(t).open("golden", &p, make([]byte, sealedSize))
	require.NoError(t, err)
	assert.Equal(t, key.Seed(), seed)
}

// The golden store was written once by Create and Put with the passphrase
// below; every later release must open it and read the same sessions.
const (
	goldenStoreDir        = "testdata/store-v1"
	goldenStorePassphrase = "sessionkit tokenstore fixture"
	goldenStoreSessions   = 3
)

func TestGoldenStore(t *testing.T) {
	if *writeFixtures {
		if _, err := os.Stat(goldenStoreDir); err == nil {
			t.Fatalf("%s exists; golden files are never overwritten, add a new version instead", goldenStoreDir)
		}
		d, err := Create(t.Context(), goldenStoreDir, Passphrase([]byte(goldenStorePassphrase)), LightArgon2)
		require.NoError(t, err)
		for i := range goldenStoreSessions {
			rec, key := testSession(t, i)
			require.NoError(t, d.Put(t.Context(), rec, key))
		}
		d.Close()
		require.NoError(t, os.Remove(filepath.Join(goldenStoreDir, "tmp")))
	}
	dir := copyDir(t, goldenStoreDir)

	_, err := Open(t.Context(), dir, Passphrase([]byte("not the fixture passphrase")))
	require.ErrorIs(t, err, ErrWrongPassphrase)

	d, err := Open(t.Context(), dir, Passphrase([]byte(goldenStorePassphrase)))
	require.NoError(t, err)
	defer d.Close()
	var want []Record
	for i := range goldenStoreSessions {
		rec, key := testSession(t, i)
		want = append(want, rec)
		got, gotKey, err := d.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		assert.Equal(t, rec, got)
		assert.Equal(t, key.PrivateKey(), gotKey.PrivateKey())
	}
	got, err := d.List(t.Context(), Filter{})
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// copyDir copies a fixture store to a temporary directory, which Open may
// write to.
func copyDir(t *testing.T, src string) string {
	dst := filepath.Join(t.TempDir(), "store")
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	require.NoError(t, err)
	return dst
}

func TestParseRecordTable(t *testing.T) {
	golden := readHexFile(t, goldenRecordPath)
	edit := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), golden...)) }
	tests := []struct {
		name    string
		in      []byte
		version int    // for a *VersionError
		reason  string // for a *CorruptError
	}{
		{"golden", golden, 0, ""},
		{"empty", nil, 0, "truncated: 0 bytes, want 286"},
		{"magic only", []byte("SKTR"), 0, "truncated: 4 bytes"},
		{"other magic", edit(func(b []byte) []byte { copy(b, "SKTX"); return b }), 0, `bad magic "SKTX"`},
		{"version 0", edit(func(b []byte) []byte { b[4] = 0; return b }), 0, "format version 0 was never written"},
		{"version 2, short", []byte("SKTR\x02"), 2, ""},
		{"version 255", edit(func(b []byte) []byte { b[4] = 255; return b }), 255, ""},
		{"session version 0", edit(func(b []byte) []byte { b[offSessionVer] = 0; return b }), 0, "unknown session version 0"},
		{"one short", golden[:recordSize-1], 0, "truncated: 285 bytes"},
		{"one long", append(append([]byte(nil), golden...), 1), 0, "1 bytes of trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseRecord("f.rec", tt.in)
			var ce *CorruptError
			var ve *VersionError
			switch {
			case tt.version != 0:
				require.ErrorAs(t, err, &ve)
				assert.Equal(t, VersionError{Path: "f.rec", Kind: "record", Version: tt.version}, *ve)
			case tt.reason != "":
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "f.rec", ce.Path)
				assert.Contains(t, ce.Reason, tt.reason)
			default:
				require.NoError(t, err)
				assert.Equal(t, testPub("token", 1), p.rec.Token)
			}
		})
	}
}

// FuzzParseRecord: no input panics; what parses re-encodes to the same
// metadata, and a fuzzed record never authenticates.
func FuzzParseRecord(f *testing.F) {
	golden := readHexFile(f, goldenRecordPath)
	f.Add(golden)
	f.Add(golden[:metadataSize])
	f.Add([]byte("SKTR\x01"))
	f.Add([]byte{})
	s := goldenSealer(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseRecord("fuzz", b)
		if err != nil {
			return
		}
		require.Equal(t, b[:metadataSize], appendMetadata(nil, &p.rec))
		if _, err := s.open("fuzz", &p, make([]byte, sealedSize)); err == nil {
			require.Equal(t, golden, b, "only the golden record authenticates")
		}
	})
}

// FuzzParseHeader: no input panics; what parses re-encodes to a header
// that parses to the same value.
func FuzzParseHeader(f *testing.F) {
	f.Add(mustRead(f, filepath.Join(goldenStoreDir, "store.json")))
	f.Add([]byte(`{"format":"sessionkit-tokenstore","version":1,"store_id":"AAAAAAAAAAAAAAAAAAAAAA==","kdf":{"name":"raw"},"key_check":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"format":"sessionkit-tokenstore","version":2}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader("fuzz", b)
		if err != nil {
			return
		}
		out, err := h.marshal()
		require.NoError(t, err)
		again, err := parseHeader("fuzz", out)
		require.NoError(t, err)
		require.Equal(t, h, again)
		require.True(t, bytes.HasSuffix(out, []byte("}\n")))
	})
}
