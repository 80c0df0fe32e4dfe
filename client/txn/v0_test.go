package txn

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

// solana-go looks tables up in address order; given in that order, CompileV0 must write
// the same bytes.
func TestV0CompileMatchesSolanaGo(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	lookedUp := 0
	for iter := range 400 {
		pool := make([]solana.PublicKey, 3+r.IntN(12))
		roles := map[solana.PublicKey]role{}
		for i := range pool {
			pool[i] = key(fmt.Sprint("v0/", iter, "/", i))
			roles[pool[i]] = role{r.IntN(3) == 0, r.IntN(2) == 0}
		}
		ours, theirs := randomInstructions(r, pool, roles)
		payer := pool[r.IntN(len(pool))]
		var bh solana.Hash
		for i := range bh {
			bh[i] = byte(r.Uint32())
		}
		var tables []LookupTable
		byAddress := map[solana.PublicKey]solana.PublicKeySlice{}
		for ti := range r.IntN(4) {
			tb := LookupTable{Address: key(fmt.Sprint("v0/", iter, "/table/", ti))}
			for range r.IntN(10) {
				tb.Addresses = append(tb.Addresses, pool[r.IntN(len(pool))]) // repeats too
			}
			tables = append(tables, tb)
			byAddress[tb.Address] = tb.Addresses
		}
		slices.SortFunc(tables, func(a, b LookupTable) int { return bytes.Compare(a.Address[:], b.Address[:]) })

		msg, err := CompileV0(payer, bh, tables, ours...)
		require.NoError(t, err)
		opts := []solana.TransactionOption{solana.TransactionPayer(payer)}
		if len(tables) > 0 {
			opts = append(opts, solana.TransactionAddressTables(byAddress))
		} else {
			opts = append(opts, solana.TransactionMessageVersion(solana.MessageVersionV0))
		}
		tx, err := solana.NewTransaction(theirs, bh, opts...)
		require.NoError(t, err)
		want, err := tx.Message.MarshalBinary()
		require.NoError(t, err)
		if !tx.Message.IsVersioned() {
			// No table entry used: solana-go falls back to legacy, CompileV0 stays v0.
			want = append(append([]byte{0x80}, want...), 0)
		}
		require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(msg.Bytes()), "iteration %d", iter)
		require.Equal(t, tx.Message.Signers(), solana.PublicKeySlice(msg.Signers()))
		if tx.Message.AddressTableLookups.NumLookups() > 0 {
			lookedUp++
		}
	}
	require.Greater(t, lookedUp, 100, "most iterations must load accounts from tables")
}

// The golden message is spelled out field by field from the v0 format (version byte,
// header, static keys, blockhash, instructions, lookups), independent of any compiler.
func TestV0CompileGolden(t *testing.T) {
	payer, signer, prog := key("payer"), key("signer"), key("prog")
	w, ro, static := key("writable"), key("readonly"), key("static")
	table := LookupTable{Address: key("table"), Addresses: []solana.PublicKey{key("unused"), ro, w, signer, prog}}
	ix := solana.NewInstruction(prog, solana.AccountMetaSlice{
		solana.NewAccountMeta(signer, false, true),
		solana.NewAccountMeta(w, true, false),
		solana.NewAccountMeta(ro, false, false),
		solana.NewAccountMeta(static, true, false),
	}, []byte{7, 8})
	msg, err := CompileV0(payer, solana.Hash(key("blockhash")), []LookupTable{table}, ix)
	require.NoError(t, err)

	var want bytes.Buffer
	want.Write([]byte{0x80, 2, 1, 1, 4}) // v0; 2 signers, 1 read-only signer, 1 read-only unsigned; 4 static keys
	for _, k := range []solana.PublicKey{payer, signer, static, prog} {
		want.Write(k[:])
	}
	bh := key("blockhash")
	want.Write(bh[:])
	// One instruction: program index 3, accounts signer(1) w(4, first loaded writable)
	// ro(5, first loaded read-only) static(2), data.
	want.Write([]byte{1, 3, 4, 1, 4, 5, 2, 2, 7, 8})
	want.Write([]byte{1})
	want.Write(table.Address[:])
	want.Write([]byte{1, 2, 1, 1}) // writable index 2 (w), read-only index 1 (ro)
	require.Equal(t, hex.EncodeToString(want.Bytes()), hex.EncodeToString(msg.Bytes()))

	golden, err := os.ReadFile("testdata/v0_message.hex")
	require.NoError(t, err)
	require.Equal(t, strings.TrimSpace(string(golden)), hex.EncodeToString(msg.Bytes()))

	// It signs like a legacy message, and solana-go reads the transaction back.
	wire, err := msg.Sign(testKey(t, "unused"), testKey(t, "unused"))
	require.ErrorIs(t, err, ErrSigner)
	require.Nil(t, wire)
	sigs := []solana.Signature{{1}, {2}}
	wire, err = msg.Assemble(sigs)
	require.NoError(t, err)
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	require.True(t, tx.Message.IsVersioned())
	require.Equal(t, []solana.Signature{{1}, {2}}, tx.Signatures)
	require.Equal(t, solana.PublicKeySlice{payer, signer, static, prog}, tx.Message.AccountKeys)
}

