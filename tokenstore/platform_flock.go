//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package tokenstore

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// dirHandle is one of the store's directories, opened once without
// following links. Every later access is relative to it (openat, unlinkat,
// linkat, renameat), so replacing a directory by a symlink after Open
// redirects nothing. The *os.File closes the descriptor if the Dir is
// dropped unclosed.
type dirHandle struct {
	f    *os.File
	fd   int
	path string
}

// openStoreDir opens path, which must be a real directory owned by this
// user; a symlink in its last component is refused, not followed. Without
// strict its mode is not checked, for Create to tighten it.
func openStoreDir(path string, strict bool) (*dirHandle, error) {
	return openDirAt(unix.AT_FDCWD, path, path, strict)
}

func openDirAt(dirfd int, name, path string, strict bool) (*dirHandle, error) {
	fd, err := retry(func() (int, error) {
		return unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, describeOpenError(dirfd, name, path, err, true)
	}
	err = checkFD(fd, path, true)
	if _, wide := errors.AsType[*modeError](err); wide && !strict {
		err = nil
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &dirHandle{f: os.NewFile(uintptr(fd), path), fd: fd, path: path}, nil
}

// subdir opens the directory name inside h, creating it if missing.
func (h *dirHandle) subdir(name string) (*dirHandle, error) {
	if err := unix.Mkdirat(h.fd, name, 0o700); err != nil && err != unix.EEXIST {
		return nil, &os.PathError{Op: "mkdir", Path: h.join(name), Err: err}
	}
	return openDirAt(h.fd, name, h.join(name), true)
}

func (h *dirHandle) join(name string) string { return h.path + string(os.PathSeparator) + name }

// readFile reads the regular file name into buf and returns the filled
// prefix. O_NONBLOCK keeps a FIFO or device from blocking the open, and
// fstat refuses anything but a regular file before a byte is read. It
// calls the system directly: os.Open costs four extra fcntl and epoll
// system calls per file, which doubled the time to list 10,000 records.
func (h *dirHandle) readFile(name string, buf []byte) ([]byte, error) {
	path := h.join(name)
	fd, err := retry(func() (int, error) {
		return unix.Openat(h.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, describeOpenError(h.fd, name, path, err, false)
	}
	defer unix.Close(fd)
	if err := checkFD(fd, path, false); err != nil {
		return nil, err
	}
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case m == 0:
			return buf[:n], nil
		}
		n += m
	}
	return buf[:n], nil
}

// names lists h through a new open file description, so concurrent
// listings do not share a directory offset.
func (h *dirHandle) names() ([]string, error) {
	fd, err := retry(func() (int, error) {
		return unix.Openat(h.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: h.path, Err: err}
	}
	f := os.NewFile(uintptr(fd), h.path)
	defer f.Close()
	return f.Readdirnames(-1)
}

// unlink removes name from h; a symlink is removed, never its target.
func (h *dirHandle) unlink(name string) error {
	if err := unix.Unlinkat(h.fd, name, 0); err != nil {
		return &os.PathError{Op: "remove", Path: h.join(name), Err: err}
	}
	return nil
}

// createTemp creates a new file in h that no one else can have opened.
func (h *dirHandle) createTemp(prefix string) (f *os.File, name string, err error) {
	for {
		var r [8]byte
		_, _ = rand.Read(r[:])
		name = prefix + hex.EncodeToString(r[:])
		fd, err := retry(func() (int, error) {
			return unix.Openat(h.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		})
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return nil, "", &os.PathError{Op: "create", Path: h.join(name), Err: err}
		}
		return os.NewFile(uintptr(fd), h.join(name)), name, nil
	}
}

// link hard-links from/fromName to to/toName, failing if toName exists.
func link(from *dirHandle, fromName string, to *dirHandle, toName string) error {
	if err := unix.Linkat(from.fd, fromName, to.fd, toName, 0); err != nil {
		return &os.LinkError{Op: "link", Old: from.join(fromName), New: to.join(toName), Err: err}
	}
	return nil
}

// ensureFile creates the regular file name in h if it is missing.
func (h *dirHandle) ensureFile(name string) error {
	f, err := h.openFile(name, unix.O_CREAT)
	if err != nil {
		return err
	}
	return f.Close()
}

// openFile opens the existing regular file name in h read-only, checked as
// readFile checks.
func (h *dirHandle) openFile(name string, flags int) (*os.File, error) {
	path := h.join(name)
	fd, err := retry(func() (int, error) {
		return unix.Openat(h.fd, name, flags|unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
	})
	if err != nil {
		return nil, describeOpenError(h.fd, name, path, err, false)
	}
	if err := checkFD(fd, path, false); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// lockFile takes a flock on name in h through a new open file
// description, so goroutines of one process exclude each other exactly as
// processes do. Closing the returned file releases the lock. A held lock
// is reported as errLockBusy at once; lockCtx waits.
func (h *dirHandle) lockFile(name string, exclusive bool) (*os.File, error) {
	f, err := h.openFile(name, 0)
	if err != nil {
		return nil, err
	}
	how := unix.LOCK_SH | unix.LOCK_NB
	if exclusive {
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, errLockBusy
		}
		return nil, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
	return f, nil
}

func retry(open func() (int, error)) (int, error) {
	for {
		fd, err := open()
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// describeOpenError turns the errno of an O_NOFOLLOW open into an
// *UnsafePathError when a link or a non-directory is what stood in the
// way; the errno for a final symlink differs between systems.
func describeOpenError(dirfd int, name, path string, err error, wantDir bool) error {
	if err == unix.ELOOP || err == unix.EMLINK || err == unix.ENOTDIR {
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			if e := checkStat(&st, path, wantDir); e != nil {
				return e
			}
		}
	}
	return &os.PathError{Op: "open", Path: path, Err: err}
}

func checkFD(fd int, path string, wantDir bool) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	return checkStat(&st, path, wantDir)
}

// checkStat refuses what the store must not trust: anything but a
// directory or regular file where one belongs, and anything owned by
// another user, who could have planted or read it.
func checkStat(st *unix.Stat_t, path string, wantDir bool) error {
	mode := statMode(st)
	switch {
	case mode&fs.ModeSymlink != 0:
		return &UnsafePathError{Path: path, Mode: mode, Reason: "is a symbolic link; the store follows no links"}
	case wantDir && !mode.IsDir():
		return &UnsafePathError{Path: path, Mode: mode, Reason: "is " + describeType(mode) + ", not a directory"}
	case !wantDir && !mode.IsRegular():
		return &UnsafePathError{Path: path, Mode: mode, Reason: "is " + describeType(mode) + ", not a regular file"}
	case int(st.Uid) != os.Geteuid():
		return &UnsafePathError{Path: path, Mode: mode, Reason: "is owned by uid " + strconv.Itoa(int(st.Uid)) + ", not by this process's uid " + strconv.Itoa(os.Geteuid())}
	case mode.Perm()&0o077 != 0:
		return &modeError{UnsafePathError{Path: path, Mode: mode, Reason: fmt.Sprintf(
			"mode %#o lets group or others in, so it may have been read or changed; check it, then chmod go= to use it", mode.Perm())}}
	}
	return nil
}

func statMode(st *unix.Stat_t) fs.FileMode {
	mode := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= fs.ModeDir
	case unix.S_IFLNK:
		mode |= fs.ModeSymlink
	case unix.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= fs.ModeSocket
	case unix.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode |= fs.ModeDevice
	case unix.S_IFREG:
	default:
		mode |= fs.ModeIrregular
	}
	return mode
}

// rename moves from/fromName over to/toName, atomically replacing it.
func rename(from *dirHandle, fromName string, to *dirHandle, toName string) error {
	if err := unix.Renameat(from.fd, fromName, to.fd, toName); err != nil {
		return &os.LinkError{Op: "rename", Old: from.join(fromName), New: to.join(toName), Err: err}
	}
	return nil
}
