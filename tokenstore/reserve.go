package tokenstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/bits"
	"slices"

	"github.com/gagliardetto/solana-go"
)

// Reserver keeps per-session counters that survive restarts: how many moves, lamports
// or tokens a session has reserved before signing. A session reserves in blocks and
// signs from the block in memory, so the store is asked once per block; a crash loses
// at most the unused rest of the block, never lets the session past its bound.
// Dir and Memory implement it; a session detects it on the store it is given.
type Reserver interface {
	// Reserve adds n to counter name of token's stored session and returns the new
	// total, durable when Reserve returns; n = 0 reads the total. It fails with
	// ErrNotFound when no session is stored for token, and with ErrInvalidRecord for a
	// bad name (1–64 bytes of a-z, 0-9, '-', ':', '.'), an overflow, or more than
	// MaxCounters counters.
	Reserve(ctx context.Context, token solana.PublicKey, name string, n uint64) (uint64, error)
}

// Attacher keeps small public documents beside a stored session, written once and
// authenticated as records are, deleted with the record. Dir and Memory implement it.
type Attacher interface {
	// Attach stores data as token's attachment name, one of Attachments, at most
	// MaxAttachmentSize bytes; ErrExists if one is stored, ErrNotFound without a record.
	Attach(ctx context.Context, token solana.PublicKey, name string, data []byte) error
	// Attachment returns what Attach stored, or ErrNotFound.
	Attachment(ctx context.Context, token solana.PublicKey, name string) ([]byte, error)
}

// AttachmentGrant is a session's permission grant (package client/grant's canonical
// JSON).
const AttachmentGrant = "grant"

// AttachmentTokens is a session's token caps granted at create (package
// client/session's encoding), so a restored session still knows its delegate
// allowances and a renewal grants them again.
const AttachmentTokens = "tokens"

// Attachments are the attachment names a store keeps. The list is closed so that
// Delete removes a session's files by name, without listing the directory.
var Attachments = []string{AttachmentGrant, AttachmentTokens}

// Limits of counters and attachments.
const (
	MaxCounters       = 16
	MaxAttachmentSize = 16 << 10
	maxCounterName    = 64
)

var (
	_ Reserver = (*Dir)(nil)
	_ Reserver = (*Memory)(nil)
	_ Attacher = (*Dir)(nil)
	_ Attacher = (*Memory)(nil)
)

func checkCounterName(name string) error {
	if name == "" || len(name) > maxCounterName {
		return fmt.Errorf("%w: counter or attachment name of %d bytes, want 1..%d", ErrInvalidRecord, len(name), maxCounterName)
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == ':' || c == '.') {
			return fmt.Errorf("%w: counter or attachment name %q: only a-z, 0-9, '-', ':', '.'", ErrInvalidRecord, name)
		}
	}
	return nil
}

// counters is one session's counters, sorted by name.
type counters []counter

type counter struct {
	name  string
	total uint64
}

// add adds n to name's counter and returns the new total.
func (cs *counters) add(name string, n uint64) (uint64, error) {
	i, found := slices.BinarySearchFunc(*cs, name, func(c counter, name string) int { return cmpString(c.name, name) })
	if !found {
		if n == 0 {
			return 0, nil
		}
		if len(*cs) == MaxCounters {
			return 0, fmt.Errorf("%w: more than %d counters", ErrInvalidRecord, MaxCounters)
		}
		*cs = slices.Insert(*cs, i, counter{name: name})
	}
	total, carry := bits.Add64((*cs)[i].total, n, 0)
	if carry != 0 {
		return 0, fmt.Errorf("%w: counter %s overflows", ErrInvalidRecord, name)
	}
	(*cs)[i].total = total
	return total, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Reserve implements Reserver.
func (m *Memory) Reserve(ctx context.Context, token solana.PublicKey, name string, n uint64) (uint64, error) {
	if err := checkCounterName(name); err != nil {
		return 0, err
	}
	if err := m.lock(ctx); err != nil {
		return 0, err
	}
	defer m.mu.Unlock()
	e, ok := m.sessions[token]
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, token)
	}
	return e.counters.add(name, n)
}

// Attach implements Attacher.
func (m *Memory) Attach(ctx context.Context, token solana.PublicKey, name string, data []byte) error {
	if err := checkAttachment(name, data); err != nil {
		return err
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.mu.Unlock()
	e, ok := m.sessions[token]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNotFound, token)
	case e.attachments[name] != nil:
		return fmt.Errorf("%w: attachment %s of %s", ErrExists, name, token)
	}
	if e.attachments == nil {
		e.attachments = map[string][]byte{}
	}
	e.attachments[name] = bytes.Clone(data)
	return nil
}

// Attachment implements Attacher.
func (m *Memory) Attachment(ctx context.Context, token solana.PublicKey, name string) ([]byte, error) {
	if err := checkAttachmentName(name); err != nil {
		return nil, err
	}
	if err := m.lock(ctx); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	e, ok := m.sessions[token]
	if !ok || e.attachments[name] == nil {
		return nil, fmt.Errorf("%w: attachment %s of %s", ErrNotFound, name, token)
	}
	return bytes.Clone(e.attachments[name]), nil
}

