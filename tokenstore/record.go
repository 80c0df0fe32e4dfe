package tokenstore

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gagliardetto/solana-go"

	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/pda"
)

// Record is the public half of a stored session: everything about the
// on-chain session token except the session signer's secret key. It is kept
// in clear on disk and authenticated together with the encrypted seed.
type Record struct {
	ProgramID     solana.PublicKey // the session-keys program that owns Token
	Version       pda.Version      // token account generation, pda.V1 or pda.V2
	Token         solana.PublicKey // session token account (PDA); the record's identity
	Authority     solana.PublicKey // wallet that authorised the session
	TargetProgram solana.PublicKey // program the session may call
	SessionSigner solana.PublicKey // public key of the stored ephemeral key
	FeePayer      solana.PublicKey // who paid rent and top-up; zero if not recorded
	ValidUntil    int64            // unix seconds, as stored in the token account
	CreatedAt     time.Time        // when the session was stored; Put fills it in if zero
}

// Expired reports whether the token is expired at now. Both token versions
// of the current program treat now >= valid_until as expired.
func (r Record) Expired(now time.Time) bool { return now.Unix() >= r.ValidUntil }

// Filter selects records in List. Zero fields match every record.
type Filter struct {
	Authority     solana.PublicKey
	TargetProgram solana.PublicKey
}

func (f Filter) match(r *Record) bool {
	return (f.Authority.IsZero() || f.Authority == r.Authority) &&
		(f.TargetProgram.IsZero() || f.TargetProgram == r.TargetProgram)
}

// sortRecords puts recs in List order: earliest ValidUntil first, ties by
// token address.
func sortRecords(recs []Record) {
	slices.SortFunc(recs, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.ValidUntil, b.ValidUntil), bytes.Compare(a.Token[:], b.Token[:]))
	})
}

// normalize checks that r can be stored with key and returns the copy that
// will be stored: CreatedAt set and reduced to what the format keeps.
func normalize(r Record, key *txn.SessionKey, now time.Time) (Record, error) {
	if key == nil || key.Zeroed() {
		return r, fmt.Errorf("%w: no session key (nil or zeroed)", ErrInvalidRecord)
	}
	if r.Version != pda.V1 && r.Version != pda.V2 {
		return r, fmt.Errorf("%w: version %d is neither pda.V1 nor pda.V2", ErrInvalidRecord, r.Version)
	}
	for _, f := range []struct {
		name string
		key  solana.PublicKey
	}{
		{"ProgramID", r.ProgramID}, {"Token", r.Token}, {"Authority", r.Authority},
		{"Target", r.TargetProgram}, {"SessionSigner", r.SessionSigner},
	} {
		if f.key.IsZero() {
			return r, fmt.Errorf("%w: %s is the zero key", ErrInvalidRecord, f.name)
		}
	}
	if r.SessionSigner != key.PublicKey() {
		return r, fmt.Errorf("%w: SessionSigner %s is not the key's public key %s", ErrInvalidRecord, r.SessionSigner, key.PublicKey())
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.CreatedAt.Before(minCreatedAt) || r.CreatedAt.After(maxCreatedAt) {
		return r, fmt.Errorf("%w: CreatedAt %s is outside the years 1678-2262", ErrInvalidRecord, r.CreatedAt)
	}
	r.CreatedAt = time.Unix(0, r.CreatedAt.UnixNano()).UTC()
	return r, nil
}

// The range of time.Time that int64 unix nanoseconds can hold.
var (
	minCreatedAt = time.Unix(0, math.MinInt64)
	maxCreatedAt = time.Unix(0, math.MaxInt64)
)

// Record file format version 1; the package documentation lays it out byte
// by byte.
const (
	recordMagic   = "SKTR"
	recordVersion = 1

	offVersion    = 4
	offProgramID  = 5
	offSessionVer = 37
	offToken      = 38
	offAuthority  = 70
	offTarget     = 102
	offSigner     = 134
	offFeePayer   = 166
	offValidUntil = 198
	offCreatedAt  = 206
	metadataSize  = 214
	nonceSize     = 24
	sealedSize    = 32 + 16
	recordSize    = metadataSize + nonceSize + sealedSize

	// maxRecordRead bounds how much of a file is read, so a huge file in
	// the sessions directory costs one bounded read.
	maxRecordRead = 1024
)

// appendMetadata appends the 214-byte clear part of r's record.
func appendMetadata(b []byte, r *Record) []byte {
	b = append(b, recordMagic...)
	b = append(b, recordVersion)
	b = append(b, r.ProgramID[:]...)
	b = append(b, byte(r.Version))
	b = append(b, r.Token[:]...)
	b = append(b, r.Authority[:]...)
	b = append(b, r.TargetProgram[:]...)
	b = append(b, r.SessionSigner[:]...)
	b = append(b, r.FeePayer[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(r.ValidUntil))
	b = binary.LittleEndian.AppendUint64(b, uint64(r.CreatedAt.UnixNano()))
	return b
}

// parsedRecord is a record file split into its parts; nonce and sealed
// alias the input.
type parsedRecord struct {
	rec      Record
	metadata []byte
	nonce    []byte
	sealed   []byte
}

// parseRecord decodes a record file without decrypting it. Errors are
// *CorruptError or *VersionError naming path.
func parseRecord(path string, b []byte) (parsedRecord, error) {
	corrupt := func(format string, args ...any) (parsedRecord, error) {
		return parsedRecord{}, &CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < offVersion+1 {
		return corrupt("truncated: %d bytes, want %d", len(b), recordSize)
	}
	if !bytes.Equal(b[:offVersion], []byte(recordMagic)) {
		return corrupt("not a session record (bad magic %q)", b[:offVersion])
	}
	if b[offVersion] == 0 {
		return corrupt("format version 0 was never written")
	}
	if v := b[offVersion]; v != recordVersion {
		return parsedRecord{}, &VersionError{Path: path, Kind: "record", Version: int(v)}
	}
	if len(b) < recordSize {
		return corrupt("truncated: %d bytes, want %d", len(b), recordSize)
	}
	if len(b) > recordSize {
		return corrupt("%d bytes of trailing data", len(b)-recordSize)
	}
	var r Record
	r.Version = pda.Version(b[offSessionVer])
	if r.Version != pda.V1 && r.Version != pda.V2 {
		return corrupt("unknown session version %d", b[offSessionVer])
	}
	copy(r.ProgramID[:], b[offProgramID:])
	copy(r.Token[:], b[offToken:])
	copy(r.Authority[:], b[offAuthority:])
	copy(r.TargetProgram[:], b[offTarget:])
	copy(r.SessionSigner[:], b[offSigner:])
	copy(r.FeePayer[:], b[offFeePayer:])
	r.ValidUntil = int64(binary.LittleEndian.Uint64(b[offValidUntil:]))
	r.CreatedAt = time.Unix(0, int64(binary.LittleEndian.Uint64(b[offCreatedAt:]))).UTC()
	return parsedRecord{
		rec:      r,
		metadata: b[:metadataSize],
		nonce:    b[metadataSize : metadataSize+nonceSize],
		sealed:   b[metadataSize+nonceSize : recordSize],
	}, nil
}
