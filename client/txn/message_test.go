package txn

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

type role struct{ signer, writable bool }

// randomInstructions returns two identical sets of fresh instructions (solana-go mutates
// the metas of the set it compiles). Flags are drawn so that no key is a read-only
// signer in one meta and writable in another: that is the case where solana-go and
// CompileLegacy intentionally differ (TestCompileLegacyMergesFlagsFirst).
func randomInstructions(r *rand.Rand, pool []solana.PublicKey, roles map[solana.PublicKey]role) ([]solana.Instruction, []solana.Instruction) {
	n := 1 + r.IntN(4)
	var a, b []solana.Instruction
	for range n {
		program := pool[r.IntN(len(pool))]
		var ma, mb solana.AccountMetaSlice
		for range r.IntN(8) {
			k := pool[r.IntN(len(pool))]
			ro := roles[k]
			s := ro.signer && r.IntN(2) == 0
			w := ro.writable && (s || r.IntN(2) == 0)
			ma = append(ma, solana.NewAccountMeta(k, w, s))
			mb = append(mb, solana.NewAccountMeta(k, w, s))
		}
		data := make([]byte, r.IntN(200)) // crosses the 1-byte short_vec limit (128)
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		a = append(a, solana.NewInstruction(program, ma, data))
		b = append(b, solana.NewInstruction(program, mb, append([]byte(nil), data...)))
	}
	return a, b
}

func TestCompileLegacyMatchesSolanaGo(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for iter := range 400 {
		pool := make([]solana.PublicKey, 3+r.IntN(12))
		roles := map[solana.PublicKey]role{}
		for i := range pool {
			pool[i] = key(fmt.Sprint(iter, "/", i))
			roles[pool[i]] = role{r.IntN(3) == 0, r.IntN(2) == 0}
		}
		ours, theirs := randomInstructions(r, pool, roles)
		payer := pool[r.IntN(len(pool))]
		if r.IntN(3) == 0 {
			payer = key(fmt.Sprint(iter, "/payer")) // not in any instruction
		}
		var bh solana.Hash
		for i := range bh {
			bh[i] = byte(r.Uint32())
		}

		msg, err := CompileLegacy(payer, bh, ours...)
		require.NoError(t, err)
		tx, err := solana.NewTransaction(theirs, bh, solana.TransactionPayer(payer))
		require.NoError(t, err)
		want, err := tx.Message.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(msg.Bytes()), "iteration %d", iter)
		require.Equal(t, tx.Message.Signers(), solana.PublicKeySlice(msg.Signers()))
		for _, ix := range ours {
			for _, m := range ix.Accounts() {
				if m.PublicKey == payer {
					require.True(t, !m.IsSigner || roles[payer].signer, "CompileLegacy must not write through metas")
				}
			}
		}
	}
}

// TestCompileLegacyMergesFlagsFirst: a key that is a read-only signer in one meta and a
// writable non-signer in another must end up a writable signer, placed among the writable
// signers (the runtime derives writability from the position).
func TestCompileLegacyMergesFlagsFirst(t *testing.T) {
	payer, a, b := key("payer"), key("a"), key("b")
	if string(a[:]) > string(b[:]) {
		a, b = b, a // a < b, so a sorts before b among read-only signers
	}
	ix1 := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{
		solana.NewAccountMeta(a, false, true), solana.NewAccountMeta(b, false, true)}, nil)
	ix2 := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{solana.NewAccountMeta(b, true, false)}, nil)
	msg, err := CompileLegacy(payer, solana.Hash{}, ix1, ix2)
	require.NoError(t, err)
	wire, err := msg.Assemble(make([]solana.Signature, 3))
	require.NoError(t, err)
	tx, err := solana.TransactionFromBytes(wire)
	require.NoError(t, err)
	m := &tx.Message
	require.Equal(t, []solana.PublicKey{payer, b, a, key("prog")}, []solana.PublicKey(m.AccountKeys))
	wantWritable := map[solana.PublicKey]bool{payer: true, b: true, a: false, key("prog"): false}
	for _, k := range m.AccountKeys {
		w, err := m.IsWritable(k)
		require.NoError(t, err)
		require.Equal(t, wantWritable[k], w, k.String())
		require.Equal(t, k != key("prog"), m.IsSigner(k))
	}
}

func TestCompileLegacyErrors(t *testing.T) {
	_, err := CompileLegacy(key("p"), solana.Hash{})
	require.ErrorIs(t, err, ErrCompile)
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), solana.AccountMetaSlice{nil}, nil))
	require.ErrorIs(t, err, ErrCompile)
	var metas solana.AccountMetaSlice
	for i := range 256 {
		metas = append(metas, solana.NewAccountMeta(key(fmt.Sprint("k", i)), false, false))
	}
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), metas, nil))
	require.ErrorIs(t, err, ErrCompile)
	require.ErrorContains(t, err, "258 account keys")
	_, err = CompileLegacy(key("p"), solana.Hash{}, solana.NewInstruction(key("prog"), metas[:254], nil))
	require.NoError(t, err)
}

func TestSignErrors(t *testing.T) {
	s, a := testKey(t, "signer"), testKey(t, "authority")
	ix := solana.NewInstruction(key("prog"), solana.AccountMetaSlice{
		solana.NewAccountMeta(s.PublicKey(), true, true),
		solana.NewAccountMeta(a.PublicKey(), true, true),
	}, []byte{1})
	msg, err := CompileLegacy(a.PublicKey(), solana.Hash{1}, ix)
	require.NoError(t, err)
	require.Equal(t, []solana.PublicKey{a.PublicKey(), s.PublicKey()}, msg.Signers())

	_, err = msg.Sign(a)
	require.ErrorIs(t, err, ErrSigner)
	_, err = msg.Sign(a, a)
	require.ErrorIs(t, err, ErrSigner)
	require.ErrorContains(t, err, "no key for required signer "+s.PublicKey().String())
	_, err = msg.Sign(a, nil)
	require.ErrorIs(t, err, ErrSigner)
	_, err = LegacyMessage{}.Sign(a)
	require.ErrorIs(t, err, ErrSigner)
	_, err = msg.Assemble([]solana.Signature{{}})
	require.ErrorIs(t, err, ErrSigner)

	wire, err := msg.Sign(s, a) // any order
	require.NoError(t, err)
	sigs := []solana.Signature{a.Sign(msg.Bytes()), s.Sign(msg.Bytes())}
	assembled, err := msg.Assemble(sigs)
	require.NoError(t, err)
	require.Equal(t, wire, assembled)
	require.Equal(t, sigs[0][:], wire[1:65], "wire[1:65] is the fee payer's signature")
}

func TestCompactU16(t *testing.T) {
	for n, want := range map[int]string{0: "00", 1: "01", 127: "7f", 128: "8001", 255: "ff01", 16383: "ff7f", 16384: "808001", 65535: "ffff03"} {
		require.Equal(t, want, hex.EncodeToString(appendCompactU16(nil, n)), "n=%d", n)
	}
}

// key returns a fixed, readable-in-tests public key for name.
func key(name string) solana.PublicKey { return sha256.Sum256([]byte("sessionkit test key " + name)) }

// testKey returns a deterministic signing key for name.
func testKey(t testing.TB, name string) *SessionKey {
	t.Helper()
	seed := sha256.Sum256([]byte("sessionkit test seed " + name))
	k, err := NewSessionKey(seed[:])
	require.NoError(t, err)
	return k
}