func checkAttachmentName(name string) error {
	if !slices.Contains(Attachments, name) {
		return fmt.Errorf("%w: attachment name %q, want one of %q", ErrInvalidRecord, name, Attachments)
	}
	return nil
}

func checkAttachment(name string, data []byte) error {
	if err := checkAttachmentName(name); err != nil {
		return err
	}
	if len(data) == 0 || len(data) > MaxAttachmentSize {
		return fmt.Errorf("%w: attachment of %d bytes, want 1..%d", ErrInvalidRecord, len(data), MaxAttachmentSize)
	}
	return nil
}

// The counter file, <token>.count beside the record, and the attachment file,
// <token>.<name>.att: not secret, but authenticated as leases are (the store id and the
// body as associated data), so a file copied from another store, from another token or
// edited by hand is refused as a *CorruptError. Counter file:
//
//	"SKTC" | version 1 | token (32) | count (1) | count × (name length (1) | name | total u64 LE) | nonce (24) | tag (16)
//
// Attachment file:
//
//	"SKTA" | version 1 | token (32) | name length (1) | name | data length u32 LE | data | nonce (24) | tag (16)
const (
	counterMagic   = "SKTC"
	attachMagic    = "SKTA"
	sideVersion    = 1
	counterExt     = ".count"
	attachExt      = ".att"
	sideTagSize    = 16
	maxCounterRead = 4 + 1 + 32 + 1 + MaxCounters*(1+maxCounterName+8) + nonceSize + sideTagSize
	maxAttachRead  = 4 + 1 + 32 + 1 + maxCounterName + 4 + MaxAttachmentSize + nonceSize + sideTagSize
)

func counterName(token solana.PublicKey) string { return token.String() + counterExt }

func attachName(token solana.PublicKey, name string) string {
	return token.String() + "." + name + attachExt
}

func (s *sealer) sealSide(body []byte) []byte {
	aad := append(append(make([]byte, 0, storeIDSize+len(body)), s.storeID[:]...), body...)
	var nonce [nonceSize]byte
	_, _ = rand.Read(nonce[:])
	b := append(body, nonce[:]...)
	return s.aead.Seal(b, nonce[:], nil, aad)
}

// openSide authenticates a side file and returns its body.
func (s *sealer) openSide(path string, b []byte) ([]byte, error) {
	if len(b) < nonceSize+sideTagSize {
		return nil, &CorruptError{Path: path, Reason: fmt.Sprintf("truncated: %d bytes", len(b))}
	}
	body := b[:len(b)-nonceSize-sideTagSize]
	nonce, tag := b[len(body):len(body)+nonceSize], b[len(body)+nonceSize:]
	aad := append(append(make([]byte, 0, storeIDSize+len(body)), s.storeID[:]...), body...)
	if _, err := s.aead.Open(nil, nonce, tag, aad); err != nil {
		return nil, &CorruptError{Path: path, Reason: "authentication failed: the file was modified or belongs to another store"}
	}
	return body, nil
}

// sideHeader checks a side file body's magic, version and token and returns the rest.
func sideHeader(path string, body []byte, magic string, token solana.PublicKey) ([]byte, error) {
	if len(body) < 4+1+32 || string(body[:4]) != magic {
		return nil, &CorruptError{Path: path, Reason: "bad magic or truncated"}
	}
	if v := body[4]; v != sideVersion {
		return nil, &VersionError{Path: path, Kind: "counter or attachment", Version: int(v)}
	}
	if solana.PublicKey(body[5:37]) != token {
		return nil, &CorruptError{Path: path, Reason: "holds token " + solana.PublicKey(body[5:37]).String() + ", not the one its name says"}
	}
	return body[37:], nil
}

func parseCounters(path string, rest []byte) (counters, error) {
	corrupt := func(r string) (counters, error) { return nil, &CorruptError{Path: path, Reason: r} }
	if len(rest) < 1 || int(rest[0]) > MaxCounters {
		return corrupt("bad counter count")
	}
	n, rest := int(rest[0]), rest[1:]
	cs := make(counters, 0, n)
	for range n {
		if len(rest) < 1 {
			return corrupt("truncated")
		}
		l := int(rest[0])
		if len(rest) < 1+l+8 {
			return corrupt("truncated")
		}
		name := string(rest[1 : 1+l])
		if checkCounterName(name) != nil || len(cs) > 0 && cs[len(cs)-1].name >= name {
			return corrupt("bad or unsorted counter name")
		}
		cs = append(cs, counter{name: name, total: binary.LittleEndian.Uint64(rest[1+l:])})
		rest = rest[1+l+8:]
	}
	if len(rest) != 0 {
		return corrupt(fmt.Sprintf("%d bytes of trailing data", len(rest)))
	}
	return cs, nil
}

