package session

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
)

// The cluster identifies a transaction by its first signature, and ed25519 signatures are
// deterministic: two identical moves on the same blockhash are one transaction, which runs
// once. A game that sends "up, up" within a blockhash's life would silently lose a move,
// and so would two processes that restored the same session key and sent the same move.
// Session.Send therefore gives every move a compute-unit-limit instruction whose limit
// encodes the Session's random salt and, on a repeat this Session remembers, a counter.
//
// The runtime clamps a requested limit to its per-transaction ceiling, so every such
// limit means that ceiling: free while no unit price is set, and the same for the guard's
// caps. The values above the ceiling leave room for a 15-bit salt and a 16-bit counter.
// With a limit from simulation (WithComputeLimitFromSimulation) the salt and counter move
// to a loaded-data limit above its ceiling instead, and the unit limit stays honest
// (computelimit.go).

// maxComputeUnits is the runtime's per-transaction ceiling.
const maxComputeUnits = 1_400_000

// maxVariants bounds how many identical moves one Session makes distinct per blockhash.
const maxVariants = 1 << 16

// seenTTL outlives any blockhash (about 150 blocks), after which a signature cannot
// repeat a landed one.
const seenTTL = 3 * time.Minute

// recentSigs keeps every claimed signature for at least seenTTL, in two generations:
// claims go into cur, and once cur is older than seenTTL it becomes prev and the
// generation before is dropped whole. Forgetting thus costs no scan of the signatures,
// however many moves a session signs.
//
// A signature is kept as its first 8 bytes, a hash of the signed message: two signatures
// sharing them (a chance of 2⁻⁶⁴ per pair) only make a move distinct that need not be;
// a repeated transaction always matches.
type recentSigs struct {
	mu        sync.Mutex
	cur, prev map[uint64]struct{}
	curSince  time.Time
}

// claim records sig and reports whether it was new.
func (r *recentSigs) claim(sig solana.Signature, now time.Time) bool {
	key := binary.LittleEndian.Uint64(sig[:8])
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil || now.Sub(r.curSince) > seenTTL {
		// Everything in prev was claimed before curSince, more than seenTTL ago. Its
		// map, emptied, takes the new claims.
		r.cur, r.prev = r.prev, r.cur
		clear(r.cur)
		if r.cur == nil {
			r.cur = make(map[uint64]struct{})
		}
		r.curSince = now
	}
	if _, dup := r.prev[key]; dup {
		return false
	}
	n := len(r.cur)
	r.cur[key] = struct{}{}
	return len(r.cur) > n
}

// newSalt draws the Session's salt: 15 bits, so that salt, counter and the ceiling fit a
// u32 limit.
func newSalt() uint32 {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("session: crypto/rand failed: " + err.Error()) // crypto/rand does not fail on supported platforms
	}
	return uint32(binary.LittleEndian.Uint16(b[:]) & 0x7fff)
}

// unitLimit is a SetComputeUnitLimit instruction held inline, so that adding one to a
// move costs no allocation beyond its own.
type unitLimit struct{ data [5]byte }

func newUnitLimit(salt uint32, n int) *unitLimit {
	u := &unitLimit{data: [5]byte{2}} // SetComputeUnitLimit
	binary.LittleEndian.PutUint32(u.data[1:], maxComputeUnits+salt<<16+uint32(n))
	return u
}

func (*unitLimit) ProgramID() solana.PublicKey     { return solana.ComputeBudget }
func (*unitLimit) Accounts() []*solana.AccountMeta { return nil }
func (u *unitLimit) Data() ([]byte, error)         { return u.data[:], nil }

// distinct appends to dst ixs with a compute-unit-limit instruction for salt and variant
// n, so that no other Session (another salt) and no other variant sign the same
// transaction. limit0, when set, is variant 0's instruction, made once per Session. ixs
// that carry their own compute-budget instruction come back unchanged for variant 0
// (their fee is the caller's choice, which a limit of ours would change) and cannot be
// varied.
func distinct(dst, ixs []solana.Instruction, salt uint32, n int, limit0 *unitLimit) ([]solana.Instruction, error) {
	for i, ix := range ixs {
		if ix.ProgramID() != solana.ComputeBudget {
			continue
		}
		if n == 0 {
			return ixs, nil
		}
		return nil, fmt.Errorf("%w: instruction %d is a compute-budget instruction, so a repeated move cannot be made distinct; vary the instructions instead",
			ErrDuplicate, i)
	}
	if n >= maxVariants {
		return nil, fmt.Errorf("%w: %d identical moves on one blockhash; vary the instructions", ErrDuplicate, n)
	}
	limit := limit0
	if n != 0 || limit == nil {
		limit = newUnitLimit(salt, n)
	}
	return append(append(dst[:0], ixs...), limit), nil
}
