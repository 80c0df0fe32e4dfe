package tokenstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gagliardetto/solana-go"
	"github.com/sessionkit/sessionkit/client/txn"
)

const (
	headerName   = "store.json"
	lockName     = "lock"
	sessionsName = "sessions"
	tmpName      = "tmp"
	recordExt    = ".rec"
)

// errLockBusy is lockFile's answer when a non-waiting lock is held elsewhere.
var errLockBusy = errors.New("tokenstore: lock busy")

// Dir is a Store kept in a directory, shareable by several processes. See
// the package documentation for the layout, format and locking protocol.
// Its methods are safe for concurrent use.
type Dir struct {
	dir                 string
	root, sessions, tmp *dirHandle // closed with s

	mu sync.RWMutex
	s  *sealer // nil once closed
}

var (
	_ Store  = (*Dir)(nil)
	_ Leaser = (*Dir)(nil)
)

// Option configures Create.
type Option func(*createOptions)

type createOptions struct {
	argon2 kdfParams
}

// WithArgon2 sets the Argon2id parameters of a passphrase store: time
// (passes), memory in KiB and threads. The default is [StandardArgon2].
// Create rejects, with a *KDFParamError, values outside time 2..10 and
// memory 19 MiB (OWASP's minimum, 19456 KiB; [LightArgon2])..1 GiB. Open
// refuses headers above those ceilings as corrupt.
// The option is ignored for a MasterKey store.
func WithArgon2(time, memoryKiB uint32, threads uint8) Option {
	return func(o *createOptions) {
		o.argon2.Time, o.argon2.MemoryKiB, o.argon2.Threads = time, memoryKiB, threads
	}
}

// Named Argon2id parameter sets for Create, the way go-ethereum's keystore
// names its scrypt ones.
var (
	// StandardArgon2 is the default: time 3, 64 MiB, 4 threads, the second
	// recommendation of RFC 9106; about 200 ms per Open on a 2-core server.
	StandardArgon2 = WithArgon2(defaultArgon2Time, defaultArgon2MemoryKiB, defaultArgon2Threads)
	// LightArgon2 is OWASP's minimum for Argon2id: time 2, 19 MiB, 1 thread.
	// It is a fifth of StandardArgon2's memory times passes, so each
	// passphrase guess costs an attacker a fifth as much too; for tests, and
	// for machines that cannot spare 64 MiB per Open.
	LightArgon2 = WithArgon2(2, 19<<10, 1)
)

// Create initialises a new store in dir and returns it open. dir is created
// with mode 0700 if missing; an existing directory must be empty (or hold
// what an interrupted Create left) and is set to mode 0700. Creating over an
// existing store fails with an error wrapping fs.ErrExist.
func Create(ctx context.Context, dir string, cred Credential, opts ...Option) (*Dir, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := newHeader(cred, opts)
	if err != nil {
		return nil, err
	}
	root, err := makeSkeleton(dir)
	if err != nil {
		return nil, err
	}
	d, err := newDir(dir, root)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			d.closeFiles()
		}
	}()
	var check [keyCheckSize]byte
	d.s, check, err = deriveSealer(h, cred)
	if err != nil {
		return nil, err
	}
	h.KeyCheck = check[:]
	data, err := h.marshal()
	if err != nil {
		return nil, err
	}
	switch err := d.writeNew(ctx, d.root, headerName, data); {
	case errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("tokenstore: create %s: a store already exists: %w", dir, fs.ErrExist)
	case err != nil:
		return nil, fsError("create "+dir, err)
	}
	if err := syncDir(d.root); err != nil {
		return nil, err
	}
	ok = true
	return d, nil
}