func appendCounters(token solana.PublicKey, cs counters) []byte {
	b := append([]byte(counterMagic), sideVersion)
	b = append(b, token[:]...)
	b = append(b, byte(len(cs)))
	for _, c := range cs {
		b = append(b, byte(len(c.name)))
		b = append(b, c.name...)
		b = binary.LittleEndian.AppendUint64(b, c.total)
	}
	return b
}

// Reserve implements Reserver: the counters of token live in <token>.count, rewritten
// atomically (written and fsynced under a temporary name, renamed over the old one,
// the directory fsynced) under the store's exclusive lock, so processes sharing the
// store never hand out the same reservation twice.
func (d *Dir) Reserve(ctx context.Context, token solana.PublicKey, name string, n uint64) (uint64, error) {
	if err := checkCounterName(name); err != nil {
		return 0, err
	}
	var total uint64
	err := d.leaseOp(ctx, func(s *sealer) error {
		if _, err := d.sessions.readFile(recordName(token), make([]byte, 1)); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, token)
		} else if err != nil {
			return fsError("reserve "+token.String(), err)
		}
		path := d.sessions.join(counterName(token))
		var cs counters
		b, err := d.sessions.readFile(counterName(token), make([]byte, maxCounterRead+1))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fsError("reserve "+token.String(), err)
		default:
			body, err := s.openSide(path, b)
			if err != nil {
				return err
			}
			rest, err := sideHeader(path, body, counterMagic, token)
			if err != nil {
				return err
			}
			if cs, err = parseCounters(path, rest); err != nil {
				return err
			}
		}
		if total, err = cs.add(name, n); err != nil || n == 0 {
			return err
		}
		return d.replaceSide(counterName(token), s.sealSide(appendCounters(token, cs)))
	})
	return total, err
}

// replaceSide replaces name in the sessions directory atomically and durably. The
// caller holds the exclusive lock, so no sweep removes the temporary file.
func (d *Dir) replaceSide(name string, data []byte) error {
	f, tmpName, err := d.tmp.createTemp("side-")
	if err != nil {
		return fsError("write "+name, err)
	}
	defer d.tmp.unlink(tmpName)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = rename(d.tmp, tmpName, d.sessions, name)
	}
	if err != nil {
		return fsError("write "+name, err)
	}
	return syncDir(d.sessions)
}

// Attach implements Attacher: the data goes to <token>.<name>.att, written once.
func (d *Dir) Attach(ctx context.Context, token solana.PublicKey, name string, data []byte) error {
	if err := checkAttachment(name, data); err != nil {
		return err
	}
	s, release, err := d.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := d.sessions.readFile(recordName(token), make([]byte, 1)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, token)
	} else if err != nil {
		return fsError("attach "+token.String(), err)
	}
	switch err := d.writeNew(ctx, d.sessions, attachName(token, name), s.sealSide(attachmentBody(token, name, data))); {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: attachment %s of %s", ErrExists, name, token)
	case err != nil:
		return fsError("attach "+token.String(), err)
	}
	return syncDir(d.sessions)
}

// Attachment implements Attacher.
func (d *Dir) Attachment(ctx context.Context, token solana.PublicKey, name string) ([]byte, error) {
	if err := checkAttachmentName(name); err != nil {
		return nil, err
	}
	s, release, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	file := attachName(token, name)
	path := d.sessions.join(file)
	b, err := d.sessions.readFile(file, make([]byte, maxAttachRead+1))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: attachment %s of %s", ErrNotFound, name, token)
	}
	if err != nil {
		return nil, fsError("attachment "+token.String(), err)
	}
	body, err := s.openSide(path, b)
	if err != nil {
		return nil, err
	}
	return attachmentData(path, body, token, name)
}

func attachmentBody(token solana.PublicKey, name string, data []byte) []byte {
	body := append([]byte(attachMagic), sideVersion)
	body = append(body, token[:]...)
	body = append(body, byte(len(name)))
	body = append(body, name...)
	body = binary.LittleEndian.AppendUint32(body, uint32(len(data)))
	return append(body, data...)
}

// attachmentData checks an authenticated attachment body against token and name and
// returns a copy of its data.
func attachmentData(path string, body []byte, token solana.PublicKey, name string) ([]byte, error) {
	rest, err := sideHeader(path, body, attachMagic, token)
	if err != nil {
		return nil, err
	}
	if len(rest) < 1 || len(rest) < 1+int(rest[0])+4 || string(rest[1:1+int(rest[0])]) != name {
		return nil, &CorruptError{Path: path, Reason: "holds another attachment than its name says"}
	}
	rest = rest[1+int(rest[0]):]
	if int(binary.LittleEndian.Uint32(rest)) != len(rest)-4 {
		return nil, &CorruptError{Path: path, Reason: "data length disagrees with the file"}
	}
	return bytes.Clone(rest[4:]), nil
}

// dropSide removes token's counter and attachment files once its record is gone. A
// failure leaves a file no session reads: a new session has a new token.
func (d *Dir) dropSide(token solana.PublicKey) {
	_ = d.sessions.unlink(counterName(token))
	for _, name := range Attachments {
		_ = d.sessions.unlink(attachName(token, name))
	}
}
