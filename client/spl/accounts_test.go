package spl

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
)

// tokenAccountData lays out a token account as the token program does: 165 bytes, then,
// for Token-2022 with a TransferFeeAmount extension, the account type and the extension.
func tokenAccountData(mint, owner, delegate solana.PublicKey, amount, delegated uint64, withheld *uint64) []byte {
	b := make([]byte, TokenAccountLen)
	copy(b[0:], mint[:])
	copy(b[32:], owner[:])
	binary.LittleEndian.PutUint64(b[64:], amount)
	if !delegate.IsZero() {
		b[72] = 1
		copy(b[76:], delegate[:])
	}
	b[108] = byte(StateInitialized)
	binary.LittleEndian.PutUint64(b[121:], delegated)
	if withheld != nil {
		b = append(b, accountTypeToken, extTransferFeeAmount, 0, 8, 0)
		b = binary.LittleEndian.AppendUint64(b, *withheld)
	}
	return b
}

func mintData(supply uint64, decimals uint8, fee *TransferFeeConfig) []byte {
	b := make([]byte, MintLen)
	b[0] = 1
	copy(b[4:], fill(7))
	binary.LittleEndian.PutUint64(b[36:], supply)
	b[44], b[45] = decimals, 1
	if fee == nil {
		return b
	}
	b = append(b, make([]byte, accountTypeOffset-MintLen)...)
	b = append(b, accountTypeMint, extTransferFeeConfig, 0, transferFeeConfigLen, 0)
	b = append(b, fill(7)...)
	b = append(b, fill(8)...)
	b = binary.LittleEndian.AppendUint64(b, fee.WithheldAmount)
	for _, f := range []TransferFee{fee.Older, fee.Newer} {
		b = binary.LittleEndian.AppendUint64(b, f.Epoch)
		b = binary.LittleEndian.AppendUint64(b, f.MaximumFee)
		b = binary.LittleEndian.AppendUint16(b, f.BasisPoints)
	}
	return b
}

