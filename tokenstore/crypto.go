package tokenstore

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	masterKeySize = 32
	storeIDSize   = 16
	saltSize      = 16
	keyCheckSize  = 32

	infoRecordKey = "sessionkit tokenstore v1 record key"
	infoKeyCheck  = "sessionkit tokenstore v1 key check"
)

// sealer encrypts and authenticates records for one store.
type sealer struct {
	aead    cipher.AEAD
	storeID [storeIDSize]byte
}

// newSealer derives the record key and the key-check value from the input
// key material (the Argon2id output or the raw master key). Both come out of
// HKDF with the store id as salt and distinct labels, so the check value,
// which sits in clear in the header, says nothing about the record key.
func newSealer(ikm []byte, storeID [storeIDSize]byte) (*sealer, [keyCheckSize]byte, error) {
	var check [keyCheckSize]byte
	recordKey, err := hkdf.Key(sha256.New, ikm, storeID[:], infoRecordKey, chacha20poly1305.KeySize)
	if err != nil {
		return nil, check, err
	}
	defer clear(recordKey)
	c, err := hkdf.Key(sha256.New, ikm, storeID[:], infoKeyCheck, keyCheckSize)
	if err != nil {
		return nil, check, err
	}
	copy(check[:], c)
	aead, err := chacha20poly1305.NewX(recordKey)
	if err != nil {
		return nil, check, err
	}
	return &sealer{aead: aead, storeID: storeID}, check, nil
}

// checkMatches compares key-check values in constant time.
func checkMatches(a, b [keyCheckSize]byte) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

// argon2Key stretches a passphrase. It works on a copy so the caller's
// slice is the only one left for the caller to zero.
func argon2Key(passphrase []byte, p kdfParams) []byte {
	pw := append([]byte(nil), passphrase...)
	defer clear(pw)
	return argon2.IDKey(pw, p.Salt, p.Time, p.MemoryKiB, p.Threads, masterKeySize)
}

// seal returns the full record file for r and seed under a fresh random nonce.
func (s *sealer) seal(r *Record, seed []byte) []byte {
	var nonce [nonceSize]byte
	_, _ = rand.Read(nonce[:]) // crypto/rand.Read never fails
	return s.sealWithNonce(r, seed, nonce[:])
}

func (s *sealer) sealWithNonce(r *Record, seed, nonce []byte) []byte {
	b := make([]byte, 0, recordSize)
	b = appendMetadata(b, r)
	var aad [storeIDSize + metadataSize]byte
	copy(aad[:], s.storeID[:])
	copy(aad[storeIDSize:], b)
	b = append(b, nonce...)
	return s.aead.Seal(b, nonce, seed, aad[:])
}

// open authenticates p and decrypts its seed into dst[:0], which must have
// room for 32 bytes. The caller zeroes the result.
func (s *sealer) open(path string, p *parsedRecord, dst []byte) ([]byte, error) {
	var aad [storeIDSize + metadataSize]byte
	copy(aad[:], s.storeID[:])
	copy(aad[storeIDSize:], p.metadata)
	seed, err := s.aead.Open(dst[:0], p.nonce, p.sealed, aad[:])
	if err != nil {
		return nil, &CorruptError{Path: path, Reason: "authentication failed: metadata or ciphertext was modified, or the record belongs to another store"}
	}
	return seed, nil
}
