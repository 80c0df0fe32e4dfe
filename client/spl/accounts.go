package spl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"

	"github.com/gagliardetto/solana-go"
)

// ErrBadAccount: account data that is not a token account or mint of the expected layout.
var ErrBadAccount = errors.New("spl: bad account data")

// Base layout sizes; Token-2022 accounts with extensions are longer (account-type byte at
// offset 165, then type-length-value extensions).
const (
	TokenAccountLen = 165
	MintLen         = 82
	// multisigLen is the one other base size, which Token-2022 keeps distinct from an
	// extended account's.
	multisigLen = 355

	accountTypeOffset = 165
	accountTypeMint   = 1
	accountTypeToken  = 2

	extTransferFeeConfig = 1
	extTransferFeeAmount = 2
	transferFeeConfigLen = 108
	maxBasisPoints       = 10_000
)

// AccountState is a token account's state field.
type AccountState uint8

// Token account states.
const (
	StateUninitialized AccountState = iota
	StateInitialized
	StateFrozen
)

// TokenAccount is the decoded base of a Token or Token-2022 token account.
type TokenAccount struct {
	Mint   solana.PublicKey
	Owner  solana.PublicKey
	Amount uint64
	// Delegate is zero when the account has none; DelegatedAmount is what it may still
	// move.
	Delegate        solana.PublicKey
	DelegatedAmount uint64
	State           AccountState
	// WithheldFee is the Token-2022 transfer fee withheld in the account (its
	// TransferFeeAmount extension): the account cannot be closed until it is harvested.
	WithheldFee uint64
}

// Mint is the decoded base of a mint, with its Token-2022 transfer fee if it has one.
type Mint struct {
	Supply      uint64
	Decimals    uint8
	Initialized bool
	TransferFee *TransferFeeConfig
}

// TransferFee is one epoch range's fee.
type TransferFee struct {
	Epoch       uint64
	MaximumFee  uint64
	BasisPoints uint16
}

// TransferFeeConfig is a Token-2022 mint's TransferFeeConfig extension.
type TransferFeeConfig struct {
	WithheldAmount uint64
	Older, Newer   TransferFee
}

// Fee is the fee the token program withholds from a transfer of amount in epoch: the
// newer fee from its epoch on, amount×bps/10 000 rounded up, capped at the maximum.
func (c *TransferFeeConfig) Fee(epoch, amount uint64) uint64 {
	if c == nil {
		return 0
	}
	f := c.Older
	if epoch >= c.Newer.Epoch {
		f = c.Newer
	}
	if f.BasisPoints == 0 || amount == 0 {
		return 0
	}
	if f.BasisPoints >= maxBasisPoints { // the program allows no more; data may say so
		return min(amount, f.MaximumFee)
	}
	// 128-bit product: amount × bps can exceed 64 bits; the quotient cannot exceed amount.
	hi, lo := bits.Mul64(amount, uint64(f.BasisPoints))
	q, r := bits.Div64(hi, lo, 10_000)
	if r != 0 {
		q++
	}
	return min(q, f.MaximumFee)
}

// Received is what arrives at the destination of a transfer of amount in epoch.
func (m *Mint) Received(epoch, amount uint64) uint64 {
	if m == nil || m.TransferFee == nil {
		return amount
	}
	return amount - m.TransferFee.Fee(epoch, amount)
}

func coptionKey(b []byte) (solana.PublicKey, error) {
	switch binary.LittleEndian.Uint32(b) {
	case 0:
		return solana.PublicKey{}, nil
	case 1:
		return solana.PublicKeyFromBytes(b[4:36]), nil
	}
	return solana.PublicKey{}, fmt.Errorf("%w: COption tag %d", ErrBadAccount, binary.LittleEndian.Uint32(b))
}

