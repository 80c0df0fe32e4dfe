package deploy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/gagliardetto/solana-go"
)

func TestInstructionLayouts(t *testing.T) {
	var (
		payer   = solana.PublicKey{1}
		program = solana.PublicKey{2}
		buffer  = solana.PublicKey{3}
		auth    = solana.PublicKey{4}
		next    = solana.PublicKey{5}
		pd      = ProgramDataAddress(program)
	)
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	le64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	type meta struct {
		pk             solana.PublicKey
		writable, sign bool
	}
	tests := []struct {
		name  string
		ix    solana.Instruction
		data  []byte
		metas []meta
	}{
		{"InitializeBuffer", InitializeBufferInstruction(buffer, auth), le32(0),
			[]meta{{buffer, true, false}, {auth, false, false}}},
		{"Write", WriteInstruction(buffer, auth, 1016, []byte{0xde, 0xad}),
			cat(le32(1), le32(1016), le64(2), []byte{0xde, 0xad}),
			[]meta{{buffer, true, false}, {auth, false, true}}},
		{"DeployWithMaxDataLen", DeployWithMaxDataLenInstruction(payer, program, buffer, auth, 300_000),
			cat(le32(2), le64(300_000)),
			[]meta{{payer, true, true}, {pd, true, false}, {program, true, false}, {buffer, true, false},
				{solana.SysVarRentPubkey, false, false}, {solana.SysVarClockPubkey, false, false},
				{solana.SystemProgramID, false, false}, {auth, false, true}}},
		{"Upgrade", UpgradeInstruction(program, buffer, auth, payer), le32(3),
			[]meta{{pd, true, false}, {program, true, false}, {buffer, true, false}, {payer, true, false},
				{solana.SysVarRentPubkey, false, false}, {solana.SysVarClockPubkey, false, false}, {auth, false, true}}},
		{"SetAuthority", SetAuthorityInstruction(pd, auth, &next), le32(4),
			[]meta{{pd, true, false}, {auth, false, true}, {next, false, false}}},
		{"SetAuthority to none", SetAuthorityInstruction(pd, auth, nil), le32(4),
			[]meta{{pd, true, false}, {auth, false, true}}},
		{"ExtendProgram", ExtendProgramInstruction(program, payer, 10240), cat(le32(6), le32(10240)),
			[]meta{{pd, true, false}, {program, true, false}, {solana.SystemProgramID, false, false}, {payer, true, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ix.ProgramID().Equals(LoaderID) {
				t.Fatalf("program %s", tt.ix.ProgramID())
			}
			data, err := tt.ix.Data()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, tt.data) {
				t.Fatalf("data % x, want % x", data, tt.data)
			}
			accs := tt.ix.Accounts()
			if len(accs) != len(tt.metas) {
				t.Fatalf("%d accounts, want %d", len(accs), len(tt.metas))
			}
			for i, m := range tt.metas {
				a := accs[i]
				if !a.PublicKey.Equals(m.pk) || a.IsWritable != m.writable || a.IsSigner != m.sign {
					t.Fatalf("account %d = %s w=%v s=%v, want %s w=%v s=%v", i, a.PublicKey, a.IsWritable, a.IsSigner, m.pk, m.writable, m.sign)
				}
			}
		})
	}
}

