package tokenstore

import "fmt"

// Credential opens a store: a passphrase stretched with Argon2id, or a
// 32-byte master key held elsewhere (a KMS, a secret manager). A store is
// created with one kind and must be opened with the same kind.
//
// A Credential refers to the caller's bytes without copying them. The store
// works on its own copies, zeroed before Create or Open returns, so the
// caller may zero its slice as soon as that call returns.
type Credential struct {
	kind credentialKind
	// secret is a func because fmt prints only a func's address, even for a
	// Credential in an unexported field, where it cannot call Format.
	secret func() []byte
}

type credentialKind uint8

const (
	kindPassphrase credentialKind = iota + 1
	kindMasterKey
)

// Passphrase returns a credential for a passphrase-protected store. A
// passphrase that started life as a Go string cannot be wiped from memory.
func Passphrase(p []byte) Credential {
	return Credential{kind: kindPassphrase, secret: func() []byte { return p }}
}

// MasterKey returns a credential for a store keyed by 32 random bytes. No
// KDF runs, so Open costs a file read; the key must come from a CSPRNG.
func MasterKey(key []byte) Credential {
	return Credential{kind: kindMasterKey, secret: func() []byte { return key }}
}

func (c Credential) bytes() []byte {
	if c.secret == nil {
		return nil
	}
	return c.secret()
}

func (c Credential) check() error {
	switch c.kind {
	case kindPassphrase:
		if len(c.bytes()) == 0 {
			return fmt.Errorf("%w: empty passphrase", ErrInvalidKey)
		}
	case kindMasterKey:
		if len(c.bytes()) != masterKeySize {
			return fmt.Errorf("%w: master key is %d bytes, want %d", ErrInvalidKey, len(c.bytes()), masterKeySize)
		}
	default:
		return fmt.Errorf("%w: no credential (use Passphrase or MasterKey)", ErrInvalidKey)
	}
	return nil
}

// String names the kind of credential and nothing else.
func (c Credential) String() string {
	switch c.kind {
	case kindPassphrase:
		return "Credential(passphrase)"
	case kindMasterKey:
		return "Credential(master key)"
	}
	return "Credential(none)"
}

// GoString is the same as String.
func (c Credential) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Credential) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }
