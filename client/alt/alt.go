// Package alt builds the Address Lookup Table program's instructions (create, extend,
// deactivate, close) and decodes its table accounts, for v0 messages (txn.CompileV0).
package alt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// ProgramID is the Address Lookup Table program.
var ProgramID = solana.MustPublicKeyFromBase58("AddressLookupTab1e1111111111111111111111111")

// Instruction tags (the program's bincode enum, a u32).
const (
	tagCreate     = 0
	tagExtend     = 2
	tagDeactivate = 3
	tagClose      = 4
)

// MetaSize is the size of a table account's header; the addresses follow it.
const MetaSize = 56

// MaxAddresses is how many addresses a table holds.
const MaxAddresses = 256

// Active is the deactivation slot of a table that is not deactivated.
const Active = math.MaxUint64

// ErrInvalidTable means account data that is not a lookup table.
var ErrInvalidTable = errors.New("alt: not a lookup table account")

// ErrBadParams means instruction arguments the program would refuse.
var ErrBadParams = errors.New("alt: bad parameters")

// Derive returns the address of the table authority creates with recentSlot (a slot the
// cluster still lists in SlotHashes), and its bump seed.
func Derive(authority solana.PublicKey, recentSlot uint64) (solana.PublicKey, uint8, error) {
	addr, bump, err := solana.FindProgramAddress([][]byte{authority[:], binary.LittleEndian.AppendUint64(nil, recentSlot)}, ProgramID)
	if err != nil {
		return solana.PublicKey{}, 0, fmt.Errorf("alt: deriving the table of %s at slot %d: %w", authority, recentSlot, err)
	}
	return addr, bump, nil
}

// NewCreate creates the table of authority for recentSlot, payer paying its rent. The
// authority signs (the program needs it unless a feature relaxes that, and a signature
// works either way). It returns the instruction and the table's address.
func NewCreate(authority, payer solana.PublicKey, recentSlot uint64) (solana.Instruction, solana.PublicKey, error) {
	table, bump, err := Derive(authority, recentSlot)
	if err != nil {
		return nil, solana.PublicKey{}, err
	}
	data := binary.LittleEndian.AppendUint32(nil, tagCreate)
	data = binary.LittleEndian.AppendUint64(data, recentSlot)
	data = append(data, bump)
	return solana.NewInstruction(ProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(table, true, false),
		solana.NewAccountMeta(authority, false, true),
		solana.NewAccountMeta(payer, true, true),
		solana.NewAccountMeta(solana.SystemProgramID, false, false),
	}, data), table, nil
}

// NewExtend appends addresses to table; payer pays the rent of the larger account. A
// table holds at most MaxAddresses, and one transaction fits about 30 new ones.
func NewExtend(table, authority, payer solana.PublicKey, addresses []solana.PublicKey) (solana.Instruction, error) {
	if len(addresses) == 0 || len(addresses) > MaxAddresses {
		return nil, fmt.Errorf("%w: extend with %d addresses (1 to %d)", ErrBadParams, len(addresses), MaxAddresses)
	}
	data := binary.LittleEndian.AppendUint32(nil, tagExtend)
	data = binary.LittleEndian.AppendUint64(data, uint64(len(addresses)))
	for _, a := range addresses {
		data = append(data, a[:]...)
	}
	return solana.NewInstruction(ProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(table, true, false),
		solana.NewAccountMeta(authority, false, true),
		solana.NewAccountMeta(payer, true, true),
		solana.NewAccountMeta(solana.SystemProgramID, false, false),
	}, data), nil
}

// NewDeactivate starts table's cooldown; once it is over (the deactivation slot has left
// SlotHashes, about 513 slots) the table can be closed, and no message can use it from
// the next slot on.
func NewDeactivate(table, authority solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(ProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(table, true, false),
		solana.NewAccountMeta(authority, false, true),
	}, binary.LittleEndian.AppendUint32(nil, tagDeactivate))
}

