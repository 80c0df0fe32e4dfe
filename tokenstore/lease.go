package tokenstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gagliardetto/solana-go"
)

// Leaser records which process holds each session, so two processes that
// restored the same store do not both sign with its key and lose moves to
// each other. Dir and Memory implement it. A lease is advisory: the store
// still hands its key to anyone who calls Get; holders must Acquire before
// signing, Renew well within the TTL, and stop signing as soon as Renew
// fails.
type Leaser interface {
	// Acquire leases token's session to holder for ttl. If another lease
	// has not expired it fails with a *HeldError (ErrHeld) naming that
	// holder and its expiry, unless takeover is set: then the old lease is
	// replaced and its holder's next Renew fails with ErrLeaseLost. A
	// session that is not stored fails with ErrNotFound. holder names who
	// holds the lease, for people reading it (a host and pid, say); it is
	// not an identity, so a restarted process must Acquire again (with
	// takeover, or after its old lease expired) even under the same name.
	Acquire(ctx context.Context, token solana.PublicKey, holder string, ttl time.Duration, takeover bool) (Lease, error)
	// Renew extends l to ttl from now and returns the renewed lease. If l
	// was taken over, released, or its session deleted, it fails with a
	// *LeaseLostError (ErrLeaseLost); the holder must stop signing on any
	// error. A lease that expired but that nobody took is renewed.
	Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// Release ends l. If l is no longer the current lease it fails with a
	// *LeaseLostError and leaves the current one alone.
	Release(ctx context.Context, l Lease) error
	// Leases returns every recorded lease, expired ones included, ordered
	// by token; join them to List's records by Token. As with List, bad
	// lease files are reported in a *PartialError beside the sound leases.
	Leases(ctx context.Context) ([]Lease, error)
}

// Lease is one holder's claim on a session.
type Lease struct {
	Token   solana.PublicKey
	Holder  string
	Expires time.Time
	// id tells this Acquire from any other, even one by the same holder
	// name: Renew and Release act only on the lease they were given.
	id [leaseIDSize]byte
}

// Expired reports whether l has expired at now.
func (l Lease) Expired(now time.Time) bool { return !now.Before(l.Expires) }

var (
	// ErrHeld is wrapped by every *HeldError.
	ErrHeld = errors.New("tokenstore: session is held")
	// ErrLeaseLost is wrapped by every *LeaseLostError.
	ErrLeaseLost = errors.New("tokenstore: lease lost")
	// ErrInvalidLease means Acquire or Renew was given a holder or TTL it
	// cannot record; the error text says which.
	ErrInvalidLease = errors.New("tokenstore: invalid lease")
)

