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

type recentSigs struct {
	mu      sync.Mutex
	seen    map[solana.Signature]time.Time
	inserts int
}

// claim records sig and reports whether it was new.
func (r *recentSigs) claim(sig solana.Signature, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = make(map[solana.Signature]time.Time)
	}
	if _, dup := r.seen[sig]; dup {
		return false
	}
	r.seen[sig] = now
	if r.inserts++; r.inserts%1024 == 0 {
		for s, at := range r.seen {
			if now.Sub(at) > seenTTL {
				delete(r.seen, s)
			}
		}
	}
	return true
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
