// Package nonce builds the System program's durable nonce instructions (create and
// initialize, advance, withdraw, authorize) and decodes nonce accounts.
//
// A transaction whose first instruction advances a nonce account, and whose "recent
// blockhash" is that account's stored nonce, stays valid until the nonce advances, not
// for the ~150 blocks of a blockhash: a wallet may sign it minutes later. It lands at
// most once, since landing advances the nonce; and once anyone else advances the nonce
// it can never land.
package nonce

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// Size is a nonce account's data size.
const Size = 80

// System program instruction tags (a u32).
const (
	tagCreateAccount = 0
	tagAdvance       = 4
	tagWithdraw      = 5
	tagInitialize    = 6
	tagAuthorize     = 7
)

// ErrInvalidAccount means account data that is not an initialized nonce account.
var ErrInvalidAccount = errors.New("nonce: not an initialized nonce account")

// Account is a decoded, initialized nonce account.
type Account struct {
	// Authority signs advances, withdrawals and changes of authority.
	Authority solana.PublicKey
	// Nonce is the durable nonce, the "recent blockhash" of the transactions using it.
	Nonce solana.Hash
	// LamportsPerSignature is the fee rate recorded when the nonce was last set.
	LamportsPerSignature uint64
}

// Decode reads a nonce account's data (owned by the System program; the caller checks
// the owner). Both account versions (legacy and current) decode.
func Decode(data []byte) (*Account, error) {
	if len(data) != Size {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrInvalidAccount, len(data), Size)
	}
	if v := binary.LittleEndian.Uint32(data); v > 1 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalidAccount, v)
	}
	if s := binary.LittleEndian.Uint32(data[4:]); s != 1 {
		return nil, fmt.Errorf("%w: state %d, want 1 (initialized)", ErrInvalidAccount, s)
	}
	return &Account{
		Authority:            solana.PublicKey(data[8:40]),
		Nonce:                solana.Hash(data[40:72]),
		LamportsPerSignature: binary.LittleEndian.Uint64(data[72:]),
	}, nil
}

// MarshalBinary encodes the account as the System program stores it (current version).
func (a *Account) MarshalBinary() ([]byte, error) {
	b := make([]byte, Size)
	binary.LittleEndian.PutUint32(b, 1)
	binary.LittleEndian.PutUint32(b[4:], 1)
	copy(b[8:], a.Authority[:])
	copy(b[40:], a.Nonce[:])
	binary.LittleEndian.PutUint64(b[72:], a.LamportsPerSignature)
	return b, nil
}

// NewCreate creates the nonce account at account (a fresh key, which signs this once)
// with lamports (at least the rent-exempt minimum for Size), payer paying, and
// initializes it for authority: two instructions for one transaction.
func NewCreate(payer, account, authority solana.PublicKey, lamports uint64) []solana.Instruction {
	create := binary.LittleEndian.AppendUint32(nil, tagCreateAccount)
	create = binary.LittleEndian.AppendUint64(create, lamports)
	create = binary.LittleEndian.AppendUint64(create, Size)
	create = append(create, solana.SystemProgramID[:]...)
	init := append(binary.LittleEndian.AppendUint32(nil, tagInitialize), authority[:]...)
	return []solana.Instruction{
		solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
			solana.NewAccountMeta(payer, true, true),
			solana.NewAccountMeta(account, true, true),
		}, create),
		solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
			solana.NewAccountMeta(account, true, false),
			solana.NewAccountMeta(solana.SysVarRecentBlockHashesPubkey, false, false),
			solana.NewAccountMeta(solana.SysVarRentPubkey, false, false),
		}, init),
	}
}

// NewAdvance moves account's nonce on: the first instruction of every transaction that
// uses the nonce, and the way to make a signed one that has not landed void.
func NewAdvance(account, authority solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(account, true, false),
		solana.NewAccountMeta(solana.SysVarRecentBlockHashesPubkey, false, false),
		solana.NewAccountMeta(authority, false, true),
	}, binary.LittleEndian.AppendUint32(nil, tagAdvance))
}

// NewWithdraw moves lamports from account to to; withdrawing all of them closes the
// account (refused by the program in the block in which the nonce was last advanced).
func NewWithdraw(account, authority, to solana.PublicKey, lamports uint64) solana.Instruction {
	data := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint32(nil, tagWithdraw), lamports)
	return solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(account, true, false),
		solana.NewAccountMeta(to, true, false),
		solana.NewAccountMeta(solana.SysVarRecentBlockHashesPubkey, false, false),
		solana.NewAccountMeta(solana.SysVarRentPubkey, false, false),
		solana.NewAccountMeta(authority, false, true),
	}, data)
}

// NewAuthorize hands account's authority to newAuthority.
func NewAuthorize(account, authority, newAuthority solana.PublicKey) solana.Instruction {
	return solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{
		solana.NewAccountMeta(account, true, false),
		solana.NewAccountMeta(authority, false, true),
	}, append(binary.LittleEndian.AppendUint32(nil, tagAuthorize), newAuthority[:]...))
}
