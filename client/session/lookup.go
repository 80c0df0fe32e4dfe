package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/rpc"

	"github.com/sessionkit/sessionkit/client/alt"
	"github.com/sessionkit/sessionkit/client/txn"
)

// compile makes a legacy message, or a v0 one when tables is not nil.
func compile(payer solana.PublicKey, blockhash solana.Hash, ixs []solana.Instruction, tables []txn.LookupTable) (txn.LegacyMessage, error) {
	if tables == nil {
		return txn.CompileLegacy(payer, blockhash, ixs...)
	}
	m, err := txn.CompileV0(payer, blockhash, tables, ixs...)
	return m.LegacyMessage, err
}

// LookupTableParams are the keys of a lookup table's management.
type LookupTableParams struct {
	// Authority owns the table: it signs every change. Required.
	Authority *txn.SessionKey
	// Payer pays the rent and the fees; nil means Authority.
	Payer *txn.SessionKey
}

// extendChunk is how many addresses one extend transaction adds: 20 keep a transaction
// with its two signatures well under the 1,232-byte limit.
const extendChunk = 20

// ErrTableNotUsable means a lookup table that is deactivated, or did not become usable
// before the context ended.
var ErrTableNotUsable = errors.New("session: lookup table not usable")

// CreateLookupTable creates a lookup table of p.Authority holding addresses, and waits
// until a message can load all of them: the runtime lets a message use addresses only
// in a slot after the one that added them. Pass the result in MoveParams.LookupTables.
// The table's address comes from the authority and a recent slot, so one authority
// makes one table per slot.
func (m *Manager) CreateLookupTable(ctx context.Context, addresses []solana.PublicKey, p LookupTableParams) (txn.LookupTable, error) {
	payer, keys, err := tableKeys(p)
	if err != nil {
		return txn.LookupTable{}, err
	}
	slot, err := m.recentSlot(ctx)
	if err != nil {
		return txn.LookupTable{}, err
	}
	create, table, err := alt.NewCreate(p.Authority.PublicKey(), payer, slot)
	if err != nil {
		return txn.LookupTable{}, err
	}
	ixs := []solana.Instruction{create}
	first := addresses[:min(len(addresses), extendChunk)]
	if len(first) > 0 {
		extend, err := alt.NewExtend(table, p.Authority.PublicKey(), payer, first)
		if err != nil {
			return txn.LookupTable{}, err
		}
		ixs = append(ixs, extend)
	}
	if err := m.sendKeys(ctx, payer, keys, ixs); err != nil {
		return txn.LookupTable{}, fmt.Errorf("session: creating lookup table %s: %w", table, err)
	}
	return m.ExtendLookupTable(ctx, table, addresses[len(first):], p)
}

// ExtendLookupTable appends addresses to table (in transactions of a few dozen) and
// waits until all of the table is usable, returning it as read from the chain.
func (m *Manager) ExtendLookupTable(ctx context.Context, table solana.PublicKey, addresses []solana.PublicKey, p LookupTableParams) (txn.LookupTable, error) {
	payer, keys, err := tableKeys(p)
	if err != nil {
		return txn.LookupTable{}, err
	}
	for len(addresses) > 0 {
		chunk := addresses[:min(len(addresses), extendChunk)]
		addresses = addresses[len(chunk):]
		extend, err := alt.NewExtend(table, p.Authority.PublicKey(), payer, chunk)
		if err != nil {
			return txn.LookupTable{}, err
		}
		if err := m.sendKeys(ctx, payer, keys, []solana.Instruction{extend}); err != nil {
			return txn.LookupTable{}, fmt.Errorf("session: extending lookup table %s: %w", table, err)
		}
	}
	return m.usableTable(ctx, table)
}

// DeactivateLookupTable starts table's cooldown, after which CloseLookupTable can close
// it. Moves that use it fail from the next slot on.
func (m *Manager) DeactivateLookupTable(ctx context.Context, table solana.PublicKey, p LookupTableParams) error {
	payer, keys, err := tableKeys(p)
	if err != nil {
		return err
	}
	if err := m.sendKeys(ctx, payer, keys, []solana.Instruction{alt.NewDeactivate(table, p.Authority.PublicKey())}); err != nil {
		return fmt.Errorf("session: deactivating lookup table %s: %w", table, err)
	}
	return nil
}

