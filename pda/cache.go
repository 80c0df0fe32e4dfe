package pda

import (
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"

	"github.com/gagliardetto/solana-go"
)

// ways is the associativity: a key may live in any of the ways slots of its set. Four
// keeps lookups to a few loads while making collisions between hot keys unlikely.
const ways = 4

// cacheKey is version ‖ program id ‖ target ‖ signer ‖ authority, kept as one array so
// hashing and comparison are single memory operations.
type cacheKey [1 + 4*32]byte

type cacheEntry struct {
	hash uint64
	key  cacheKey
	addr solana.PublicKey
	bump uint8
}

// Cache memoises session token derivations. It is a set-associative table of immutable
// entries behind atomic pointers, so lookups take no lock and never allocate. Each key
// has two candidate sets (two-choice hashing keeps sets from overflowing while the
// cache is not full); a miss derives the address and takes an empty slot of the emptier
// set, or else replaces a random one of the two sets' entries. It holds at most Capacity
// entries. A nil *Cache is valid and derives every address afresh.
//
// Keys are hashed with a per-cache random seed, so inputs cannot be chosen to evict a
// particular entry.
type Cache struct {
	seed maphash.Seed
	sets [][ways]atomic.Pointer[cacheEntry]
}

// NewCache returns a cache holding at most capacity addresses, rounded up to a multiple
// of 4 (minimum 4). Each entry takes about 180 bytes.
func NewCache(capacity int) *Cache {
	n := (capacity + ways - 1) / ways
	if n < 1 {
		n = 1
	}
	return &Cache{seed: maphash.MakeSeed(), sets: make([][ways]atomic.Pointer[cacheEntry], n)}
}

// Capacity is the maximum number of entries the cache holds.
func (c *Cache) Capacity() int {
	if c == nil {
		return 0
	}
	return len(c.sets) * ways
}

// Find is the cached form of the package-level Find.
func (c *Cache) Find(v Version, programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	if c == nil {
		return Find(v, programID, target, signer, authority)
	}
	var k cacheKey
	k[0] = byte(v)
	copy(k[1:], programID[:])
	copy(k[33:], target[:])
	copy(k[65:], signer[:])
	copy(k[97:], authority[:])
	h := maphash.Bytes(c.seed, k[:])
	n := uint64(len(c.sets))
	i1, _ := bits.Mul64(h, n)
	i2, _ := bits.Mul64(bits.RotateLeft64(h, 32), n)
	sets := [2]*[ways]atomic.Pointer[cacheEntry]{&c.sets[i1], &c.sets[i2]}
	for _, set := range sets {
		for i := range set {
			if e := set[i].Load(); e != nil && e.hash == h && e.key == k {
				return e.addr, e.bump, nil
			}
		}
	}

	addr, bump, err := Find(v, programID, target, signer, authority)
	if err != nil {
		return addr, bump, err
	}
	e := &cacheEntry{hash: h, key: k, addr: addr, bump: bump}
	// Fill the emptier set first. Taking the first free slot instead fills a key's first
	// set before its second, which loses most of the balance two choices give.
	if free(sets[1]) > free(sets[0]) {
		sets[0], sets[1] = sets[1], sets[0]
	}
	for _, set := range sets {
		for i := range set {
			if set[i].CompareAndSwap(nil, e) {
				return addr, bump, nil
			}
		}
	}
	victim := rand.IntN(2 * ways)
	sets[victim/ways][victim%ways].Store(e)
	return addr, bump, nil
}

// free counts the empty slots of a set.
func free(set *[ways]atomic.Pointer[cacheEntry]) int {
	n := 0
	for i := range set {
		if set[i].Load() == nil {
			n++
		}
	}
	return n
}

// SessionToken is the cached form of the package-level SessionToken.
func (c *Cache) SessionToken(programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	return c.Find(V1, programID, target, signer, authority)
}

// SessionTokenV2 is the cached form of the package-level SessionTokenV2.
func (c *Cache) SessionTokenV2(programID, target, signer, authority solana.PublicKey) (solana.PublicKey, uint8, error) {
	return c.Find(V2, programID, target, signer, authority)
}
