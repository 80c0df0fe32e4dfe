package pda

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

func (c *Cache) entries() int {
	n := 0
	for i := range c.sets {
		for j := range c.sets[i] {
			if c.sets[i][j].Load() != nil {
				n++
			}
		}
	}
	return n
}

func TestNewCacheCapacity(t *testing.T) {
	for _, tt := range []struct{ in, want int }{{-5, 4}, {0, 4}, {1, 4}, {4, 4}, {5, 8}, {1000, 1000}, {1001, 1004}} {
		require.Equal(t, tt.want, NewCache(tt.in).Capacity(), "NewCache(%d)", tt.in)
	}
	require.Zero(t, (*Cache)(nil).Capacity())
}

func TestCacheMatchesUncachedAndStaysBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	c := NewCache(32)
	type triple struct{ target, signer, authority solana.PublicKey }
	var ts []triple
	for i := 0; i < 200; i++ {
		ts = append(ts, triple{randomKey(r), randomKey(r), randomKey(r)})
	}
	// Three passes: the first fills and overflows the cache, the later ones mix hits
	// with misses on evicted keys; every answer must still be the uncached one.
	for pass := 0; pass < 3; pass++ {
		for _, tr := range ts {
			for _, v := range []Version{V1, V2} {
				want, wantBump, err := Find(v, MagicBlockProgramID, tr.target, tr.signer, tr.authority)
				require.NoError(t, err)
				got, bump, err := c.Find(v, MagicBlockProgramID, tr.target, tr.signer, tr.authority)
				require.NoError(t, err)
				require.Equal(t, want, got)
				require.Equal(t, wantBump, bump)
			}
		}
		require.LessOrEqual(t, c.entries(), c.Capacity())
	}
	require.Equal(t, c.Capacity(), c.entries(), "400 distinct keys must fill a 32-entry cache")
}

func TestCacheKeyIncludesVersionAndProgram(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	target, signer, authority := randomKey(r), randomKey(r), randomKey(r)
	c := NewCache(64)
	seen := map[solana.PublicKey]bool{}
	for _, program := range []solana.PublicKey{MagicBlockProgramID, GumProgramID} {
		for _, v := range []Version{V1, V2} {
			want, _ := solanaGoFind(t, v, program, target, signer, authority)
			for range 2 { // miss, then hit
				addr, _, err := c.Find(v, program, target, signer, authority)
				require.NoError(t, err)
				require.Equal(t, want, addr)
			}
			seen[want] = true
		}
	}
	require.Len(t, seen, 4)
	require.Equal(t, 4, c.entries())
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	target, signer, authority := randomKey(r), randomKey(r), randomKey(r)
	c := NewCache(16)
	_, _, err := c.SessionToken(MagicBlockProgramID, target, signer, authority)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		_, _, _ = c.SessionToken(MagicBlockProgramID, target, signer, authority)
	})
	require.Zero(t, allocs)
}

func TestNilCacheDerives(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	target, signer, authority := randomKey(r), randomKey(r), randomKey(r)
	var c *Cache
	got, bump, err := c.SessionTokenV2(MagicBlockProgramID, target, signer, authority)
	require.NoError(t, err)
	want, wantBump := solanaGoFind(t, V2, MagicBlockProgramID, target, signer, authority)
	require.Equal(t, want, got)
	require.Equal(t, wantBump, bump)
}

// TestCacheConcurrent is meant for -race: readers and writers share sets.
func TestCacheConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	const n = 24
	var keys [n][3]solana.PublicKey
	var wants [n]solana.PublicKey
	for i := range keys {
		keys[i] = [3]solana.PublicKey{randomKey(r), randomKey(r), randomKey(r)}
		wants[i], _ = solanaGoFind(t, V1, MagicBlockProgramID, keys[i][0], keys[i][1], keys[i][2])
	}
	c := NewCache(8) // smaller than the key set: forces concurrent evictions
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 3*n; i++ {
				k := keys[(i*(g+1))%n]
				got, _, err := c.SessionToken(MagicBlockProgramID, k[0], k[1], k[2])
				if err != nil || got != wants[(i*(g+1))%n] {
					errs <- "wrong address under concurrency"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	require.LessOrEqual(t, c.entries(), 8)
}

// TestCacheHoldsHalfFullWorkingSet checks the point of two-choice hashing: a working set
// of half the capacity fits with (almost) no evictions.
func TestCacheHoldsHalfFullWorkingSet(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	c := NewCache(512)
	for range 256 {
		_, _, err := c.SessionToken(MagicBlockProgramID, randomKey(r), randomKey(r), randomKey(r))
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, c.entries(), 254)
}
