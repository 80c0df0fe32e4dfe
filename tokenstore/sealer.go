package tokenstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
)

// Sealer encrypts session keys the way Dir does, for a Store that keeps its
// records somewhere other than files (tokenstore/postgres keeps them in
// rows): the same header, KDF, record key and AEAD, with the record's
// public fields as associated data. A store opened by a Sealer is exactly
// as hard to read or edit unseen as a Dir with the same credential.
type Sealer struct {
	s *sealer
}

// NewSealer makes a new store's header for cred, the bytes Create writes to
// store.json, and returns it with its Sealer. opts are Create's: the
// Argon2id parameters of a passphrase store.
func NewSealer(cred Credential, opts ...Option) (*Sealer, []byte, error) {
	h, err := newHeader(cred, opts)
	if err != nil {
		return nil, nil, err
	}
	s, check, err := deriveSealer(h, cred)
	if err != nil {
		return nil, nil, err
	}
	h.KeyCheck = check[:]
	b, err := h.marshal()
	if err != nil {
		return nil, nil, err
	}
	return &Sealer{s: s}, b, nil
}

// OpenSealer checks a header NewSealer made against cred, as Open checks
// store.json: ErrWrongPassphrase or ErrWrongKey if cred does not match, a
// *CorruptError or *VersionError naming name if the header is bad.
func OpenSealer(ctx context.Context, name string, header []byte, cred Credential) (*Sealer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cred.check(); err != nil {
		return nil, err
	}
	s, err := openSealer(ctx, name, name, header, cred)
	if err != nil {
		return nil, err
	}
	return &Sealer{s: s}, nil
}

// SealedRecord is a stored session as a Sealer makes it: the public Record
// in clear, and the key's seed encrypted under a nonce. The AEAD binds
// every field of Record (in the record file's metadata encoding), so a
// change to any of them, or to Nonce or Sealed, fails Open.
type SealedRecord struct {
	Record Record
	Nonce  []byte // 24 bytes
	Sealed []byte // the encrypted 32-byte seed and its 16-byte tag
}

// Seal checks rec as Put does (ErrInvalidRecord naming the field; a zero
// CreatedAt becomes now) and encrypts key's seed under a fresh nonce.
func (s *Sealer) Seal(rec Record, key *txn.SessionKey, now time.Time) (SealedRecord, error) {
	rec, err := normalize(rec, key, now)
	if err != nil {
		return SealedRecord{}, err
	}
	seed := key.Seed()
	b := s.s.seal(&rec, seed)
	clear(seed)
	return SealedRecord{
		Record: rec,
		Nonce:  b[metadataSize : metadataSize+nonceSize],
		Sealed: b[metadataSize+nonceSize:],
	}, nil
}

// Open authenticates sr and returns a fresh copy of its key; the caller
// should Zero it. Any mismatch (an edited field, a record of another
// store, a seed that does not derive the recorded signer) is a
// *CorruptError whose Path is name.
func (s *Sealer) Open(name string, sr SealedRecord) (*txn.SessionKey, error) {
	if len(sr.Nonce) != nonceSize || len(sr.Sealed) != sealedSize {
		return nil, &CorruptError{Path: name, Reason: fmt.Sprintf("nonce and sealed seed are %d and %d bytes, want %d and %d", len(sr.Nonce), len(sr.Sealed), nonceSize, sealedSize)}
	}
	p := parsedRecord{rec: sr.Record, metadata: appendMetadata(make([]byte, 0, metadataSize), &sr.Record), nonce: sr.Nonce, sealed: sr.Sealed}
	var buf [sealedSize]byte
	defer clear(buf[:])
	seed, err := s.s.open(name, &p, buf[:])
	if err != nil {
		return nil, err
	}
	key, err := txn.NewSessionKey(seed)
	if err != nil {
		return nil, &CorruptError{Path: name, Reason: "seed is not 32 bytes"}
	}
	if key.PublicKey() != sr.Record.SessionSigner {
		key.Zero()
		return nil, &CorruptError{Path: name, Reason: "seed does not derive the recorded session signer"}
	}
	return key, nil
}

// LeaseIDSize is the size of the id that tells one Acquire from another.
const LeaseIDSize = leaseIDSize

// ID returns the id that tells this lease from any other Acquire of the
// session, for a Leaser that stores it.
func (l Lease) ID() [LeaseIDSize]byte { return l.id }

// NewLease builds the Lease a Leaser outside this package recorded, with
// the id it stored; NewLeaseID makes a fresh one for each Acquire.
func NewLease(token solana.PublicKey, holder string, expires time.Time, id [LeaseIDSize]byte) Lease {
	return Lease{Token: token, Holder: holder, Expires: expires.UTC(), id: id}
}

// NewLeaseID returns a random lease id.
func NewLeaseID() [LeaseIDSize]byte {
	var id [LeaseIDSize]byte
	_, _ = rand.Read(id[:])
	return id
}

// CheckLeaseRequest is the check Acquire and Renew make of a holder and a
// TTL: an ErrInvalidLease naming what is wrong, or nil.
func CheckLeaseRequest(holder string, ttl time.Duration) error { return checkLeaseRequest(holder, ttl) }

// AddCounter is Dir's Reserve for a store that keeps a session's counters as one
// sealed blob (a PostgreSQL row, say): it opens sealed (nil for none yet), adds n to
// counter name and returns the new blob and total. The blob is authenticated as Dir's
// counter file is, so a blob of another token or store, or an edited one, is a
// *CorruptError naming path. With n = 0 the blob comes back unchanged.
func (s *Sealer) AddCounter(path string, token solana.PublicKey, sealed []byte, name string, n uint64) ([]byte, uint64, error) {
	if err := checkCounterName(name); err != nil {
		return nil, 0, err
	}
	var cs counters
	if sealed != nil {
		body, err := s.s.openSide(path, sealed)
		if err != nil {
			return nil, 0, err
		}
		rest, err := sideHeader(path, body, counterMagic, token)
		if err != nil {
			return nil, 0, err
		}
		if cs, err = parseCounters(path, rest); err != nil {
			return nil, 0, err
		}
	}
	total, err := cs.add(name, n)
	if err != nil || n == 0 {
		return sealed, total, err
	}
	return s.s.sealSide(appendCounters(token, cs)), total, nil
}

// SealAttachment seals data as token's attachment name, as Dir writes its .att file;
// OpenAttachment reads it back.
func (s *Sealer) SealAttachment(token solana.PublicKey, name string, data []byte) ([]byte, error) {
	if err := checkAttachment(name, data); err != nil {
		return nil, err
	}
	return s.s.sealSide(attachmentBody(token, name, data)), nil
}

// OpenAttachment authenticates what SealAttachment made for token's attachment name and
// returns its data; a mismatch is a *CorruptError naming path.
func (s *Sealer) OpenAttachment(path string, token solana.PublicKey, name string, sealed []byte) ([]byte, error) {
	body, err := s.s.openSide(path, sealed)
	if err != nil {
		return nil, err
	}
	return attachmentData(path, body, token, name)
}
