package client

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
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
		hex.EncodeToString(k.Seed()), strings.ToUpper(hex.EncodeToString(k.Seed())),
		k.PrivateKey().String(), // base58 of the 64-byte key
		string(k.Seed()),
		strings.Trim(fmt.Sprint(k.Seed()), "[]"), // decimal, as %v prints byte slices
	}
	holder := struct {
		Name string
		Key  *SessionKey
	}{"x", k}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outs = append(outs, fmt.Sprintf(verb, k), fmt.Sprintf(verb, *k), fmt.Sprintf(verb, holder))
	}
	outs = append(outs, k.String(), k.GoString(), fmt.Sprint(k), fmt.Sprintln(*k))
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("m", "key", k)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("m", "key", k, "holder", holder)
	outs = append(outs, logs.String())
	for _, out := range outs {
		for _, s := range secrets {
			require.NotContains(t, out, s)
		}
	}
	require.Equal(t, "SessionKey("+k.PublicKey().String()+")", fmt.Sprintf("%x", k))
	require.Contains(t, logs.String(), k.PublicKey().String())
}