// newHeader checks cred and returns a fresh header for it, without its key check.
func newHeader(cred Credential, opts []Option) (*header, error) {
	if err := cred.check(); err != nil {
		return nil, err
	}
	o := createOptions{argon2: kdfParams{
		Name: kdfArgon2id, Time: defaultArgon2Time, MemoryKiB: defaultArgon2MemoryKiB, Threads: defaultArgon2Threads,
	}}
	for _, opt := range opts {
		opt(&o)
	}
	h := &header{Format: headerFormat, Version: headerVersion, StoreID: make([]byte, storeIDSize)}
	_, _ = rand.Read(h.StoreID)
	if cred.kind == kindMasterKey {
		h.KDF = kdfParams{Name: kdfRaw}
	} else {
		h.KDF = o.argon2
		h.KDF.Salt = make([]byte, saltSize)
		_, _ = rand.Read(h.KDF.Salt)
		if err := h.KDF.validate(true); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// makeSkeleton creates dir, or checks that an existing one is empty or
// holds only what an interrupted Create left, and returns it open.
func makeSkeleton(dir string) (*dirHandle, error) {
	err := os.Mkdir(dir, 0o700)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fsError("create", err)
	}
	root, err := openStoreDir(dir, false)
	if err != nil {
		return nil, fsError("create", err)
	}
	entries, err := root.names()
	if err == nil {
		err = root.f.Chmod(0o700)
	}
	if err != nil {
		root.f.Close()
		return nil, fsError("create", err)
	}
	for _, name := range entries {
		switch name {
		case sessionsName, tmpName, lockName:
		case headerName:
			root.f.Close()
			return nil, fmt.Errorf("tokenstore: create %s: a store already exists: %w", dir, fs.ErrExist)
		default:
			root.f.Close()
			return nil, fmt.Errorf("tokenstore: create %s: directory is not empty (holds %q): %w", dir, name, fs.ErrExist)
		}
	}
	return root, nil
}

// fsError prefixes err with op unless it is already one of the package's
// typed errors, whose text says what and where.
func fsError(op string, err error) error {
	if _, ok := errors.AsType[*UnsafePathError](err); ok {
		return err
	}
	return fmt.Errorf("tokenstore: %s: %w", op, err)
}

// Open opens the store in dir. A credential that does not match fails with
// ErrWrongPassphrase or ErrWrongKey before any record is read. A missing
// store fails with an error wrapping fs.ErrNotExist.
//
// Open also removes temporary files left by writers that were killed, when
// no other Put is in flight. A store directory, subdirectory, header or
// lock file that is a symbolic link, not the right kind of file, or owned
// by another user is refused with an *UnsafePathError, before anything is
// removed.
func Open(ctx context.Context, dir string, cred Credential) (*Dir, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := cred.check(); err != nil {
		return nil, err
	}
	root, err := openStoreDir(dir, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("tokenstore: open %s: no store here: %w", dir, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fsError("open", err)
	}
	headerPath := root.join(headerName)
	b, err := root.readFile(headerName, make([]byte, maxHeaderSize+1))
	if err != nil {
		root.f.Close()
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("tokenstore: open %s: no store here: %w", dir, fs.ErrNotExist)
		}
		return nil, fsError("open", err)
	}
	s, err := openSealer(ctx, dir, headerPath, b, cred)
	if err != nil {
		root.f.Close()
		return nil, err
	}
	d, err := newDir(dir, root)
	if err != nil {
		return nil, err
	}
	d.s = s
	if err := d.sweep(); err != nil {
		d.closeFiles()
		return nil, err
	}
	return d, nil
}

// openSealer checks the header b against cred and returns the store's
// sealer.
func openSealer(ctx context.Context, dir, headerPath string, b []byte, cred Credential) (*sealer, error) {
	if len(b) > maxHeaderSize {
		return nil, &CorruptError{Path: headerPath, Reason: fmt.Sprintf("larger than %d bytes", maxHeaderSize)}
	}
	h, err := parseHeader(headerPath, b)
	if err != nil {
		return nil, err
	}
	switch {
	case h.KDF.Name == kdfRaw && cred.kind != kindMasterKey:
		return nil, fmt.Errorf("%w: store %s is keyed by a master key, not a passphrase", ErrWrongKey, dir)
	case h.KDF.Name != kdfRaw && cred.kind == kindMasterKey:
		return nil, fmt.Errorf("%w: store %s is keyed by a passphrase, not a master key", ErrWrongKey, dir)
	}
	s, check, err := deriveSealer(h, cred)
	if err != nil {
		return nil, err
	}
	if !checkMatches(check, [keyCheckSize]byte(h.KeyCheck)) {
		if cred.kind == kindPassphrase {
			return nil, fmt.Errorf("%w for store %s", ErrWrongPassphrase, dir)
		}
		return nil, fmt.Errorf("%w for store %s", ErrWrongKey, dir)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// newDir opens, and creates if missing, what a store needs besides its
// header and records; all of it may be missing from a copied store, since
// version control keeps neither empty directories nor modes. It takes
// ownership of root, closing it on failure.
func newDir(dir string, root *dirHandle) (*Dir, error) {
	d := &Dir{dir: dir, root: root}
	var err error
	if d.sessions, err = root.subdir(sessionsName); err == nil {
		if d.tmp, err = root.subdir(tmpName); err == nil {
			err = root.ensureFile(lockName)
		}
	}
	if err != nil {
		d.closeFiles()
		return nil, fsError("open "+dir, err)
	}
	return d, nil
}

func (d *Dir) closeFiles() {
	for _, h := range []*dirHandle{d.root, d.sessions, d.tmp} {
		if h != nil {
			h.f.Close()
		}
	}
}

func deriveSealer(h *header, cred Credential) (*sealer, [keyCheckSize]byte, error) {
	var ikm []byte
	if h.KDF.Name == kdfRaw {
		ikm = append([]byte(nil), cred.bytes()...)
	} else {
		ikm = argon2Key(cred.bytes(), h.KDF)
	}
	defer clear(ikm)
	s, check, err := newSealer(ikm, [storeIDSize]byte(h.StoreID))
	if err != nil {
		return nil, check, fmt.Errorf("tokenstore: derive keys: %w", err)
	}
	return s, check, nil
}

// String returns "tokenstore.Dir(<path>)".
func (d *Dir) String() string { return "tokenstore.Dir(" + d.dir + ")" }

// acquire returns the sealer for one operation; release must be called.
func (d *Dir) acquire(ctx context.Context) (s *sealer, release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	d.mu.RLock()
	if d.s == nil {
		d.mu.RUnlock()
		return nil, nil, ErrClosed
	}
	return d.s, d.mu.RUnlock, nil
}

func recordName(token solana.PublicKey) string { return token.String() + recordExt }

// Put stores rec and the seed of key. The record is durable when Put
// returns: its file was fsynced, linked into place and the directory
// fsynced. A token address already stored fails with ErrExists.
func (d *Dir) Put(ctx context.Context, rec Record, key *txn.SessionKey) error {
	s, release, err := d.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	rec, err = normalize(rec, key, time.Now())
	if err != nil {
		return err
	}
	seed := key.Seed()
	data := s.seal(&rec, seed)
	clear(seed)
	switch err := d.writeNew(ctx, d.sessions, recordName(rec.Token), data); {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", ErrExists, rec.Token)
	case err != nil:
		return fsError("put "+rec.Token.String(), err)
	}
	return syncDir(d.sessions)
}

// writeNew creates name in dst with data, atomically and without replacing
// an existing file: the data is written and fsynced under a temporary
// name, then hard-linked to name, which fails if name exists. It holds the
// shared lock while its temporary file exists, so sweep never removes it.
func (d *Dir) writeNew(ctx context.Context, dst *dirHandle, name string, data []byte) error {
	l, err := d.lock(ctx, false)
	if err != nil {
		return err
	}
	defer l.Close()
	f, tmpName, err := d.tmp.createTemp("put-")
	if err != nil {
		return err
	}
	defer d.tmp.unlink(tmpName)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return link(d.tmp, tmpName, dst, name)
}

// lock takes the store's lock, shared or exclusive, polling until ctx is
// done: flock cannot be interrupted by a context, and a process that holds
// the lock forever must not hang every other one.
func (d *Dir) lock(ctx context.Context, exclusive bool) (*os.File, error) {
	delay := time.Millisecond
	for {
		l, err := d.root.lockFile(lockName, exclusive)
		if err != errLockBusy {
			return l, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

// sweep removes temporary files of killed writers. Live writers hold the
// shared lock while their temporary file exists, so holding the exclusive
// lock proves every file in tmp is an orphan; if the lock is busy the sweep
// waits for a later Open or Prune. Entries are removed relative to the
// tmp directory opened without following links, so a tmp that was a link
// elsewhere was refused by Open and is never swept.
func (d *Dir) sweep() error {
	l, err := d.root.lockFile(lockName, true)
	if err == errLockBusy {
		return nil
	}
	if err != nil {
		return fsError("sweep", err)
	}
	defer l.Close()
	names, err := d.tmp.names()
	if err != nil {
		return fsError("sweep", err)
	}
	for _, name := range names {
		if err := d.tmp.unlink(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fsError("sweep", err)
		}
	}
	return nil
}

// Get returns the record and session key stored for token, or ErrNotFound.
// A file that fails to parse or authenticate, or whose seed does not derive
// the recorded session signer, is reported as a *CorruptError.
func (d *Dir) Get(ctx context.Context, token solana.PublicKey) (Record, *txn.SessionKey, error) {
	s, release, err := d.acquire(ctx)
	if err != nil {
		return Record{}, nil, err
	}
	defer release()
	path := d.sessions.join(recordName(token))
	b, err := d.sessions.readFile(recordName(token), make([]byte, maxRecordRead+1))
	if errors.Is(err, fs.ErrNotExist) {
		return Record{}, nil, fmt.Errorf("%w: %s", ErrNotFound, token)
	}
	if err != nil {
		return Record{}, nil, fsError("get "+token.String(), err)
	}
	p, err := parseRecord(path, b)
	if err != nil {
		return Record{}, nil, err
	}
	if p.rec.Token != token {
		return Record{}, nil, &CorruptError{Path: path, Reason: "holds token " + p.rec.Token.String() + ", not the one its name says"}
	}
	var buf [sealedSize]byte
	defer clear(buf[:])
	seed, err := s.open(path, &p, buf[:])
	if err != nil {
		return Record{}, nil, err
	}
	key, err := txn.NewSessionKey(seed)
	if err != nil {
		return Record{}, nil, &CorruptError{Path: path, Reason: "seed is not 32 bytes"}
	}
	if key.PublicKey() != p.rec.SessionSigner {
		key.Zero()
		return Record{}, nil, &CorruptError{Path: path, Reason: "seed does not derive the recorded session signer"}
	}
	return p.rec, key, nil
}

// List returns the records matching f, each one authenticated, ordered by
// ValidUntil then token address. Files that cannot be read, parsed or
// authenticated are left out of the records and reported in a
// *PartialError returned beside them; any other error means nothing was
// listed.
func (d *Dir) List(ctx context.Context, f Filter) ([]Record, error) {
	recs, bad, err := d.list(ctx, f.match)
	if err != nil {
		return nil, err
	}
	return recs, partial("list", bad)
}

// ListExpired returns the records expired at now (see Record.Expired), in
// the order and with the error semantics of List.
func (d *Dir) ListExpired(ctx context.Context, now time.Time) ([]Record, error) {
	recs, bad, err := d.listExpired(ctx, now)
	if err != nil {
		return nil, err
	}
	return recs, partial("list", bad)
}

func (d *Dir) listExpired(ctx context.Context, now time.Time) ([]Record, []badFile, error) {
	return d.list(ctx, func(r *Record) bool { return r.Expired(now) })
}

// badFile is one file a listing could not use.
type badFile struct {
	path string
	err  error
}

// partial returns the *PartialError for bad, or nil if there is none, as
// an error interface that is nil rather than a typed nil.
func partial(op string, bad []badFile) error {
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b badFile) int { return strings.Compare(a.path, b.path) })
	e := &PartialError{Op: op, Files: make([]error, len(bad))}
	for i, b := range bad {
		e.Files[i] = b.err
	}
	return e
}

// Reading 10,000 small files is dominated by open/read/close system calls;
// a few workers per CPU overlap them.
const listWorkersPerCPU = 2

// list returns the sound records that keep accepts and the files it could
// not use, or a failure of the whole listing.
func (d *Dir) list(ctx context.Context, keep func(*Record) bool) (recs []Record, bad []badFile, err error) {
	s, release, err := d.acquire(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer release()
	names, err := d.sessions.names()
	if err != nil {
		return nil, nil, fsError("list", err)
	}
	names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasSuffix(n, recordExt) })

	type result struct {
		recs []Record
		bad  []badFile
	}
	const batch = 64
	workers := min(runtime.GOMAXPROCS(0)*listWorkersPerCPU, (len(names)+batch-1)/batch)
	results := make([]result, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range results {
		wg.Go(func() {
			res := &results[w]
			res.recs = make([]Record, 0, len(names)/workers+batch)
			buf := make([]byte, maxRecordRead+1)
			var seedBuf [sealedSize]byte
			defer clear(seedBuf[:])
			for ctx.Err() == nil {
				start := int(next.Add(batch)) - batch
				if start >= len(names) {
					return
				}
				for _, name := range names[start:min(start+batch, len(names))] {
					rec, err := d.readListed(s, name, buf, seedBuf[:])
					switch {
					case errors.Is(err, fs.ErrNotExist):
						// Deleted since the directory was read.
					case err != nil:
						res.bad = append(res.bad, badFile{d.sessions.join(name), err})
					case keep(&rec):
						res.recs = append(res.recs, rec)
					}
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	n := 0
	for _, r := range results {
		n += len(r.recs)
	}
	if n > 0 {
		recs = make([]Record, 0, n)
	}
	for _, r := range results {
		recs = append(recs, r.recs...)
		bad = append(bad, r.bad...)
	}
	sortRecords(recs)
	return recs, bad, nil
}

// readListed reads and authenticates one record file for list.
func (d *Dir) readListed(s *sealer, name string, buf, seedBuf []byte) (Record, error) {
	path := d.sessions.join(name)
	b, err := d.sessions.readFile(name, buf)
	if err != nil {
		return Record{}, err
	}
	p, err := parseRecord(path, b)
	if err != nil {
		return Record{}, err
	}
	if p.rec.Token.String()+recordExt != name {
		return Record{}, &CorruptError{Path: path, Reason: "holds token " + p.rec.Token.String() + ", not the one its name says"}
	}
	seed, err := s.open(path, &p, seedBuf)
	clear(seed)
	return p.rec, err
}

// Delete removes the session stored for token, or returns ErrNotFound.
// The removal is durable when Delete returns. The file is unlinked, not
// overwritten: on journaling or flash storage overwriting would not reach
// the old blocks anyway, and the seed in them is encrypted.
func (d *Dir) Delete(ctx context.Context, token solana.PublicKey) error {
	_, release, err := d.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := d.sessions.unlink(recordName(token)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotFound, token)
	} else if err != nil {
		return fmt.Errorf("tokenstore: delete %s: %w", token, err)
	}
	d.dropLease(token)
	d.dropSide(token)
	return syncDir(d.sessions)
}

// Prune deletes every record expired at now and returns how many it
// deleted. Corrupt files are never deleted; they are reported in a
// *PartialError as in List, beside any failure of the pruning itself.
// Prune also removes temporary files left by killed writers.
//
// An expired token's session signer may still hold top-up lamports, and
// once its record is gone so is the only way to sign for them. Recover
// them first (ListExpired, transfer the lamports back, Delete), or pass a
// now far enough in the past to leave that work time.
func (d *Dir) Prune(ctx context.Context, now time.Time) (int, error) {
	expired, bad, err := d.listExpired(ctx, now)
	if err != nil {
		return 0, err
	}
	_, release, err := d.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	n := 0
	for _, r := range expired {
		path := d.sessions.join(recordName(r.Token))
		switch err := d.sessions.unlink(recordName(r.Token)); {
		case err == nil:
			d.dropLease(r.Token)
			d.dropSide(r.Token)
			n++
		case !errors.Is(err, fs.ErrNotExist): // already pruned elsewhere
			bad = append(bad, badFile{path, fmt.Errorf("tokenstore: prune: %w", err)})
		}
	}
	var errs []error
	if n > 0 {
		errs = append(errs, syncDir(d.sessions))
	}
	errs = append(errs, d.sweep(), partial("prune", bad))
	return n, errors.Join(errs...)
}

// Close releases the store. It cannot wipe the record key: the AEAD from
// golang.org/x/crypto keeps its own copy until it is garbage collected.
// Close is idempotent; other methods return ErrClosed afterwards.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.s != nil {
		d.closeFiles()
	}
	d.s = nil
	return nil
}

// dropLease removes the lease of a session just deleted. A failure leaves a
// lease file for a missing record, which Acquire never honours (it needs
// the record) and Leases still shows, so it is not worth failing for.
func (d *Dir) dropLease(token solana.PublicKey) {
	_ = d.sessions.unlink(leaseName(token))
}

func syncDir(h *dirHandle) error {
	if err := h.f.Sync(); err != nil {
		return fmt.Errorf("tokenstore: sync %s: %w", h.path, err)
	}
	return nil
}
