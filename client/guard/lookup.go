package guard

import (
	"fmt"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// CheckWithTables is Check for a v0 message that loads accounts from address lookup
// tables: tables are their contents as read from the chain (package alt decodes them),
// and every account index the message names is resolved through them, so that the same
// rules apply to a looked-up account as to a static one. An instruction of a foreign
// program that names the session signer through a table entry is refused like one that
// names it directly.
//
// A lookup of a table not in tables, or of an index past what tables holds of it, is
// refused with ErrLookupTables: the guard does not sign for accounts it cannot name.
// Since a table only grows while it lives (and a closed table's address cannot be made
// again), entries read earlier name the same accounts on chain. Program ids must be
// static keys, as the runtime requires. It does not allocate.
func (p *Policy) CheckWithTables(msg []byte, tables []txn.LookupTable) error {
	var s Spend
	return p.measure(msg, tables, true, &s)
}

// MeasureWithTables is Measure for a v0 message that loads accounts from lookup tables,
// resolved as CheckWithTables resolves them. A spending instruction that loads an
// account from a table is refused: the guard measures only what static keys name.
func (p *Policy) MeasureWithTables(msg []byte, tables []txn.LookupTable, s *Spend) error {
	return p.measure(msg, tables, true, s)
}

// loaded is what a v0 message's lookups load.
type loaded struct {
	// n counts the loaded accounts; they follow the static keys in the index space.
	n int
	// signer marks the indexes that load the session signer.
	signer [256]bool
	// end is where the lookups end.
	end int
}

// resolve reads the lookups of a v0 message, r being at its first instruction. A
// malformed instruction is left for the caller to report.
func (l *loaded) resolve(msg []byte, r reader, nKeys, nIxs int, tables []txn.LookupTable, signer solana.PublicKey) error {
	for range nIxs {
		_, ok1 := r.byte()
		nAccts, ok2 := r.compact()
		ok3 := ok2 && r.skip(nAccts)
		nData, ok4 := r.compact()
		if !ok1 || !ok3 || !ok4 || !r.skip(nData) {
			return nil
		}
	}
	nLookups, ok := r.compact()
	if !ok {
		return malformed("truncated lookup tables")
	}
	// Writable accounts of every table come first, then the read-only ones: walk the
	// lookups twice, once per kind.
	start := r
	var writable int
	for pass := range 2 {
		r = start
		next := nKeys
		if pass == 1 {
			next += writable
		}
		for t := range nLookups {
			at := r.off
			if !r.skip(32) {
				return malformed(fmt.Sprintf("lookup %d: truncated table address", t))
			}
			address := solana.PublicKey(msg[at : at+32])
			var table []solana.PublicKey
			found := false
			for i := range tables {
				if tables[i].Address == address {
					table, found = tables[i].Addresses, true
					break
				}
			}
			for kind := range 2 {
				n, ok := r.compact()
				idxAt := r.off
				if !ok || !r.skip(n) {
					return malformed(fmt.Sprintf("lookup %d: truncated indexes", t))
				}
				if kind != pass {
					continue
				}
				if n > 0 && !found {
					return &RefusedError{Index: -1, Err: ErrLookupTables, Detail: fmt.Sprintf("table %s not given", address)}
				}
				for _, idx := range msg[idxAt : idxAt+n] {
					if int(idx) >= len(table) {
						return &RefusedError{Index: -1, Err: ErrLookupTables,
							Detail: fmt.Sprintf("index %d of table %s, which holds %d addresses", idx, address, len(table))}
					}
					if next > 255 {
						return malformed(fmt.Sprintf("more than 256 accounts (%d static)", nKeys))
					}
					l.signer[next] = table[idx] == signer
					next++
				}
				if pass == 0 {
					writable += n
				}
			}
		}
		l.n = next - nKeys
		l.end = r.off
	}
	return nil
}
