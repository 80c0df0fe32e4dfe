package tokenstore

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

const benchSessions = 10_000

// benchStore is one 10,000-session store per test process, built without
// fsync (the benchmarks measure reading it, not building it) and removed
// by TestMain.
var benchStore struct {
	once sync.Once
	dir  string
	err  error
}

func benchDir(b *testing.B) string {
	benchStore.once.Do(func() {
		benchStore.dir, benchStore.err = buildBenchStore()
	})
	require.NoError(b, benchStore.err)
	return benchStore.dir
}

func buildBenchStore() (string, error) {
	tmp, err := os.MkdirTemp("", "tokenstore-bench-")
	if err != nil {
		return "", err
	}
	dir := filepath.Join(tmp, "store")
	d, err := Create(context.Background(), dir, MasterKey(testMasterKey))
	if err != nil {
		return "", err
	}
	defer d.Close()
	for i := range benchSessions {
		rec, key := testSession(helperTB{}, i)
		rec, err := normalize(rec, key, rec.CreatedAt)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(d.sessions.join(recordName(rec.Token)), d.s.seal(&rec, key.Seed()), 0o600); err != nil {
			return "", err
		}
	}
	return dir, syncDir(d.sessions)
}

func removeBenchStore() {
	if benchStore.dir != "" {
		os.RemoveAll(filepath.Dir(benchStore.dir))
	}
}

func BenchmarkGet(b *testing.B) {
	d := openTestDir(b, benchDir(b))
	ctx := context.Background()
	tokens := make([]solana.PublicKey, benchSessions)
	for i := range tokens {
		tokens[i] = testPub("token", (i*7919)%benchSessions) // spread over the directory
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, key, err := d.Get(ctx, tokens[i%benchSessions])
		if err != nil {
			b.Fatal(err)
		}
		key.Zero()
		i++
	}
}

// BenchmarkPut adds records to the 10,000-session store, fsyncs included,
// and deletes them afterwards.
func BenchmarkPut(b *testing.B) {
	d := openTestDir(b, benchDir(b))
	ctx := context.Background()
	rec, key := testSession(b, 0)
	var added []solana.PublicKey
	b.Cleanup(func() {
		for _, tok := range added {
			_ = d.Delete(ctx, tok)
		}
	})
	b.ReportAllocs()
	n := uint64(0)
	for b.Loop() {
		binary.LittleEndian.PutUint64(rec.Token[:], n) // a fresh token address
		rec.Token[31] = 0xbe
		n++
		if err := d.Put(ctx, rec, key); err != nil {
			b.Fatal(err)
		}
		added = append(added, rec.Token)
	}
}

func BenchmarkList(b *testing.B) {
	d := openTestDir(b, benchDir(b))
	ctx := context.Background()
	for _, bm := range []struct {
		name string
		f    Filter
		want int
	}{
		{"all", Filter{}, benchSessions},
		{"authority", Filter{Authority: testPub("authority", 1)}, benchSessions / 3},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				recs, err := d.List(ctx, bm.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(recs) != bm.want {
					b.Fatalf("listed %d records, want %d", len(recs), bm.want)
				}
			}
		})
	}
}

// BenchmarkOpen is the cost of opening a store: the Argon2id KDF with the
// default parameters, or none with a master key (plus the sweep of tmp).
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	for _, bm := range []struct {
		name string
		cred Credential
	}{
		{"argon2id-t3-m64MiB-p4", Passphrase([]byte("correct horse battery staple"))},
		{"master-key", MasterKey(testMasterKey)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "store")
			d, err := Create(ctx, dir, bm.cred)
			require.NoError(b, err)
			d.Close()
			b.ReportAllocs()
			for b.Loop() {
				d, err := Open(ctx, dir, bm.cred)
				if err != nil {
					b.Fatal(err)
				}
				d.Close()
			}
		})
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	m := NewMemory()
	ctx := context.Background()
	rec, key := testSession(b, 0)
	require.NoError(b, m.Put(ctx, rec, key))
	b.ReportAllocs()
	for b.Loop() {
		_, k, err := m.Get(ctx, rec.Token)
		if err != nil {
			b.Fatal(err)
		}
		k.Zero()
	}
}

// BenchmarkRecordCrypto isolates sealing a record and authenticating one,
// the per-record cryptography of Put and List.
func BenchmarkRecordCrypto(b *testing.B) {
	s := goldenSealer(b)
	rec, key := testSession(b, 1)
	seed := key.Seed()
	b.Run("seal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.seal(&rec, seed)
		}
	})
	b.Run("parse+open", func(b *testing.B) {
		data := s.seal(&rec, seed)
		dst := make([]byte, sealedSize)
		b.ReportAllocs()
		for b.Loop() {
			p, err := parseRecord("bench", data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.open("bench", &p, dst); err != nil {
				b.Fatal(err)
			}
		}
	})
}
