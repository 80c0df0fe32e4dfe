package txn

import (
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// ErrLookupTable means lookup tables a v0 message cannot use: a zero or repeated table
// address, or more than 256 addresses in one table.
var ErrLookupTable = errors.New("txn: bad address lookup table")

// v0Prefix is the first message byte of a v0 message: the version flag and version 0.
const v0Prefix = 0x80

// maxTableAddresses is how many addresses a message can index in one table (a u8).
const maxTableAddresses = 256

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
	if tables == nil {
		tables = []LookupTable{}
	}
	for i := range tables {
		t := &tables[i]
		switch {
		case t.Address.IsZero():
			return V0Message{}, fmt.Errorf("%w: table %d has no address", ErrLookupTable, i)
		case len(t.Addresses) > maxTableAddresses:
			return V0Message{}, fmt.Errorf("%w: table %s holds %d addresses, a message indexes %d", ErrLookupTable, t.Address, len(t.Addresses), maxTableAddresses)
		}
		for j := range tables[:i] {
			if tables[j].Address == t.Address {
				return V0Message{}, fmt.Errorf("%w: table %s given twice", ErrLookupTable, t.Address)
			}
		}
	}
	m, err := compile(feePayer, blockhash, tables, ixs)
	return V0Message{m}, err
}

// lookUp marks the keys that tables load (all but the fee payer, the signers and the
// program ids) and returns how many stay static and the size of the lookups' encoding.
func lookUp(keys []msgKey, tables []LookupTable) (nStatic, size int) {
	if len(tables) == 0 {
		return len(keys), 1 // the empty lookup list
	}
	var used [maxTableAddresses]bool // tables past that many cannot all be used anyway
	nUsed := 0
	nStatic = len(keys)
	for i := 1; i < len(keys); i++ {
		k := &keys[i]
		if k.signer || k.invoked {
			continue
		}
	search:
		for t := range tables {
			addrs := tables[t].Addresses
			for at := range addrs {
				// The first byte rules out nearly every other key without a call to
				// memequal.
				if addrs[at][0] == k.key[0] && addrs[at] == k.key {
					k.table, k.at = t+1, byte(at)
					nStatic--
					if t < len(used) && !used[t] {
						used[t] = true
						nUsed++
					}
					break search
				}
			}
		}
	}
	size = 3 + nUsed*(32+3+3) + (len(keys) - nStatic)
	return nStatic, size
}

// appendLookups writes the lookups of the tables that load keys (sorted, the static ones
// removed) in table order: address, writable indexes, read-only indexes.
func appendLookups(b []byte, looked []msgKey, tables []LookupTable) []byte {
	n := 0
	for t := range tables {
		if usesTable(looked, t+1) {
			n++
		}
	}
	b = appendCompactU16(b, n)
	for t := range tables {
		if !usesTable(looked, t+1) {
			continue
		}
		b = append(b, tables[t].Address[:]...)
		for _, writable := range [2]bool{true, false} {
			count := 0
			for i := range looked {
				if looked[i].table == t+1 && looked[i].writable == writable {
					count++
				}
			}
			b = appendCompactU16(b, count)
			for i := range looked {
				if looked[i].table == t+1 && looked[i].writable == writable {
					b = append(b, looked[i].at)
				}
			}
		}
	}
	return b
}

func usesTable(looked []msgKey, table int) bool {
	for i := range looked {
		if looked[i].table == table {
			return true
		}
	}
	return false
}
