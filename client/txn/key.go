package txn

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/gagliardetto/solana-go"
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// ErrInvalidKey means key material of the wrong length, or a 64-byte private key whose
// public half does not belong to its seed.
var ErrInvalidKey = errors.New("txn: invalid ed25519 key")

// ErrKeyZeroed means a SessionKey was used after Zero.
var ErrKeyZeroed = errors.New("txn: session key was zeroed")

// SessionKey is an ed25519 signing key checked once when it is made, so that signing
// skips the per-call re-derivation solana.PrivateKey.Sign does (about 45% of its cost).
// It signs with curve25519-voi, the implementation solana-go uses; ed25519 signatures
// are deterministic, so the bytes equal those of solana-go and crypto/ed25519. Although
// named for session keys it serves any local signer (an authority wallet too).
//
// Its secret never appears in String, GoString or any fmt verb, for the pointer, a
// copied value, or a value held in an unexported struct field (which fmt prints without
// calling methods), nor in encoding/json or log/slog output, which show the public key.
// The secret leaves only through Seed, PrivateKey and tokenstore.ExportSolanaKeypair.
//
// A SessionKey is safe for concurrent use, except that Zero must not run concurrently
// with other methods.
type SessionKey struct {
	// secret is a func because reflection-driven printers (fmt for unexported fields,
	// go-spew in test failure output) show a func only as an address, whereas a slice
	// or pointer to the bytes would be dereferenced.
	secret func() *keyMaterial
	pub    solana.PublicKey
}

// keyMaterial is shared by copies of a SessionKey value, so Zero reaches them all.
type keyMaterial struct {
	priv   [voied25519.PrivateKeySize]byte // seed ‖ public key
	zeroed bool
}

// GenerateSessionKey makes a new key from r (crypto/rand when nil).
func GenerateSessionKey(r io.Reader) (*SessionKey, error) {
	if r == nil {
		r = rand.Reader
	}
	var seed [voied25519.SeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return nil, fmt.Errorf("txn: generate session key: %w", err)
	}
	return NewSessionKey(seed[:])
}

// NewSessionKey derives the key from a 32-byte seed. The seed is copied; the caller may
// zero it afterwards.
func NewSessionKey(seed []byte) (*SessionKey, error) {
	if len(seed) != voied25519.SeedSize {
		return nil, fmt.Errorf("%w: seed is %d bytes, want %d", ErrInvalidKey, len(seed), voied25519.SeedSize)
	}
	priv := voied25519.NewKeyFromSeed(seed)
	m := new(keyMaterial)
	copy(m.priv[:], priv)
	clear(priv)
	return &SessionKey{secret: func() *keyMaterial { return m }, pub: solana.PublicKey(m.priv[32:])}, nil
}

// SessionKeyFromPrivateKey takes a 64-byte solana-go / solana-keygen private key,
// checking that its public half belongs to its seed. The key is copied.
func SessionKeyFromPrivateKey(pk solana.PrivateKey) (*SessionKey, error) {
	if len(pk) != voied25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want %d", ErrInvalidKey, len(pk), voied25519.PrivateKeySize)
	}
	k, err := NewSessionKey(pk[:voied25519.SeedSize])
	if err != nil {
		return nil, err
	}
	if solana.PublicKey(pk[32:]) != k.pub {
		k.Zero()
		return nil, fmt.Errorf("%w: public half %s does not match the seed's %s", ErrInvalidKey, solana.PublicKey(pk[32:]), k.pub)
	}
	return k, nil
}

// PublicKey returns the key's address. It stays available after Zero.
func (k *SessionKey) PublicKey() solana.PublicKey { return k.pub }

// material returns the key bytes, or nil for a zeroed or zero-value key.
func (k *SessionKey) material() *keyMaterial {
	if k.secret == nil {
		return nil
	}
	if m := k.secret(); !m.zeroed {
		return m
	}
	return nil
}

// Zeroed reports whether Zero was called on k or on a copy of it.
func (k *SessionKey) Zeroed() bool { return k.material() == nil }

// Sign signs msg. After Zero it returns the all-zero Signature rather than an error or a
// panic: Sign stays a branch away from the bare signature on the hot path, and the zero
// signature verifies for no key, so a transaction carrying it is rejected before any
// fee is charged. Callers that can report errors check Zeroed first, as
// LegacyMessage.Sign does with ErrKeyZeroed.
func (k *SessionKey) Sign(msg []byte) solana.Signature {
	m := k.material()
	if m == nil {
		return solana.Signature{}
	}
	return solana.Signature(voied25519.Sign(m.priv[:], msg))
}

// Seed returns a copy of the 32-byte secret seed, for storage, or nil after Zero. The
// copy is the caller's to clear.
func (k *SessionKey) Seed() []byte {
	m := k.material()
	if m == nil {
		return nil
	}
	return append([]byte(nil), m.priv[:voied25519.SeedSize]...)
}

// PrivateKey returns a copy of the key as a solana-go private key, or nil after Zero.
// The copy is the caller's to clear; beware that solana.PrivateKey's own String method
// prints the secret in base58.
func (k *SessionKey) PrivateKey() solana.PrivateKey {
	m := k.material()
	if m == nil {
		return nil
	}
	return solana.PrivateKey(append([]byte(nil), m.priv[:]...))
}

// Zero overwrites the key material shared by k and its copies; afterwards Sign returns
// the zero Signature, Seed and PrivateKey nil. Copies made earlier by Seed or
// PrivateKey, and any the Go runtime made while moving memory, are not reached. It is
// idempotent.
func (k *SessionKey) Zero() {
	if k.secret == nil {
		return
	}
	m := k.secret()
	clear(m.priv[:])
	m.zeroed = true
}

// String returns "SessionKey(<public key>)".
func (k SessionKey) String() string { return "SessionKey(" + k.pub.String() + ")" }

// GoString is String, so %#v shows no secret either.
func (k SessionKey) GoString() string { return k.String() }

// Format prints String for every verb, so %x or %+v cannot dump the secret.
func (k SessionKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// MarshalJSON writes the public key, so a struct holding the key can be logged as JSON;
// without it the encoder would write "{}" and hide whose key it was.
func (k SessionKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.pub.String()) }

// LogValue makes slog's text and JSON handlers agree on String's form.
func (k SessionKey) LogValue() slog.Value { return slog.StringValue(k.String()) }