// NewClose closes a deactivated table whose cooldown is over, sending its lamports to
// recipient.
func NewClose(table, authority, recipient solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(ProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(table, true, false),
		solana.NewAccountMeta(authority, false, true),
		solana.NewAccountMeta(recipient, true, false),
	}, binary.LittleEndian.AppendUint32(nil, tagClose))
}

// Table is a decoded lookup table account.
type Table struct {
	// DeactivationSlot is Active unless the table was deactivated.
	DeactivationSlot uint64
	// LastExtendedSlot is the slot of the last extension; addresses from
	// LastExtendedStart on are usable only in later slots.
	LastExtendedSlot  uint64
	LastExtendedStart uint8
	// Authority is nil for a frozen table.
	Authority *solana.PublicKey
	Addresses []solana.PublicKey
}

// Decode reads a table account's data (owned by ProgramID; the caller checks the owner).
// The addresses are copied, not aliased.
func Decode(data []byte) (*Table, error) {
	if len(data) < MetaSize {
		return nil, fmt.Errorf("%w: %d bytes, the header is %d", ErrInvalidTable, len(data), MetaSize)
	}
	if state := binary.LittleEndian.Uint32(data); state != 1 {
		return nil, fmt.Errorf("%w: state %d, want 1 (a table)", ErrInvalidTable, state)
	}
	if (len(data)-MetaSize)%32 != 0 {
		return nil, fmt.Errorf("%w: %d bytes of addresses, not a multiple of 32", ErrInvalidTable, len(data)-MetaSize)
	}
	n := (len(data) - MetaSize) / 32
	if n > MaxAddresses {
		return nil, fmt.Errorf("%w: %d addresses, a table holds %d", ErrInvalidTable, n, MaxAddresses)
	}
	t := &Table{
		DeactivationSlot:  binary.LittleEndian.Uint64(data[4:]),
		LastExtendedSlot:  binary.LittleEndian.Uint64(data[12:]),
		LastExtendedStart: data[20],
	}
	// The bytes after the tag are not checked: freezing writes a None over the old
	// authority and leaves its bytes behind.
	switch data[21] {
	case 0:
	case 1:
		a := solana.PublicKey(data[22:54])
		t.Authority = &a
	default:
		return nil, fmt.Errorf("%w: authority tag %d", ErrInvalidTable, data[21])
	}
	if int(t.LastExtendedStart) > n {
		return nil, fmt.Errorf("%w: last extension starts at %d of %d addresses", ErrInvalidTable, t.LastExtendedStart, n)
	}
	t.Addresses = make([]solana.PublicKey, n)
	for i := range t.Addresses {
		t.Addresses[i] = solana.PublicKey(data[MetaSize+32*i:])
	}
	return t, nil
}

// MarshalBinary encodes the table as the program stores it.
func (t *Table) MarshalBinary() ([]byte, error) {
	if len(t.Addresses) > MaxAddresses {
		return nil, fmt.Errorf("%w: %d addresses", ErrBadParams, len(t.Addresses))
	}
	b := make([]byte, MetaSize, MetaSize+32*len(t.Addresses))
	binary.LittleEndian.PutUint32(b, 1)
	binary.LittleEndian.PutUint64(b[4:], t.DeactivationSlot)
	binary.LittleEndian.PutUint64(b[12:], t.LastExtendedSlot)
	b[20] = t.LastExtendedStart
	if t.Authority != nil {
		b[21] = 1
		copy(b[22:], t.Authority[:])
	}
	for _, a := range t.Addresses {
		b = append(b, a[:]...)
	}
	return b, nil
}

// UsableAt is how many of the addresses a message executed in slot may load: those
// added by the last extension only in later slots. A deactivated table is not counted
// usable at all, although the runtime lets messages use it through its cooldown.
func (t *Table) UsableAt(slot uint64) int {
	switch {
	case t.DeactivationSlot != Active:
		return 0
	case slot > t.LastExtendedSlot:
		return len(t.Addresses)
	}
	return int(t.LastExtendedStart)
}

// Lookup is the table at address as CompileV0 and the guard take it.
func (t *Table) Lookup(address solana.PublicKey) txn.LookupTable {
	return txn.LookupTable{Address: address, Addresses: t.Addresses}
}
