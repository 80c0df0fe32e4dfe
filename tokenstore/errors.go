package tokenstore

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

var (
	// ErrNotFound means the store holds no session for the token address.
	ErrNotFound = errors.New("tokenstore: session not found")

	// ErrExists means Put was given a token address the store already holds.
	// Records are immutable: a token address determines its session signer,
	// so a second Put could only lose the key that is already stored.
	ErrExists = errors.New("tokenstore: session already stored")

	// ErrWrongKey means the credential does not open the store. It is
	// returned by Open before any record file is read.
	ErrWrongKey = errors.New("tokenstore: wrong key")

	// ErrWrongPassphrase is the form of ErrWrongKey returned for a
	// passphrase; errors.Is(err, ErrWrongKey) holds for it too.
	ErrWrongPassphrase = fmt.Errorf("%w: wrong passphrase", ErrWrongKey)

	// ErrCorrupt is wrapped by every *CorruptError.
	ErrCorrupt = errors.New("tokenstore: corrupt file")

	// ErrUnsupportedVersion is wrapped by every *VersionError.
	ErrUnsupportedVersion = errors.New("tokenstore: unsupported format version")

	// ErrInvalidRecord means Put was given a record that cannot be stored;
	// the error text names the field.
	ErrInvalidRecord = errors.New("tokenstore: invalid record")

	// ErrInvalidKey means key material has the wrong size or shape: a master
	// key that is not 32 bytes, or a keypair file that is not a valid Solana
	// CLI keypair.
	ErrInvalidKey = errors.New("tokenstore: invalid key")

	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("tokenstore: store is closed")
)

// CorruptError reports a store file that cannot be trusted: truncated,
// malformed, or failing authentication. Other records are unaffected.
type CorruptError struct {
	Path   string // the file, as the store opened it
	Reason string // what is wrong with it, never secret material
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("tokenstore: corrupt file %s: %s", e.Path, e.Reason)
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

// VersionError reports a store header or record written in a format
// version this package does not read, typically by a newer release.
type VersionError struct {
	Path    string
	Kind    string // "store" for the header, "record" for a session file
	Version int    // the version found in the file
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("tokenstore: %s %s has format version %d, which this release cannot read",
		e.Kind, e.Path, e.Version)
}

// Unwrap makes errors.Is(err, ErrUnsupportedVersion) hold.
func (e *VersionError) Unwrap() error { return ErrUnsupportedVersion }

// PartialError is what List, ListExpired and Prune return beside the
// records they could use when some record files could not be used: the
// records returned with it are all sound and complete but for the files it
// names. One bad file must not hide the others, so callers should use the
// records and report the error, not discard both.
//
// Files holds one error per unusable file, ordered by path, each naming its
// file: a *CorruptError, a *VersionError, an *UnsafePathError, or an
// *fs.PathError for a file that could not be read. errors.Is and errors.As
// see through to them, so errors.Is(err, ErrCorrupt) holds if any file is
// corrupt.
type PartialError struct {
	Op    string  // "list", "prune" or "leases"
	Files []error // never empty
}

// partialShown bounds how many file errors Error spells out, so a directory
// of 10,000 bad files does not make a 10,000-line message.
const partialShown = 3

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tokenstore: %s: %d record file(s) unusable", e.Op, len(e.Files))
	for i, err := range e.Files {
		if i == partialShown {
			fmt.Fprintf(&b, "; and %d more", len(e.Files)-partialShown)
			break
		}
		b.WriteString("; ")
		b.WriteString(strings.TrimPrefix(err.Error(), "tokenstore: "))
	}
	return b.String()
}

// Unwrap returns Files, for errors.Is and errors.As.
func (e *PartialError) Unwrap() []error { return e.Files }

// ErrKDFParams is wrapped by every *KDFParamError.
var ErrKDFParams = errors.New("tokenstore: argon2id parameter out of range")

// KDFParamError reports an Argon2id parameter that Create refuses: below
// OWASP's minimum (time 2, memory 19456 KiB) or above what Open accepts.
// Open reports such a header as a *CorruptError with the same reason.
type KDFParamError struct {
	Param    string // "time", "memory" (KiB) or "threads"
	Value    uint64
	Min, Max uint64
}

func (e *KDFParamError) Error() string {
	unit := ""
	if e.Param == "memory" {
		unit = " KiB"
	}
	return fmt.Sprintf("tokenstore: argon2id %s %d%s outside %d..%d%s", e.Param, e.Value, unit, e.Min, e.Max, unit)
}

// Unwrap makes errors.Is(err, ErrKDFParams) hold.
func (e *KDFParamError) Unwrap() error { return ErrKDFParams }

// ErrUnsafePath is wrapped by every *UnsafePathError.
var ErrUnsafePath = errors.New("tokenstore: unsafe path")

// UnsafePathError reports a path in the store that the store refuses to
// use: a symbolic link, a FIFO, device or socket where a directory or
// regular file belongs, a file owned by another user, or one whose mode
// lets group or others read or write it. Widened modes are refused rather
// than tightened: whoever widened them may already have read the store,
// and only its owner can judge that. The store follows
// no links and opens nothing it did not check, so a planted link cannot
// redirect a sweep or a deletion and a planted FIFO cannot block a read.
type UnsafePathError struct {
	Path   string
	Mode   fs.FileMode // what was found there: type and permission bits
	Reason string
}

func (e *UnsafePathError) Error() string {
	return fmt.Sprintf("tokenstore: unsafe path %s (mode %v): %s", e.Path, e.Mode, e.Reason)
}

// Unwrap makes errors.Is(err, ErrUnsafePath) hold.
func (e *UnsafePathError) Unwrap() error { return ErrUnsafePath }

// modeError is the *UnsafePathError for permissions wider than the
// owner's, told apart so Create can tighten a directory it is about to
// fill instead of refusing it. errors.As finds the *UnsafePathError in it.
type modeError struct{ UnsafePathError }

func (e *modeError) Unwrap() error { return &e.UnsafePathError }

// describeType names the kind of file mode is, for an *UnsafePathError.
func describeType(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode.IsRegular():
		return "a regular file"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}