// CloseLookupTable closes a deactivated table whose cooldown is over (about 513 slots
// after the deactivation), its rent going to recipient.
func (m *Manager) CloseLookupTable(ctx context.Context, table, recipient solana.PublicKey, p LookupTableParams) error {
	payer, keys, err := tableKeys(p)
	if err != nil {
		return err
	}
	if err := m.sendKeys(ctx, payer, keys, []solana.Instruction{alt.NewClose(table, p.Authority.PublicKey(), recipient)}); err != nil {
		return fmt.Errorf("session: closing lookup table %s: %w", table, err)
	}
	return nil
}

// LookupTable reads table at the Manager's commitment.
func (m *Manager) LookupTable(ctx context.Context, table solana.PublicKey) (*alt.Table, uint64, error) {
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, table, &rpc.GetAccountInfoOpts{Commitment: m.commitment})
	if err != nil {
		return nil, 0, fmt.Errorf("session: reading lookup table %s: %w", table, err)
	}
	if res.Value == nil || res.Value.Owner != alt.ProgramID {
		return nil, 0, fmt.Errorf("session: %s: %w", table, alt.ErrInvalidTable)
	}
	t, err := alt.Decode(res.Value.Data.GetBinary())
	if err != nil {
		return nil, 0, fmt.Errorf("session: lookup table %s: %w", table, err)
	}
	return t, res.Context.Slot, nil
}

// recentSlot is the newest slot in the SlotHashes sysvar at the Manager's commitment:
// the program wants a slot listed there, and later banks list it for about 512 slots.
// (A slot from getSlot need not be listed: a node may skip slots, and surfpool lists
// only some of its slots.)
func (m *Manager) recentSlot(ctx context.Context) (uint64, error) {
	offset, length := uint64(8), uint64(8) // after the u64 count, the first entry's slot
	res, err := m.rpc.GetAccountInfoWithOpts(ctx, solana.SysVarSlotHashesPubkey, &rpc.GetAccountInfoOpts{
		Commitment: m.commitment, Encoding: solana.EncodingBase64, DataSlice: &rpc.DataSlice{Offset: &offset, Length: &length}})
	if err != nil {
		return 0, fmt.Errorf("session: reading SlotHashes for a lookup table: %w", err)
	}
	if res.Value == nil {
		return 0, fmt.Errorf("session: the cluster has no SlotHashes sysvar")
	}
	data := res.Value.Data.GetBinary()
	if len(data) != 8 {
		return 0, fmt.Errorf("session: SlotHashes gave %d bytes for its newest slot", len(data))
	}
	return binary.LittleEndian.Uint64(data), nil
}

// usableTable waits until a message can load every address of table.
func (m *Manager) usableTable(ctx context.Context, table solana.PublicKey) (txn.LookupTable, error) {
	for {
		t, slot, err := m.LookupTable(ctx, table)
		if err != nil {
			return txn.LookupTable{}, err
		}
		if t.DeactivationSlot != alt.Active {
			return txn.LookupTable{}, fmt.Errorf("%w: %s deactivated at slot %d", ErrTableNotUsable, table, t.DeactivationSlot)
		}
		if t.UsableAt(slot) == len(t.Addresses) {
			return t.Lookup(table), nil
		}
		select {
		case <-ctx.Done():
			return txn.LookupTable{}, fmt.Errorf("%w: %s extended in slot %d: %w", ErrTableNotUsable, table, t.LastExtendedSlot, context.Cause(ctx))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tableKeys(p LookupTableParams) (solana.PublicKey, []*txn.SessionKey, error) {
	if p.Authority == nil {
		return solana.PublicKey{}, nil, fmt.Errorf("%w: a lookup table needs its Authority's key", ErrBadParams)
	}
	if p.Payer != nil && p.Payer.PublicKey() == p.Authority.PublicKey() {
		p.Payer = nil // one key signs once
	}
	keys, err := paramKeys(p.Authority, p.Payer)
	if err != nil {
		return solana.PublicKey{}, nil, err
	}
	if p.Payer != nil {
		return p.Payer.PublicKey(), keys, nil
	}
	return p.Authority.PublicKey(), keys, nil
}

// sendKeys sends ixs paid by payer and signed by keys (no session involved), through the
// Manager's sender.
func (m *Manager) sendKeys(ctx context.Context, payer solana.PublicKey, keys []*txn.SessionKey, ixs []solana.Instruction) error {
	if m.snd == nil {
		return errNoSender
	}
	_, err := m.snd.Send(ctx, func(blockhash solana.Hash) ([]byte, error) {
		msg, err := txn.CompileLegacy(payer, blockhash, ixs...)
		if err != nil {
			return nil, err
		}
		return msg.Sign(keys...)
	})
	return err
}
