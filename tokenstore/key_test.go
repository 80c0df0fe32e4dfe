package tokenstore

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretForms returns renderings of secret that a leak would contain.
func secretForms(secret []byte) []string {
	return []string{
		hex.EncodeToString(secret[:8]),
		strings.ToUpper(hex.EncodeToString(secret[:8])),
		base64.StdEncoding.EncodeToString(secret[:9]),
		solana.PrivateKey(secret).String()[:12],
		strings.Trim(fmt.Sprint(secret[:6]), "[]"),
		fmt.Sprintf("%q", secret[:6]),
	}
}

var formatVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

func assertNoLeak(t *testing.T, secret []byte, values map[string]any) {
	t.Helper()
	for name, v := range values {
		for _, verb := range formatVerbs {
			out := fmt.Sprintf(verb, v)
			for _, form := range secretForms(secret) {
				if strings.Contains(out, form) {
					t.Errorf("%s formatted with %s leaks the secret (%q) in %q", name, verb, form, out)
				}
			}
		}
	}
}

func TestSessionKeyNeverPrintsSeed(t *testing.T) {
	seed := testKeyBytes("seed", 0)
	k, err := SessionKeyFromSeed(seed[:])
	require.NoError(t, err)
	type holder struct {
		Exported SessionKey
		hidden   SessionKey
		ptr      *SessionKey
	}
	assertNoLeak(t, k.PrivateKey(), map[string]any{
		"pointer":       k,
		"value":         *k,
		"slice":         []*SessionKey{k},
		"struct":        holder{Exported: *k, hidden: *k, ptr: k},
		"struct ptr":    &holder{Exported: *k, hidden: *k, ptr: k},
		"map":           map[string]*SessionKey{"k": k},
		"Stringer call": k.String(),
	})
	want := "SessionKey(" + k.PublicKey().String() + ")"
	assert.Equal(t, want, k.String())
	assert.Equal(t, want, fmt.Sprintf("%#v", k))
	assert.Equal(t, want, fmt.Sprintf("%x", k))
	assert.Equal(t, "SessionKey(nil)", (*SessionKey)(nil).String())
}

func TestCredentialNeverPrintsSecret(t *testing.T) {
	pw := []byte("correct horse battery staple")
	type config struct {
		Cred Credential
		cred Credential
	}
	for _, c := range []Credential{Passphrase(pw), MasterKey(testMasterKey)} {
		assertNoLeak(t, c.bytes(), map[string]any{
			"value":   c,
			"pointer": &c,
			"struct":  config{Cred: c, cred: c},
			"slice":   []Credential{c},
		})
	}
	assert.Equal(t, "Credential(passphrase)", fmt.Sprint(Passphrase(pw)))
	assert.Equal(t, "Credential(master key)", fmt.Sprintf("%#v", MasterKey(testMasterKey)))
	assert.Equal(t, "Credential(none)", Credential{}.String())
}

func TestSessionKeyFromSeed(t *testing.T) {
	seed := testKeyBytes("seed", 3)
	k, err := SessionKeyFromSeed(seed[:])
	require.NoError(t, err)
	want := ed25519.NewKeyFromSeed(seed[:])
	assert.Equal(t, solana.PrivateKey(want), k.PrivateKey())
	assert.Equal(t, solana.PublicKeyFromBytes(want[32:]), k.PublicKey())
	assert.Equal(t, k.PublicKey(), k.PrivateKey().PublicKey(), "solana-go agrees on the public key")

	seed[0] ^= 1 // the key holds its own copy
	assert.Equal(t, solana.PrivateKey(want), k.PrivateKey())

	for _, n := range []int{0, 31, 33, 64} {
		_, err := SessionKeyFromSeed(make([]byte, n))
		require.ErrorIs(t, err, ErrInvalidKey)
		assert.Contains(t, err.Error(), fmt.Sprintf("seed is %d bytes, want 32", n))
	}
}

func TestNewSessionKeyIsRandom(t *testing.T) {
	a, err := NewSessionKey()
	require.NoError(t, err)
	b, err := NewSessionKey()
	require.NoError(t, err)
	assert.NotEqual(t, a.PublicKey(), b.PublicKey())
	assert.Equal(t, a.PublicKey(), a.PrivateKey().PublicKey())
}

func TestSessionKeySign(t *testing.T) {
	_, k := testSession(t, 0)
	msg := []byte("message")
	sig, err := k.Sign(msg)
	require.NoError(t, err)
	pub := k.PublicKey()
	assert.True(t, ed25519.Verify(pub[:], msg, sig[:]))
	assert.True(t, sig.Verify(pub, msg), "solana-go verifies it")
	viaSolana, err := k.PrivateKey().Sign(msg)
	require.NoError(t, err)
	assert.Equal(t, viaSolana, sig, "ed25519 signatures are deterministic")
}

func TestSessionKeyZero(t *testing.T) {
	_, k := testSession(t, 0)
	pub := k.PublicKey()
	exported := k.PrivateKey()
	inner := k.priv()
	k.Zero()
	assert.Equal(t, [64]byte{}, *inner, "key bytes not wiped")
	assert.Nil(t, k.PrivateKey())
	_, err := k.Sign([]byte("m"))
	assert.ErrorIs(t, err, ErrZeroed)
	_, err = ExportSolanaKeypair(k)
	assert.ErrorIs(t, err, ErrZeroed)
	assert.Equal(t, pub, k.PublicKey(), "public key survives Zero")
	assert.NotEqual(t, make(solana.PrivateKey, 64), exported, "copies are the caller's")
	k.Zero() // idempotent
}

func TestStoresNeverPrintSeeds(t *testing.T) {
	rec, key := testSession(t, 0)
	m := NewMemory()
	require.NoError(t, m.Put(t.Context(), rec, key))
	d, _ := newTestDir(t)
	require.NoError(t, d.Put(t.Context(), rec, key))
	type holder struct {
		m *Memory
		d *Dir
	}
	assertNoLeak(t, key.PrivateKey(), map[string]any{
		"memory":         m,
		"dir":            d,
		"hidden in type": holder{m, d},
	})
	assert.Equal(t, "tokenstore.Memory(1 sessions)", m.String())
}
