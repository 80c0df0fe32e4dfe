package tokenstore

import (
	"crypto/ed25519"
	"fmt"

	"github.com/gagliardetto/solana-go"
)

// SessionKey is a session signer's ed25519 private key. Its String, GoString
// and Format methods print only the public key, so it can appear in logs and
// error messages; the seed leaves it only through PrivateKey and
// ExportSolanaKeypair.
//
// A SessionKey is safe for concurrent use until Zero is called.
type SessionKey struct {
	// priv returns seed || public key; it is nil once zeroed. It is a func
	// because fmt never prints more than a func's address, whereas a
	// pointer to the bytes would be dereferenced when a copied SessionKey
	// value is printed with a verb such as %s.
	priv func() *[ed25519.PrivateKeySize]byte
	pub  solana.PublicKey
}

// NewSessionKey generates a session signer key from the operating system's
// secure random source.
func NewSessionKey() (*SessionKey, error) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("tokenstore: generate session key: %w", err)
	}
	return newSessionKey(priv), nil
}

// SessionKeyFromSeed returns the session key for a 32-byte ed25519 seed.
// The seed is copied; the caller may zero it afterwards.
func SessionKeyFromSeed(seed []byte) (*SessionKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrInvalidKey, len(seed), ed25519.SeedSize)
	}
	return newSessionKey(ed25519.NewKeyFromSeed(seed)), nil
}

// newSessionKey takes ownership of priv.
func newSessionKey(priv ed25519.PrivateKey) *SessionKey {
	p := (*[ed25519.PrivateKeySize]byte)(priv)
	k := &SessionKey{priv: func() *[ed25519.PrivateKeySize]byte { return p }}
	copy(k.pub[:], priv[ed25519.SeedSize:])
	return k
}

// PublicKey returns the session signer address. It stays available after Zero.
func (k *SessionKey) PublicKey() solana.PublicKey { return k.pub }

// Sign signs message with the session key.
func (k *SessionKey) Sign(message []byte) (solana.Signature, error) {
	if k.priv == nil {
		return solana.Signature{}, ErrZeroed
	}
	var sig solana.Signature
	copy(sig[:], ed25519.Sign(k.priv()[:], message))
	return sig, nil
}

// PrivateKey returns a copy of the 64-byte key for solana-go's signing APIs,
// or nil after Zero. The copy is the caller's to zero; beware that
// solana.PrivateKey's own String method prints the secret in base58.
func (k *SessionKey) PrivateKey() solana.PrivateKey {
	if k.priv == nil {
		return nil
	}
	return solana.PrivateKey(append([]byte(nil), k.priv()[:]...))
}

// Zero overwrites the key material held by k. Copies made earlier by
// PrivateKey, and any the Go runtime made while moving memory, are not
// reached.
func (k *SessionKey) Zero() {
	if k.priv != nil {
		clear(k.priv()[:])
		k.priv = nil
	}
}

// seed returns the 32-byte seed without copying; callers must not retain it.
func (k *SessionKey) seed() []byte {
	if k.priv == nil {
		return nil
	}
	return k.priv()[:ed25519.SeedSize]
}

// String returns "SessionKey(<public key>)".
func (k *SessionKey) String() string {
	if k == nil {
		return "SessionKey(nil)"
	}
	return "SessionKey(" + k.pub.String() + ")"
}

// GoString is the same as String, so %#v cannot reach the seed.
func (k *SessionKey) GoString() string { return k.String() }

// Format prints String for every verb, so %x, %q or %+v cannot reach the
// seed either.
func (k *SessionKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }
