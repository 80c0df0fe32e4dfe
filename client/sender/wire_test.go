package sender

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/gagliardetto/solana-go/programs/system"

	"github.com/sessionkit/sessionkit/client/txn"
)

func TestInspect(t *testing.T) {
	payer, err := txn.GenerateSessionKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	bh := solana.Hash{7, 7}
	ix := system.NewTransferInstruction(1, payer.PublicKey(), solana.PublicKey{2}).Build()
	msg, err := txn.CompileLegacy(payer.PublicKey(), bh, ix)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := msg.Sign(payer)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(w []byte) []byte) []byte { return f(bytes.Clone(wire)) }
	// A v0 message: the version byte, then the legacy layout and an empty lookup list.
	v0 := edit(func(w []byte) []byte { return append(append(w[:65:65], 0x80), append(w[65:], 0)...) })

	for _, tt := range []struct {
		name string
		wire []byte
		ok   bool
	}{
		{"legacy", wire, true},
		{"v0", v0, true},
		{"empty", nil, false},
		{"no signatures", edit(func(w []byte) []byte { w[0] = 0; return w }), false},
		{"count not minimal", append([]byte{0x81, 0x00}, wire[1:]...), false},
		{"truncated signature", wire[:40], false},
		{"zero signature", edit(func(w []byte) []byte { clear(w[1:65]); return w }), false},
		{"more signatures than signers", edit(func(w []byte) []byte {
			w[0] = 2
			return append(append(w[:65:65], bytes.Repeat([]byte{1}, 64)...), w[65:]...)
		}), false},
		{"fewer signatures than signers", edit(func(w []byte) []byte { w[65]++; return w }), false},
		{"version 1", edit(func(w []byte) []byte { return append(append(w[:65:65], 0x81), w[65:]...) }), false},
		{"truncated header", wire[:67], false},
		{"truncated keys", wire[:65+3+1+40], false},
		{"too large", append(bytes.Clone(wire), make([]byte, maxWireSize)...), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sig, hash, err := inspect(tt.wire)
			if !tt.ok {
				if !errors.Is(err, ErrInvalidTransaction) {
					t.Fatalf("inspect = %v, want ErrInvalidTransaction", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sig != solana.Signature(wire[1:65]) || hash != bh {
				t.Fatalf("inspect = %s, %s; want %s, %s", sig, hash, solana.Signature(wire[1:65]), bh)
			}
		})
	}

	// The bytes solana-go decodes read the same.
	tx, err := solana.TransactionFromBytes(v0)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Message.RecentBlockhash != bh || tx.Signatures[0] != solana.Signature(wire[1:65]) {
		t.Fatalf("solana-go reads the v0 form as blockhash %s, signature %s", tx.Message.RecentBlockhash, tx.Signatures[0])
	}
}