func TestV0Sign(t *testing.T) {
	s := testKey(t, "v0 signer")
	table := LookupTable{Address: key("t"), Addresses: []solana.PublicKey{key("a")}}
	ix := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{
		solana.NewAccountMeta(s.PublicKey(), true, true), solana.NewAccountMeta(key("a"), true, false)}, nil)
	msg, err := CompileV0(s.PublicKey(), solana.Hash{3}, []LookupTable{table}, ix)
	require.NoError(t, err)
	wire, err := msg.Sign(s)
	require.NoError(t, err)
	require.Equal(t, byte(1), wire[0])
	sig := s.Sign(msg.Bytes())
	require.Equal(t, sig[:], wire[1:65], "the message bytes, version byte included, are what is signed")
	require.Equal(t, msg.Bytes(), wire[65:])
}

func TestV0CompileErrors(t *testing.T) {
	ix := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{solana.NewAccountMeta(key("a"), true, false)}, nil)
	long := make([]solana.PublicKey, 257)
	tests := map[string]struct {
		tables []LookupTable
		want   string
	}{
		"zero address": {[]LookupTable{{Addresses: []solana.PublicKey{key("a")}}}, "table 0 has no address"},
		"twice":        {[]LookupTable{{Address: key("t")}, {Address: key("t")}}, "given twice"},
		"too long":     {[]LookupTable{{Address: key("t"), Addresses: long}}, "holds 257 addresses"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := CompileV0(key("p"), solana.Hash{}, tc.tables, ix)
			require.ErrorIs(t, err, ErrLookupTable)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := CompileV0(key("p"), solana.Hash{}, nil)
	require.ErrorIs(t, err, ErrCompile)

	// 302 keys: with 20 in a table, 282 static keys are too many; with 100, the 302
	// indexes are past the 256 a message can name.
	var metas solana.AccountMetaSlice
	tb := LookupTable{Address: key("t")}
	for i := range 300 {
		k := key(fmt.Sprint("k", i))
		metas = append(metas, solana.NewAccountMeta(k, false, false))
		tb.Addresses = append(tb.Addresses, k)
	}
	tb.Addresses = tb.Addresses[:20]
	_, err = CompileV0(key("p"), solana.Hash{}, []LookupTable{tb}, solana.NewInstruction(key("prog"), metas, nil))
	require.ErrorIs(t, err, ErrCompile)
	require.ErrorContains(t, err, "282 account keys, a message holds 256")
	tb.Addresses = tb.Addresses[:100]
	_, err = CompileV0(key("p"), solana.Hash{}, []LookupTable{tb}, solana.NewInstruction(key("prog"), metas, nil))
	require.ErrorIs(t, err, ErrCompile)
	require.ErrorContains(t, err, "302 accounts, a v0 message indexes 256")
	_, err = CompileV0(key("p"), solana.Hash{}, []LookupTable{tb}, solana.NewInstruction(key("prog"), metas[:250], nil))
	require.NoError(t, err)
}
