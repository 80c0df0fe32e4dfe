package client

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/stretchr/testify/require"
)

// key returns a fixed, readable-in-tests public key for name.
func key(name string) solana.PublicKey { return sha256.Sum256([]byte("sessionkit test key " + name)) }

// testKey returns a deterministic signing key for name.
func testKey(t testing.TB, name string) *txn.SessionKey {
	t.Helper()
	seed := sha256.Sum256([]byte("sessionkit test seed " + name))
	k, err := txn.NewSessionKey(seed[:])
	require.NoError(t, err)
	return k
}

func mustData(t testing.TB, ix solana.Instruction) []byte {
	t.Helper()
	d, err := ix.Data()
	require.NoError(t, err)
	return d
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

type meta struct {
	Key      solana.PublicKey
	Writable bool
	Signer   bool
}

func metas(ix solana.Instruction) []meta {
	var out []meta
	for _, m := range ix.Accounts() {
		out = append(out, meta{m.PublicKey, m.IsWritable, m.IsSigner})
	}
	return out
}
