package tokenstore

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
)

// ImportSolanaKeypair reads a Solana CLI keypair file (what solana-keygen
// writes: a JSON array of 64 numbers, the 32-byte seed then the public key)
// and returns the key after checking that the public half matches the seed.
// Errors name positions, never values. The caller should zero data.
func ImportSolanaKeypair(data []byte) (*txn.SessionKey, error) {
	var kp [ed25519.PrivateKeySize]byte
	defer clear(kp[:])
	if err := parseByteArray(data, kp[:]); err != nil {
		return nil, fmt.Errorf("%w: Solana keypair JSON: %v", ErrInvalidKey, err)
	}
	key, err := txn.SessionKeyFromPrivateKey(solana.PrivateKey(kp[:]))
	if errors.Is(err, txn.ErrInvalidKey) {
		// client's message would quote the public half; the file's bytes stay unnamed.
		return nil, fmt.Errorf("%w: Solana keypair JSON: public key does not match the seed", ErrInvalidKey)
	}
	return key, err
}

// ExportSolanaKeypair writes k in the Solana CLI keypair format, byte for
// byte what solana-keygen writes, so the Solana CLI and wallets can sign
// with it. The result holds the secret in clear: the caller must zero it
// and should expose this only behind an explicit opt-in, such as a CLI flag.
func ExportSolanaKeypair(k *txn.SessionKey) ([]byte, error) {
	priv := k.PrivateKey()
	if priv == nil {
		return nil, txn.ErrKeyZeroed
	}
	defer clear(priv)
	b := make([]byte, 0, 2+ed25519.PrivateKeySize*4)
	b = append(b, '[')
	for i, v := range priv {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return append(b, ']'), nil
}

// parseByteArray parses a JSON array of exactly len(dst) integers in
// 0..255 into dst. It is stricter than encoding/json (no fractions,
// exponents or leading zeros) and never copies the input elsewhere.
func parseByteArray(data, dst []byte) error {
	i := 0
	skipSpace := func() {
		for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
			i++
		}
	}
	expect := func(c byte) error {
		skipSpace()
		if i >= len(data) {
			return fmt.Errorf("unexpected end of input, want %q", c)
		}
		if data[i] != c {
			return fmt.Errorf("offset %d: want %q", i, c)
		}
		i++
		return nil
	}
	if err := expect('['); err != nil {
		return err
	}
	for n := range dst {
		if n > 0 {
			if err := expect(','); err != nil {
				if i < len(data) && data[i] == ']' {
					return fmt.Errorf("array has %d elements, want %d", n, len(dst))
				}
				return fmt.Errorf("after element %d: %v", n-1, err)
			}
		}
		skipSpace()
		start, v := i, 0
		for i < len(data) && data[i] >= '0' && data[i] <= '9' && i-start < 4 {
			v = v*10 + int(data[i]-'0')
			i++
		}
		switch {
		case i == start:
			return fmt.Errorf("element %d: not an integer", n)
		case data[start] == '0' && i-start > 1:
			return fmt.Errorf("element %d: leading zero", n)
		case v > 255:
			return fmt.Errorf("element %d: outside 0..255", n)
		}
		dst[n] = byte(v)
	}
	if err := expect(']'); err != nil {
		return fmt.Errorf("array has more than %d elements or is malformed (%v)", len(dst), err)
	}
	skipSpace()
	if i != len(data) {
		return fmt.Errorf("offset %d: data after the array", i)
	}
	return nil
}