// HeldError reports that Acquire found the session leased to someone else.
type HeldError struct {
	Token   solana.PublicKey
	Holder  string
	Expires time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("tokenstore: session %s is held by %q until %s", e.Token, e.Holder, e.Expires.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrHeld) hold.
func (e *HeldError) Unwrap() error { return ErrHeld }

// LeaseLostError reports that a lease is no longer the session's current
// one: its holder must stop signing with the session's key.
type LeaseLostError struct {
	Token  solana.PublicKey
	Holder string // who holds the session now; empty if nobody does
}

func (e *LeaseLostError) Error() string {
	if e.Holder == "" {
		return fmt.Sprintf("tokenstore: lease lost: session %s is no longer leased to you", e.Token)
	}
	return fmt.Sprintf("tokenstore: lease lost: session %s was taken over by %q", e.Token, e.Holder)
}

// Unwrap makes errors.Is(err, ErrLeaseLost) hold.
func (e *LeaseLostError) Unwrap() error { return ErrLeaseLost }

const maxHolderLen = 128

func checkLeaseRequest(holder string, ttl time.Duration) error {
	switch {
	case ttl <= 0:
		return fmt.Errorf("%w: ttl %s is not positive", ErrInvalidLease, ttl)
	case holder == "" || len(holder) > maxHolderLen:
		return fmt.Errorf("%w: holder is %d bytes, want 1..%d", ErrInvalidLease, len(holder), maxHolderLen)
	case !validHolder(holder):
		return fmt.Errorf("%w: holder %q is not printable UTF-8", ErrInvalidLease, holder)
	}
	return nil
}

// validHolder keeps holder names safe to print in a terminal listing.
func validHolder(h string) bool {
	return utf8.ValidString(h) && strings.IndexFunc(h, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// Lease file format version 1, <token>.lease beside the record:
//
//	offset  size  field
//	     0     4  magic "SKTL"
//	     4     1  lease format version = 1
//	     5    32  session token address (also the file name)
//	    37    16  lease id, random per Acquire
//	    53     8  expires, int64 unix nanoseconds
//	    61     1  holder length n, 1..128
//	    62     n  holder, printable UTF-8
//	  62+n    24  nonce
//	  86+n    16  XChaCha20-Poly1305 tag over an empty plaintext, AD = store id || bytes 0..62+n
//
// The lease is not secret, but it is authenticated like a record, so a
// lease copied from another store or edited by hand is refused.
const (
	leaseMagic     = "SKTL"
	leaseVersion   = 1
	leaseExt       = ".lease"
	leaseIDSize    = 16
	leaseFixedSize = 62
	leaseTagSize   = 16
	maxLeaseRead   = leaseFixedSize + maxHolderLen + nonceSize + leaseTagSize
)

func leaseName(token solana.PublicKey) string { return token.String() + leaseExt }

func appendLeaseBody(b []byte, l *Lease) []byte {
	b = append(b, leaseMagic...)
	b = append(b, leaseVersion)
	b = append(b, l.Token[:]...)
	b = append(b, l.id[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(l.Expires.UnixNano()))
	b = append(b, byte(len(l.Holder)))
	return append(b, l.Holder...)
}

// parsedLease is a lease file split into its parts; they alias the input.
type parsedLease struct {
	lease Lease
	body  []byte
	nonce []byte
	tag   []byte
}

// parseLease decodes a lease file without authenticating it. Errors are
// *CorruptError or *VersionError naming path.
func parseLease(path string, b []byte) (parsedLease, error) {
	corrupt := func(format string, args ...any) (parsedLease, error) {
		return parsedLease{}, &CorruptError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < offVersion+1 {
		return corrupt("truncated: %d bytes", len(b))
	}
	if !bytes.Equal(b[:offVersion], []byte(leaseMagic)) {
		return corrupt("not a lease (bad magic %q)", b[:offVersion])
	}
	switch v := b[offVersion]; {
	case v == 0:
		return corrupt("format version 0 was never written")
	case v != leaseVersion:
		return parsedLease{}, &VersionError{Path: path, Kind: "lease", Version: int(v)}
	}
	if len(b) < leaseFixedSize {
		return corrupt("truncated: %d bytes", len(b))
	}
	n := int(b[leaseFixedSize-1])
	want := leaseFixedSize + n + nonceSize + leaseTagSize
	switch {
	case n == 0 || n > maxHolderLen:
		return corrupt("holder length %d outside 1..%d", n, maxHolderLen)
	case len(b) < want:
		return corrupt("truncated: %d bytes, want %d", len(b), want)
	case len(b) > want:
		return corrupt("%d bytes of trailing data", len(b)-want)
	}
	var l Lease
	copy(l.Token[:], b[5:])
	copy(l.id[:], b[37:])
	l.Expires = time.Unix(0, int64(binary.LittleEndian.Uint64(b[53:]))).UTC()
	l.Holder = string(b[leaseFixedSize : leaseFixedSize+n])
	if !validHolder(l.Holder) {
		return corrupt("holder is not printable UTF-8")
	}
	body := leaseFixedSize + n
	return parsedLease{lease: l, body: b[:body], nonce: b[body : body+nonceSize], tag: b[body+nonceSize:]}, nil
}

func (s *sealer) sealLease(l *Lease) []byte {
	b := appendLeaseBody(make([]byte, 0, maxLeaseRead), l)
	aad := append(append(make([]byte, 0, storeIDSize+len(b)), s.storeID[:]...), b...)
	var nonce [nonceSize]byte
	_, _ = rand.Read(nonce[:])
	b = append(b, nonce[:]...)
	return s.aead.Seal(b, nonce[:], nil, aad)
}

func (s *sealer) openLease(path string, p *parsedLease) error {
	aad := append(append(make([]byte, 0, storeIDSize+len(p.body)), s.storeID[:]...), p.body...)
	if _, err := s.aead.Open(nil, p.nonce, p.tag, aad); err != nil {
		return &CorruptError{Path: path, Reason: "authentication failed: the lease was modified or belongs to another store"}
	}
	return nil
}

// readLease returns token's current lease; ok is false if there is none.
func (d *Dir) readLease(s *sealer, token solana.PublicKey) (l Lease, ok bool, err error) {
	l, err = d.readLeaseFile(s, leaseName(token))
	if errors.Is(err, fs.ErrNotExist) {
		return Lease{}, false, nil
	}
	return l, err == nil, err
}

func (d *Dir) readLeaseFile(s *sealer, name string) (Lease, error) {
	path := d.sessions.join(name)
	b, err := d.sessions.readFile(name, make([]byte, maxLeaseRead+1))
	if err != nil {
		return Lease{}, err
	}
	p, err := parseLease(path, b)
	if err != nil {
		return Lease{}, err
	}
	if leaseName(p.lease.Token) != name {
		return Lease{}, &CorruptError{Path: path, Reason: "holds token " + p.lease.Token.String() + ", not the one its name says"}
	}
	return p.lease, s.openLease(path, &p)
}

// writeLease replaces token's lease file atomically. The caller holds the
// exclusive lock, so no sweep removes the temporary file.
func (d *Dir) writeLease(s *sealer, l *Lease) error {
	f, tmpName, err := d.tmp.createTemp("lease-")
	if err != nil {
		return err
	}
	defer d.tmp.unlink(tmpName)
	_, err = f.Write(s.sealLease(l))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(d.tmp, tmpName, d.sessions, leaseName(l.Token))
	}
	if err != nil {
		return fsError("lease "+l.Token.String(), err)
	}
	return syncDir(d.sessions)
}

// leaseOp runs op under the store's exclusive lock, which orders every
// lease change among all processes sharing the store.
func (d *Dir) leaseOp(ctx context.Context, op func(s *sealer) error) error {
	s, release, err := d.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	l, err := d.lock(ctx, true)
	if err != nil {
		return err
	}
	defer l.Close()
	return op(s)
}

// Acquire implements Leaser. The lease is written to <token>.lease beside
// the record, under the store's exclusive lock. A lease file that fails to
// authenticate is reported as a *CorruptError unless takeover replaces it.
func (d *Dir) Acquire(ctx context.Context, token solana.PublicKey, holder string, ttl time.Duration, takeover bool) (Lease, error) {
	if err := checkLeaseRequest(holder, ttl); err != nil {
		return Lease{}, err
	}
	var l Lease
	err := d.leaseOp(ctx, func(s *sealer) error {
		if _, err := d.sessions.readFile(recordName(token), make([]byte, 1)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, token)
		} else if err != nil {
			return fsError("acquire "+token.String(), err)
		}
		now := time.Now()
		cur, ok, err := d.readLease(s, token)
		switch {
		case err != nil && !takeover:
			return err
		case ok && !cur.Expired(now) && !takeover:
			return &HeldError{Token: token, Holder: cur.Holder, Expires: cur.Expires}
		}
		l = Lease{Token: token, Holder: holder, Expires: now.Add(ttl).UTC()}
		_, _ = rand.Read(l.id[:])
		return d.writeLease(s, &l)
	})
	return l, err
}

// Renew implements Leaser.
func (d *Dir) Renew(ctx context.Context, l Lease, ttl time.Duration) (Lease, error) {
	if err := checkLeaseRequest(l.Holder, ttl); err != nil {
		return Lease{}, err
	}
	err := d.leaseOp(ctx, func(s *sealer) error {
		cur, ok, err := d.readLease(s, l.Token)
		if err != nil {
			return err
		}
		if !ok || cur.id != l.id {
			return &LeaseLostError{Token: l.Token, Holder: cur.Holder}
		}
		l.Expires = time.Now().Add(ttl).UTC()
		return d.writeLease(s, &l)
	})
	if err != nil {
		return Lease{}, err
	}
	return l, nil
}

// Release implements Leaser.
func (d *Dir) Release(ctx context.Context, l Lease) error {
	return d.leaseOp(ctx, func(s *sealer) error {
		cur, ok, err := d.readLease(s, l.Token)
		if err != nil {
			return err
		}
		if !ok || cur.id != l.id {
			return &LeaseLostError{Token: l.Token, Holder: cur.Holder}
		}
		if err := d.sessions.unlink(leaseName(l.Token)); err != nil {
			return fsError("release", err)
		}
		return syncDir(d.sessions)
	})
}

// Leases implements Leaser.
func (d *Dir) Leases(ctx context.Context) ([]Lease, error) {
	s, release, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	names, err := d.sessions.names()
	if err != nil {
		return nil, fsError("leases", err)
	}
	var leases []Lease
	var bad []badFile
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !strings.HasSuffix(name, leaseExt) {
			continue
		}
		switch l, err := d.readLeaseFile(s, name); {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			bad = append(bad, badFile{d.sessions.join(name), err})
		default:
			leases = append(leases, l)
		}
	}
	sortLeases(leases)
	return leases, partial("leases", bad)
}

func sortLeases(leases []Lease) {
	slices.SortFunc(leases, func(a, b Lease) int { return bytes.Compare(a.Token[:], b.Token[:]) })
}