func TestDecodeProgramData(t *testing.T) {
	auth := solana.PublicKey{9, 9}
	header := func(slot uint64, a *solana.PublicKey) []byte {
		b := binary.LittleEndian.AppendUint32(nil, 3)
		b = binary.LittleEndian.AppendUint64(b, slot)
		if a == nil {
			return append(b, make([]byte, 33)...)
		}
		return append(append(b, 1), a[:]...)
	}
	tests := []struct {
		name    string
		data    []byte
		slot    uint64
		auth    *solana.PublicKey
		elf     string
		wantErr bool
	}{
		{"upgradeable", append(header(77, &auth), "\x7fELF"...), 77, &auth, "\x7fELF", false},
		{"immutable", append(header(5, nil), "\x7fELF\x00\x00"...), 5, nil, "\x7fELF\x00\x00", false},
		{"buffer tag", append(binary.LittleEndian.AppendUint32(nil, 1), make([]byte, 44)...), 0, nil, "", true},
		{"short", []byte{3, 0, 0, 0}, 0, nil, "", true},
		{"option tag 2", append(append(binary.LittleEndian.AppendUint32(nil, 3), make([]byte, 8)...), append([]byte{2}, auth[:]...)...), 0, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pd, err := DecodeProgramData(tt.data)
			if tt.wantErr {
				if !errors.Is(err, ErrNotProgram) {
					t.Fatalf("err = %v, want ErrNotProgram", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pd.Slot != tt.slot || string(pd.ELF) != tt.elf || (pd.Authority == nil) != (tt.auth == nil) ||
				(tt.auth != nil && !pd.Authority.Equals(*tt.auth)) {
				t.Fatalf("got slot %d auth %v elf %q", pd.Slot, pd.Authority, pd.ELF)
			}
		})
	}
}

func TestChunkSizeFillsAPacket(t *testing.T) {
	for _, sameAuthority := range []bool{true, false} {
		payer := solana.NewWallet().PrivateKey
		auth := payer
		if !sameAuthority {
			auth = solana.NewWallet().PrivateKey
		}
		s := &session{payer: payer}
		buffer := solana.NewWallet().PublicKey()
		chunk, err := s.chunkSize(buffer, auth)
		if err != nil {
			t.Fatal(err)
		}
		tx, err := solana.NewTransaction([]solana.Instruction{WriteInstruction(buffer, auth.PublicKey(), 0, make([]byte, chunk))},
			solana.Hash{}, solana.TransactionPayer(payer.PublicKey()))
		if err != nil {
			t.Fatal(err)
		}
		keys := map[solana.PublicKey]*solana.PrivateKey{payer.PublicKey(): &payer, auth.PublicKey(): &auth}
		if _, err := tx.Sign(func(pk solana.PublicKey) *solana.PrivateKey { return keys[pk] }); err != nil {
			t.Fatal(err)
		}
		b, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != maxTxSize {
			t.Fatalf("same authority %v: chunk %d gives a %d-byte transaction, want exactly %d", sameAuthority, chunk, len(b), maxTxSize)
		}
	}
}

// encodeProgramData is the loader's bincode layout of a programdata account, the
// inverse of DecodeProgramData.
func encodeProgramData(pd *ProgramData) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 3)
	b = binary.LittleEndian.AppendUint64(b, pd.Slot)
	if pd.Authority == nil {
		b = append(b, make([]byte, 33)...)
	} else {
		b = append(append(b, 1), pd.Authority[:]...)
	}
	return append(b, pd.ELF...)
}

func FuzzDecodeProgramData(f *testing.F) {
	auth := solana.MustPublicKeyFromBase58("KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5")
	f.Add(encodeProgramData(&ProgramData{Slot: 77, Authority: &auth, ELF: []byte("\x7fELF\x02\x01\x01")}))
	f.Add(encodeProgramData(&ProgramData{Slot: 5, ELF: []byte("\x7fELF")}))
	f.Add(encodeProgramData(&ProgramData{Slot: 1<<64 - 1}))
	// After SetAuthority to none the loader rewrites only the option tag: the old
	// authority's bytes stay behind it.
	stale := encodeProgramData(&ProgramData{Slot: 9, Authority: &auth})
	stale[12] = 0
	f.Add(stale)
	f.Add([]byte{3, 0, 0, 0})
	f.Add(append(binary.LittleEndian.AppendUint32(nil, 1), make([]byte, 44)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		pd, err := DecodeProgramData(data)
		if err != nil {
			if !errors.Is(err, ErrNotProgram) {
				t.Fatalf("error %v is not ErrNotProgram", err)
			}
			if len(data) >= ProgramDataHeaderSize && binary.LittleEndian.Uint32(data) == 3 && data[12] <= 1 {
				t.Fatalf("refused a well-formed programdata header % x", data[:ProgramDataHeaderSize])
			}
			return
		}
		if len(data) < ProgramDataHeaderSize || binary.LittleEndian.Uint32(data) != 3 {
			t.Fatalf("accepted %d bytes with tag % x", len(data), data[:min(4, len(data))])
		}
		// bincode's Option tag is 0 or 1; anything else is not an account the loader wrote.
		if data[12] > 1 {
			t.Fatalf("accepted option tag %d", data[12])
		}
		if (pd.Authority != nil) != (data[12] == 1) {
			t.Fatalf("authority %v from option tag %d", pd.Authority, data[12])
		}
		enc := encodeProgramData(pd)
		if pd.Authority == nil {
			copy(enc[13:ProgramDataHeaderSize], data[13:ProgramDataHeaderSize])
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("re-encoded\n% x\nfrom\n% x", enc, data)
		}
	})
}
