package client

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/gagliardetto/solana-go"
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// ErrInvalidKey means key material of the wrong length, or a 64-byte private key whose
// public half does not belong to its seed.
var ErrInvalidKey = errors.New("invalid ed25519 key")

// SessionKey is an ed25519 signing key checked once when it is made, so that signing
// skips the per-call re-derivation solana.PrivateKey.Sign does (about 45% of its cost).
// It signs with curve25519-voi, the implementation solana-go uses; ed25519 signatures
// are deterministic, so the bytes equal those of solana-go and crypto/ed25519. Although
// named for session keys it serves any local signer (an authority wallet too).
//
// Its secret never appears in String, GoString or any fmt verb, for the pointer or a
// copied value.
type SessionKey struct {
	priv voied25519.PrivateKey // seed ‖ public key; the public half derived here
	pub  solana.PublicKey
}

// GenerateSessionKey makes a new key from r (crypto/rand when nil).
func GenerateSessionKey(r io.Reader) (*SessionKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var seed [voied25519.SeedSize]byte
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("client: generate session key: %w", err)
	}
	return NewSessionKey(seed[:])
}

// NewSessionKey derives the key from a 32-byte seed.
func NewSessionKey(seed []byte) (*SessionKey, error) {
	if len(seed) != voied25519.SeedSize {
		return nil, fmt.Errorf("client: %w: seed is %d bytes, want %d", ErrInvalidKey, len(seed), voied25519.SeedSize)
	}
	priv := voied25519.NewKeyFromSeed(seed)
	return &SessionKey{priv: priv, pub: solana.PublicKey(priv[32:])}, nil
}

// SessionKeyFromPrivateKey takes a 64-byte solana-go / solana-keygen private key,
// checking that its public half belongs to its seed. The key is copied.
func SessionKeyFromPrivateKey(pk solana.PrivateKey) (*SessionKey, error) {
	if len(pk) != voied25519.PrivateKeySize {
		return nil, fmt.Errorf("client: %w: private key is %d bytes, want %d", ErrInvalidKey, len(pk), voied25519.PrivateKeySize)
	}
	k, err := NewSessionKey(pk[:voied25519.SeedSize])
	if err != nil {
		return nil, err
	}
	if solana.PublicKey(pk[32:]) != k.pub {
		return nil, fmt.Errorf("client: %w: public half %s does not match the seed's %s", ErrInvalidKey, solana.PublicKey(pk[32:]), k.pub)
	}
	return k, nil
}

// PublicKey returns the key's address.
func (k *SessionKey) PublicKey() solana.PublicKey { return k.pub }

// Sign signs msg.
func (k *SessionKey) Sign(msg []byte) solana.Signature {
	return solana.Signature(voied25519.Sign(k.priv, msg))
}

// Seed returns a copy of the 32-byte secret seed, for storage.
func (k *SessionKey) Seed() []byte { return k.priv.Seed() }

// PrivateKey returns a copy of the key as a solana-go private key.
func (k *SessionKey) PrivateKey() solana.PrivateKey {
	return solana.PrivateKey(append([]byte(nil), k.priv...))
}

// String returns "SessionKey(<public key>)".
func (k SessionKey) String() string { return "SessionKey(" + k.pub.String() + ")" }

// GoString is String, so %#v shows no secret either.
func (k SessionKey) GoString() string { return k.String() }

// Format prints String for every verb, so %x or %+v cannot dump the secret.
func (k SessionKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }
