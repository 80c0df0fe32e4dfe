package txn

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/require"
)

func TestSessionKeySignsLikeStdlibAndSolanaGo(t *testing.T) {
	for i := range 20 {
		k := testKey(t, fmt.Sprint("k", i))
		msg := bytes.Repeat([]byte{byte(i)}, i*37)
		std := ed25519.NewKeyFromSeed(k.Seed())
		require.Equal(t, solana.PublicKey(std.Public().(ed25519.PublicKey)), k.PublicKey())
		sig := k.Sign(msg)
		require.Equal(t, ed25519.Sign(std, msg), sig[:])
		sg, err := k.PrivateKey().Sign(msg)
		require.NoError(t, err)
		require.Equal(t, sg, sig)
		require.True(t, sig.Verify(k.PublicKey(), msg))
	}
}

func TestSessionKeyConstructors(t *testing.T) {
	_, err := NewSessionKey(make([]byte, 31))
	require.ErrorIs(t, err, ErrInvalidKey)
	_, err = SessionKeyFromPrivateKey(make(solana.PrivateKey, 63))
	require.ErrorIs(t, err, ErrInvalidKey)

	k := testKey(t, "a")
	pk := k.PrivateKey()
	back, err := SessionKeyFromPrivateKey(pk)
	require.NoError(t, err)
	require.Equal(t, k.PublicKey(), back.PublicKey())
	require.Equal(t, pk.PublicKey(), k.PublicKey())

	other := testKey(t, "b").PrivateKey()
	forged := append(append(solana.PrivateKey{}, pk[:32]...), other[32:]...)
	_, err = SessionKeyFromPrivateKey(forged)
	require.ErrorIs(t, err, ErrInvalidKey)
	require.Contains(t, err.Error(), "does not match the seed")

	// Returned key material is a copy.
	seed := k.Seed()
	seed[0] ^= 0xff
	pk[0] ^= 0xff
	require.Equal(t, testKey(t, "a").Seed(), k.Seed())
	require.Equal(t, testKey(t, "a").Sign([]byte("m")), k.Sign([]byte("m")))

	in := bytes.Repeat([]byte{9}, 32)
	fromSeed, err := NewSessionKey(in)
	require.NoError(t, err)
	before := fromSeed.PrivateKey()
	clear(in)
	require.Equal(t, before, fromSeed.PrivateKey(), "the key holds its own copy of the seed")
}

func TestGenerateSessionKey(t *testing.T) {
	r := bytes.NewReader(bytes.Repeat([]byte{7}, 64))
	k1, err := GenerateSessionKey(r)
	require.NoError(t, err)
	k2, err := NewSessionKey(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	require.Equal(t, k2.PublicKey(), k1.PublicKey())

	_, err = GenerateSessionKey(iotest.ErrReader(errors.New("no entropy")))
	require.ErrorContains(t, err, "no entropy")

	a, err := GenerateSessionKey(nil)
	require.NoError(t, err)
	b, err := GenerateSessionKey(nil)
	require.NoError(t, err)
	require.NotEqual(t, a.PublicKey(), b.PublicKey())
}

func TestSessionKeyNeverPrintsSecret(t *testing.T) {
	k := testKey(t, "secret")
	secrets := []string{
		hex.EncodeToString(k.Seed()[:8]), strings.ToUpper(hex.EncodeToString(k.Seed()[:8])),
		base64.StdEncoding.EncodeToString(k.Seed()[:9]),
		k.PrivateKey().String()[:12], // base58 of the 64-byte key
		string(k.Seed()[:6]),
		fmt.Sprintf("%q", k.Seed()[:6]),
		strings.Trim(fmt.Sprint(k.Seed()[:6]), "[]"), // decimal, as %v prints byte slices
	}
	// fmt prints unexported fields without calling their methods, so hidden and ptr
	// reach the struct's own fields.
	type holder struct {
		Name     string
		Key      *SessionKey
		Exported SessionKey
		hidden   SessionKey
		ptr      *SessionKey
	}
	h := holder{Name: "x", Key: k, Exported: *k, hidden: *k, ptr: k}
	values := []any{k, *k, h, &h, []*SessionKey{k}, []SessionKey{*k}, map[string]SessionKey{"k": *k}}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		for _, v := range values {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	outs = append(outs, k.String(), k.GoString(), fmt.Sprint(k), fmt.Sprintln(*k))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "key", k, "holder", h)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "key", k, "holder", h)
	outs = append(outs, logs.String())
	js, err := json.Marshal(h)
	require.NoError(t, err)
	outs = append(outs, string(js))
	for _, out := range outs {
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
	want := "SessionKey(" + k.PublicKey().String() + ")"
	require.Equal(t, want, fmt.Sprintf("%x", k))
	require.Equal(t, want, fmt.Sprintf("%#v", *k))
	require.Equal(t, "<nil>", fmt.Sprint((*SessionKey)(nil)))
	require.Contains(t, logs.String(), k.PublicKey().String())
}

func TestSessionKeyZero(t *testing.T) {
	k := testKey(t, "zero")
	pub, msg := k.PublicKey(), []byte("m")
	exported, seed := k.PrivateKey(), k.Seed()
	valueCopy := *k
	inner := k.secret()
	require.False(t, k.Zeroed())

	k.Zero()
	require.Equal(t, [64]byte{}, inner.priv, "key bytes not wiped")
	for _, z := range []*SessionKey{k, &valueCopy} {
		require.True(t, z.Zeroed())
		require.Nil(t, z.PrivateKey())
		require.Nil(t, z.Seed())
		require.Equal(t, solana.Signature{}, z.Sign(msg), "no signature from wiped material")
		require.False(t, z.Sign(msg).Verify(pub, msg))
		require.Equal(t, pub, z.PublicKey(), "public key survives Zero")
	}
	require.Equal(t, testKey(t, "zero").PrivateKey(), exported, "copies are the caller's")
	require.Equal(t, testKey(t, "zero").Seed(), seed)

	m, err := CompileLegacy(pub, solana.Hash{1}, solana.NewInstruction(solana.SystemProgramID, solana.AccountMetaSlice{solana.Meta(pub).SIGNER().WRITE()}, nil))
	require.NoError(t, err)
	_, err = m.Sign(k)
	require.ErrorIs(t, err, ErrKeyZeroed)
	require.NotContains(t, err.Error(), solana.PrivateKey(exported).String()[:12])

	k.Zero() // idempotent
	var zeroValue SessionKey
	require.True(t, zeroValue.Zeroed())
	require.Equal(t, solana.Signature{}, zeroValue.Sign(msg))
	zeroValue.Zero()
}
