package txn

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// ErrLookupTable means lookup tables a v0 message cannot use: a zero or repeated table
// address, more than 256 addresses in one table, or more than 255 tables (a message has
// room for a few dozen).
var ErrLookupTable = errors.New("txn: bad address lookup table")

// v0Prefix is the first message byte of a v0 message: the version flag and version 0.
const v0Prefix = 0x80

// maxTableAddresses is how many addresses a message can index in one table (a u8).
const maxTableAddresses = 256

// maxTables is how many tables CompileV0 takes, so that a key's table fits a byte.
const maxTables = 255

// LookupTable is an address lookup table's address and its addresses as the chain holds
// them (package alt reads and writes tables). A table may be longer than what a message
// uses; an entry's position is what the message names.
type LookupTable struct {
	Address   solana.PublicKey
	Addresses []solana.PublicKey
}

// V0Message is a compiled v0 message. It signs as a LegacyMessage does: Bytes (the
// version byte first) are signed once per signer, and Sign or Assemble return the wire
// transaction.
type V0Message struct {
	LegacyMessage
}

// CompileV0 compiles instructions into a v0 message paid by feePayer, loading accounts
// from tables where it can. Signers (the fee payer among them) and program ids stay
// static keys, as the runtime requires; every other account found in a table is loaded
// from the first table, in the order given, that holds it, at its first position there.
// The rest is the layout of Agave's v0 compiler: static keys as in CompileLegacy, then
// per table that is used its writable and read-only indexes; tables no account needs
// are left out.
//
// CompileV0 with tables given sorted by address gives the bytes of solana-go's
// NewTransaction with TransactionAddressTables (apart from CompileLegacy's one
// documented difference). With no tables it still makes a v0 message, all keys static.
func CompileV0(feePayer solana.PublicKey, blockhash solana.Hash, tables []LookupTable, ixs ...solana.Instruction) (V0Message, error) {
	if err := checkTables(tables); err != nil {
		return V0Message{}, err
	}
	if tables == nil {
		tables = []LookupTable{} // not nil: compile makes a v0 message
	}
	m, err := compile(feePayer, blockhash, tables, ixs)
	return V0Message{m}, err
}

func checkTables(tables []LookupTable) error {
	if len(tables) > maxTables {
		return fmt.Errorf("%w: %d tables, at most %d", ErrLookupTable, len(tables), maxTables)
	}
	for i := range tables {
		t := &tables[i]
		switch {
		case t.Address.IsZero():
			return fmt.Errorf("%w: table %d has no address", ErrLookupTable, i)
		case len(t.Addresses) > maxTableAddresses:
			return fmt.Errorf("%w: table %s holds %d addresses, a message indexes %d", ErrLookupTable, t.Address, len(t.Addresses), maxTableAddresses)
		}
		for j := range tables[:i] {
			if tables[j].Address == t.Address {
				return fmt.Errorf("%w: table %s given twice", ErrLookupTable, t.Address)
			}
		}
	}
	return nil
}

// lookUp marks the keys that tables load (all but the fee payer, the signers and the
// program ids) and returns how many stay static, how many tables are used and the size
// of the lookups' encoding.
// It reads the tables once, in order, skipping at a byte's cost every entry whose first
// byte starts no wanted key: the cost is the tables' length, not keys times length.
func lookUp(keys []msgKey, tables []LookupTable) (nStatic, nUsed, size int) {
	nStatic = len(keys)
	var starts [4]uint64 // the first bytes of the keys a table may load
	wanted := 0
	for i := 1; i < len(keys); i++ {
		if k := &keys[i]; !k.signer && !k.invoked {
			starts[k.key[0]>>6] |= 1 << (k.key[0] & 63)
			wanted++
		}
	}
	if len(tables) == 0 || wanted == 0 {
		return nStatic, 0, 1 // the empty lookup list
	}
	for t := range tables {
		addrs := tables[t].Addresses
		used := false
		for at := range addrs {
			if c := addrs[at][0]; starts[c>>6]&(1<<(c&63)) == 0 {
				continue
			}
			for i := 1; i < len(keys); i++ {
				k := &keys[i]
				if k.table == 0 && !k.signer && !k.invoked && k.key == addrs[at] {
					k.table, k.at = byte(t+1), byte(at)
					nStatic--
					wanted--
					used = true
				}
			}
			if wanted == 0 {
				break
			}
		}
		if used {
			nUsed++
		}
		if wanted == 0 {
			break
		}
	}
	return nStatic, nUsed, 3 + nUsed*(32+3+3) + (len(keys) - nStatic)
}

// appendLookups writes the lookups of the n tables that load keys, in table order:
// address, writable indexes, read-only indexes. looked is sorted (writable first, then
// by table), so each table's writable and read-only keys are two runs, walked once.
func appendLookups(b []byte, looked []msgKey, tables []LookupTable, n int) []byte {
	nWritable := 0
	for nWritable < len(looked) && looked[nWritable].writable {
		nWritable++
	}
	b = appendCompactU16(b, n)
	w, r := 0, nWritable
	for t := range tables {
		id := byte(t + 1)
		w1, r1 := w, r
		for w1 < nWritable && looked[w1].table == id {
			w1++
		}
		for r1 < len(looked) && looked[r1].table == id {
			r1++
		}
		if w1 == w && r1 == r {
			continue
		}
		b = append(b, tables[t].Address[:]...)
		b = appendCompactU16(b, w1-w)
		for ; w < w1; w++ {
			b = append(b, looked[w].at)
		}
		b = appendCompactU16(b, r1-r)
		for ; r < r1; r++ {
			b = append(b, looked[r].at)
		}
	}
	return b
}
