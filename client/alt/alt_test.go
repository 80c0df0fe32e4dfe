package alt

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

func key(name string) solana.PublicKey { return sha256.Sum256([]byte("alt test " + name)) }

func data(t *testing.T, ix solana.Instruction) string {
	t.Helper()
	d, err := ix.Data()
	require.NoError(t, err)
	return hex.EncodeToString(d)
}

// The instruction data spelled out from the program's bincode enum: a u32 tag, then the
// variant's fields (u64 slot and u8 bump; a u64-counted vector of addresses).
func TestInstructions(t *testing.T) {
	auth, payer := key("authority"), key("payer")
	create, table, err := NewCreate(auth, payer, 0x0102030405)
	require.NoError(t, err)
	want, bump, err := Derive(auth, 0x0102030405)
	require.NoError(t, err)
	require.Equal(t, want, table)
	pda, _, err := solana.FindProgramAddress([][]byte{auth[:], {5, 4, 3, 2, 1, 0, 0, 0}}, ProgramID)
	require.NoError(t, err)
	require.Equal(t, pda, table, "seeds: authority, recent slot little-endian")
	require.Equal(t, "00000000"+"0504030201000000"+hex.EncodeToString([]byte{bump}), data(t, create))
	require.Equal(t, solana.AccountMetaSlice{
		{PublicKey: table, IsWritable: true}, {PublicKey: auth, IsSigner: true},
		{PublicKey: payer, IsWritable: true, IsSigner: true}, {PublicKey: solana.SystemProgramID},
	}, solana.AccountMetaSlice(create.Accounts()))
	require.Equal(t, ProgramID, create.ProgramID())

	extend, err := NewExtend(table, auth, payer, []solana.PublicKey{key("a"), key("b")})
	require.NoError(t, err)
	a, b := key("a"), key("b")
	require.Equal(t, "02000000"+"0200000000000000"+hex.EncodeToString(a[:])+hex.EncodeToString(b[:]), data(t, extend))
	require.Len(t, extend.Accounts(), 4)
	_, err = NewExtend(table, auth, payer, nil)
	require.ErrorIs(t, err, ErrBadParams)
	_, err = NewExtend(table, auth, payer, make([]solana.PublicKey, 257))
	require.ErrorIs(t, err, ErrBadParams)

	deact := NewDeactivate(table, auth)
	require.Equal(t, "03000000", data(t, deact))
	require.Equal(t, solana.AccountMetaSlice{{PublicKey: table, IsWritable: true}, {PublicKey: auth, IsSigner: true}}, solana.AccountMetaSlice(deact.Accounts()))
	cl := NewClose(table, auth, payer)
	require.Equal(t, "04000000", data(t, cl))
	require.Equal(t, solana.AccountMetaSlice{{PublicKey: table, IsWritable: true}, {PublicKey: auth, IsSigner: true}, {PublicKey: payer, IsWritable: true}}, solana.AccountMetaSlice(cl.Accounts()))
}

func TestDecode(t *testing.T) {
	auth := key("authority")
	// A table with two addresses, the second added in slot 9, spelled out byte by byte.
	raw := "01000000" + "ffffffffffffffff" + "0900000000000000" + "01" + "01" + hex.EncodeToString(auth[:]) + "0000"
	a, b := key("a"), key("b")
	raw += hex.EncodeToString(a[:]) + hex.EncodeToString(b[:])
	bytes, err := hex.DecodeString(raw)
	require.NoError(t, err)
	tb, err := Decode(bytes)
	require.NoError(t, err)
	require.Equal(t, &Table{DeactivationSlot: Active, LastExtendedSlot: 9, LastExtendedStart: 1, Authority: &auth, Addresses: []solana.PublicKey{a, b}}, tb)
	require.Equal(t, 1, tb.UsableAt(9))
	require.Equal(t, 2, tb.UsableAt(10))
	again, err := tb.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, bytes, again)
	require.Equal(t, []solana.PublicKey{a, b}, tb.Lookup(key("t")).Addresses)
	bytes[0] = 0xaa // the decoder copied
	require.Equal(t, a, tb.Addresses[0])

	tb.DeactivationSlot = 20
	require.Zero(t, tb.UsableAt(30))

	for name, bad := range map[string]string{
		"short":           "01000000",
		"uninitialized":   "00000000" + raw[8:],
		"partial":         raw + "00",
		"authority tag 2": raw[:42] + "02" + raw[44:],
		"extension past":  raw[:40] + "03" + raw[42:],
	} {
		b, err := hex.DecodeString(bad)
		require.NoError(t, err, name)
		_, err = Decode(b)
		require.ErrorIs(t, err, ErrInvalidTable, name)
	}
}

func FuzzDecode(f *testing.F) {
	auth := key("authority")
	seed, _ := (&Table{DeactivationSlot: Active, Authority: &auth, Addresses: []solana.PublicKey{key("a")}}).MarshalBinary()
	f.Add(seed)
	f.Add(seed[:MetaSize])
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := Decode(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidTable)
			return
		}
		// What decodes re-encodes to the same bytes, but for what freezing leaves behind.
		again, err := tb.MarshalBinary()
		require.NoError(t, err)
		require.Len(t, again, len(b))
		require.Equal(t, b[:22], again[:22])
		require.Equal(t, b[MetaSize:], again[MetaSize:])
		require.LessOrEqual(t, tb.UsableAt(tb.LastExtendedSlot), len(tb.Addresses))
	})
}
