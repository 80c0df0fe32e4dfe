package tokenstore

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
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

// TestStoredKeysNeverPrintSeeds checks the keys a store hands back, which are
// txn.SessionKey values (whose own formatting tests live in package client).
func TestStoredKeysNeverPrintSeeds(t *testing.T) {
	forEachStore(t, func(t *testing.T, st Store) {
		rec, key := testSession(t, 0)
		require.NoError(t, st.Put(t.Context(), rec, key))
		_, k, err := st.Get(t.Context(), rec.Token)
		require.NoError(t, err)
		type holder struct {
			Exported txn.SessionKey
			hidden   txn.SessionKey
			ptr      *txn.SessionKey
		}
		assertNoLeak(t, k.PrivateKey(), map[string]any{
			"pointer":       k,
			"value":         *k,
			"slice":         []*txn.SessionKey{k},
			"struct":        holder{Exported: *k, hidden: *k, ptr: k},
			"struct ptr":    &holder{Exported: *k, hidden: *k, ptr: k},
			"map":           map[string]*txn.SessionKey{"k": k},
			"Stringer call": k.String(),
		})
		want := "SessionKey(" + rec.SessionSigner.String() + ")"
		assert.Equal(t, want, k.String())
		assert.Equal(t, want, fmt.Sprintf("%#v", k))
		assert.Equal(t, want, fmt.Sprintf("%x", k))
	})
}

func TestExportZeroedKey(t *testing.T) {
	_, k := testSession(t, 0)
	k.Zero()
	_, err := ExportSolanaKeypair(k)
	assert.ErrorIs(t, err, txn.ErrKeyZeroed)
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