// DecodeTokenAccount reads a token account of either program: exactly 165 bytes, or
// longer with the Token-2022 account type and well-formed extensions.
func DecodeTokenAccount(data []byte) (*TokenAccount, error) {
	if len(data) < TokenAccountLen {
		return nil, fmt.Errorf("%w: token account is %d bytes, want at least %d", ErrBadAccount, len(data), TokenAccountLen)
	}
	a := &TokenAccount{
		Mint:   solana.PublicKeyFromBytes(data[0:32]),
		Owner:  solana.PublicKeyFromBytes(data[32:64]),
		Amount: binary.LittleEndian.Uint64(data[64:72]),
		State:  AccountState(data[108]),
	}
	var err error
	if a.Delegate, err = coptionKey(data[72:108]); err != nil {
		return nil, fmt.Errorf("%w (delegate)", err)
	}
	if a.State > StateFrozen || a.State == StateUninitialized {
		return nil, fmt.Errorf("%w: token account state %d", ErrBadAccount, a.State)
	}
	a.DelegatedAmount = binary.LittleEndian.Uint64(data[121:129])
	if len(data) == TokenAccountLen {
		return a, nil
	}
	if len(data) == multisigLen {
		return nil, fmt.Errorf("%w: %d bytes is a multisig", ErrBadAccount, len(data))
	}
	if data[accountTypeOffset] != accountTypeToken {
		return nil, fmt.Errorf("%w: account type %d, want %d (token account)", ErrBadAccount, data[accountTypeOffset], accountTypeToken)
	}
	err = extensions(data[accountTypeOffset+1:], func(typ uint16, v []byte) error {
		if typ == extTransferFeeAmount {
			if len(v) != 8 {
				return fmt.Errorf("%w: TransferFeeAmount is %d bytes", ErrBadAccount, len(v))
			}
			a.WithheldFee = binary.LittleEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// DecodeMint reads a mint of either program: exactly 82 bytes, or a Token-2022 mint
// padded to 165 bytes with the mint account type and extensions.
func DecodeMint(data []byte) (*Mint, error) {
	if len(data) < MintLen {
		return nil, fmt.Errorf("%w: mint is %d bytes, want at least %d", ErrBadAccount, len(data), MintLen)
	}
	if _, err := coptionKey(data[0:36]); err != nil {
		return nil, fmt.Errorf("%w (mint authority)", err)
	}
	m := &Mint{
		Supply:      binary.LittleEndian.Uint64(data[36:44]),
		Decimals:    data[44],
		Initialized: data[45] == 1,
	}
	if data[45] > 1 {
		return nil, fmt.Errorf("%w: mint is_initialized %d", ErrBadAccount, data[45])
	}
	if _, err := coptionKey(data[46:82]); err != nil {
		return nil, fmt.Errorf("%w (freeze authority)", err)
	}
	if len(data) == MintLen {
		return m, nil
	}
	if len(data) <= accountTypeOffset || len(data) == multisigLen {
		return nil, fmt.Errorf("%w: mint of %d bytes", ErrBadAccount, len(data))
	}
	for _, b := range data[MintLen:accountTypeOffset] {
		if b != 0 {
			return nil, fmt.Errorf("%w: mint padding is not zero", ErrBadAccount)
		}
	}
	if data[accountTypeOffset] != accountTypeMint {
		return nil, fmt.Errorf("%w: account type %d, want %d (mint)", ErrBadAccount, data[accountTypeOffset], accountTypeMint)
	}
	err := extensions(data[accountTypeOffset+1:], func(typ uint16, v []byte) error {
		if typ == extTransferFeeConfig {
			if len(v) != transferFeeConfigLen {
				return fmt.Errorf("%w: TransferFeeConfig is %d bytes", ErrBadAccount, len(v))
			}
			fee := func(b []byte) TransferFee {
				return TransferFee{Epoch: binary.LittleEndian.Uint64(b), MaximumFee: binary.LittleEndian.Uint64(b[8:]),
					BasisPoints: binary.LittleEndian.Uint16(b[16:])}
			}
			m.TransferFee = &TransferFeeConfig{WithheldAmount: binary.LittleEndian.Uint64(v[64:72]), Older: fee(v[72:90]), Newer: fee(v[90:108])}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// extensions walks Token-2022's type-length-value list; a zero type ends it (the rest is
// unused space).
func extensions(b []byte, visit func(typ uint16, v []byte) error) error {
	for len(b) >= 4 {
		typ, n := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
		if typ == 0 {
			return nil
		}
		if len(b)-4 < n {
			return fmt.Errorf("%w: extension %d claims %d bytes, %d left", ErrBadAccount, typ, n, len(b)-4)
		}
		if err := visit(typ, b[4:4+n]); err != nil {
			return err
		}
		b = b[4+n:]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes after the extensions", ErrBadAccount, len(b))
	}
	return nil
}
