package session

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/gagliardetto/solana-go"
)

// The cluster identifies a transaction by its first signature, and ed25519 signatures are
// deterministic: two identical moves on the same blockhash are one transaction, which runs
// once. A game that sends "up, up" within a blockhash's life would silently lose a move.
// Session.Send therefore remembers the signatures it produced recently and, on a repeat,
// makes the transaction distinct with a compute-unit-limit instruction whose limit (near
// the maximum, and free while no unit price is set) encodes a counter.

// maxComputeUnits is the runtime's per-transaction ceiling.
const maxComputeUnits = 1_400_000

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

// distinct returns ixs with a compute-unit-limit instruction that makes variant n of the
// same instructions a different transaction. ixs carrying their own compute-budget
// instruction cannot be varied this way without changing their fee.
func distinct(ixs []solana.Instruction, n int) ([]solana.Instruction, error) {
	for i, ix := range ixs {
		if ix.ProgramID() == solana.ComputeBudget {
			return nil, fmt.Errorf("%w: instruction %d is a compute-budget instruction, so a repeated move cannot be made distinct; vary the instructions instead",
				ErrDuplicate, i)
		}
	}
	data := make([]byte, 5)
	data[0] = 2 // SetComputeUnitLimit
	binary.LittleEndian.PutUint32(data[1:], uint32(maxComputeUnits-n))
	return append(append(make([]solana.Instruction, 0, len(ixs)+1), ixs...),
		solana.NewInstruction(solana.ComputeBudget, nil, data)), nil
}
