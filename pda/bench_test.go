package pda

import (
	"math/rand/v2"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// benchTriples gives every derivation benchmark the same 256 random triples, so the
// average number of bump attempts (about 2) is the same for all of them.
func benchTriples() [][3]solana.PublicKey {
	r := rand.New(rand.NewPCG(21, 22))
	ts := make([][3]solana.PublicKey, 256)
	for i := range ts {
		ts[i] = [3]solana.PublicKey{randomKey(r), randomKey(r), randomKey(r)}
	}
	return ts
}

func BenchmarkFind(b *testing.B) {
	ts := benchTriples()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := &ts[i&255]
		if _, _, err := SessionToken(MagicBlockProgramID, t[0], t[1], t[2]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSolanaGoFindProgramAddress(b *testing.B) {
	ts := benchTriples()
	prefix := []byte(SeedPrefixV1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := &ts[i&255]
		if _, _, err := solana.FindProgramAddress([][]byte{prefix, t[0][:], t[1][:], t[2][:]}, MagicBlockProgramID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddressKnownBump(b *testing.B) {
	t := benchTriples()[0]
	_, bump, _ := SessionToken(MagicBlockProgramID, t[0], t[1], t[2])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Address(V1, MagicBlockProgramID, t[0], t[1], t[2], bump); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSolanaGoCreateProgramAddress(b *testing.B) {
	t := benchTriples()[0]
	_, bump, _ := SessionToken(MagicBlockProgramID, t[0], t[1], t[2])
	seeds := [][]byte{[]byte(SeedPrefixV1), t[0][:], t[1][:], t[2][:], {bump}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := solana.CreateProgramAddress(seeds, MagicBlockProgramID); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	ts := benchTriples()
	c := NewCache(1024)
	for i := range ts {
		_, _, _ = c.SessionToken(MagicBlockProgramID, ts[i][0], ts[i][1], ts[i][2])
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := &ts[i&255]
		if _, _, err := c.SessionToken(MagicBlockProgramID, t[0], t[1], t[2]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHitParallel(b *testing.B) {
	ts := benchTriples()
	c := NewCache(1024)
	for i := range ts {
		_, _, _ = c.SessionToken(MagicBlockProgramID, ts[i][0], ts[i][1], ts[i][2])
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			t := &ts[i&255]
			if _, _, err := c.SessionToken(MagicBlockProgramID, t[0], t[1], t[2]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCacheMiss measures a derivation through a cache too small to hold the working
// set: the uncached cost plus the insert.
func BenchmarkCacheMiss(b *testing.B) {
	ts := benchTriples()
	c := NewCache(4)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		t := &ts[i&255]
		if _, _, err := c.SessionToken(MagicBlockProgramID, t[0], t[1], t[2]); err != nil {
			b.Fatal(err)
		}
	}
}