func TestDecodeTokenAccount(t *testing.T) {
	mint, owner, del := solana.PublicKeyFromBytes(fill(1)), solana.PublicKeyFromBytes(fill(2)), solana.PublicKeyFromBytes(fill(3))
	withheld := uint64(42)
	tests := []struct {
		name string
		data []byte
		want TokenAccount
		err  bool
	}{
		{name: "token", data: tokenAccountData(mint, owner, solana.PublicKey{}, 500, 0, nil),
			want: TokenAccount{Mint: mint, Owner: owner, Amount: 500, State: StateInitialized}},
		{name: "delegate", data: tokenAccountData(mint, owner, del, 500, 70, nil),
			want: TokenAccount{Mint: mint, Owner: owner, Amount: 500, Delegate: del, DelegatedAmount: 70, State: StateInitialized}},
		{name: "token-2022 withheld fee", data: tokenAccountData(mint, owner, solana.PublicKey{}, 9, 0, &withheld),
			want: TokenAccount{Mint: mint, Owner: owner, Amount: 9, State: StateInitialized, WithheldFee: 42}},
		{name: "short", data: make([]byte, 164), err: true},
		{name: "uninitialized", data: make([]byte, 165), err: true},
		{name: "mint type", data: append(tokenAccountData(mint, owner, solana.PublicKey{}, 1, 0, nil), accountTypeMint), err: true},
		{name: "truncated extension", data: append(tokenAccountData(mint, owner, solana.PublicKey{}, 1, 0, nil), accountTypeToken, 2, 0, 8, 0, 1), err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeTokenAccount(tc.data)
			if tc.err {
				if !errors.Is(err, ErrBadAccount) {
					t.Fatalf("err = %v, want ErrBadAccount", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Fatalf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestDecodeMintAndFee(t *testing.T) {
	plain, err := DecodeMint(mintData(1_000, 6, nil))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Supply != 1_000 || plain.Decimals != 6 || !plain.Initialized || plain.TransferFee != nil {
		t.Fatalf("plain mint %+v", plain)
	}
	if got := plain.Received(0, 77); got != 77 {
		t.Fatalf("plain mint receives %d of 77", got)
	}
	cfg := &TransferFeeConfig{WithheldAmount: 3, Older: TransferFee{Epoch: 0, MaximumFee: 1_000, BasisPoints: 100},
		Newer: TransferFee{Epoch: 10, MaximumFee: 5, BasisPoints: 5_000}}
	m, err := DecodeMint(mintData(1, 2, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if *m.TransferFee != *cfg {
		t.Fatalf("fee config %+v, want %+v", *m.TransferFee, *cfg)
	}
	for _, tc := range []struct{ epoch, amount, fee uint64 }{
		{0, 0, 0},
		{0, 1, 1},              // 0.01 rounds up
		{0, 100, 1},            // exactly 1%
		{0, 101, 2},            // 1.01 rounds up
		{0, 1_000_000, 1_000},  // capped
		{0, ^uint64(0), 1_000}, // no overflow
		{10, 3, 2},             // newer: 50% of 3 = 1.5 → 2
		{11, 1_000, 5},         // newer cap
	} {
		if got := m.TransferFee.Fee(tc.epoch, tc.amount); got != tc.fee {
			t.Errorf("fee(epoch %d, %d) = %d, want %d", tc.epoch, tc.amount, got, tc.fee)
		}
		if got := m.Received(tc.epoch, tc.amount); got != tc.amount-tc.fee {
			t.Errorf("received(epoch %d, %d) = %d", tc.epoch, tc.amount, got)
		}
	}
	for name, data := range map[string][]byte{
		"short":        make([]byte, 81),
		"between":      make([]byte, 100),
		"bad padding":  func() []byte { b := mintData(1, 2, cfg); b[90] = 1; return b }(),
		"account type": func() []byte { b := mintData(1, 2, cfg); b[accountTypeOffset] = accountTypeToken; return b }(),
		"fee length":   func() []byte { b := mintData(1, 2, cfg); b[accountTypeOffset+3] = 107; return b }(),
		"coption":      func() []byte { b := mintData(1, 2, nil); b[0] = 2; return b }(),
	} {
		if _, err := DecodeMint(data); !errors.Is(err, ErrBadAccount) {
			t.Errorf("%s: err = %v, want ErrBadAccount", name, err)
		}
	}
}

func FuzzDecodeTokenAccount(f *testing.F) {
	w := uint64(5)
	f.Add(tokenAccountData(solana.PublicKey{1}, solana.PublicKey{2}, solana.PublicKey{3}, 1, 1, nil))
	f.Add(tokenAccountData(solana.PublicKey{1}, solana.PublicKey{2}, solana.PublicKey{}, 1, 0, &w))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := DecodeTokenAccount(data)
		if err != nil {
			if !errors.Is(err, ErrBadAccount) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(data) < TokenAccountLen || a.State == StateUninitialized || a.State > StateFrozen {
			t.Fatalf("accepted %d bytes with state %d", len(data), a.State)
		}
		if binary.LittleEndian.Uint64(data[64:]) != a.Amount {
			t.Fatal("amount not read from offset 64")
		}
	})
}

func FuzzDecodeMint(f *testing.F) {
	f.Add(mintData(5, 6, nil), uint64(0), uint64(100))
	f.Add(mintData(5, 6, &TransferFeeConfig{Newer: TransferFee{BasisPoints: 10_000, MaximumFee: ^uint64(0)}}), uint64(1), ^uint64(0))
	f.Fuzz(func(t *testing.T, data []byte, epoch, amount uint64) {
		m, err := DecodeMint(data)
		if err != nil {
			if !errors.Is(err, ErrBadAccount) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if m.Decimals != data[44] {
			t.Fatal("decimals not read from offset 44")
		}
		if got := m.Received(epoch, amount); got > amount {
			t.Fatalf("received %d of %d", got, amount)
		}
	})
}
