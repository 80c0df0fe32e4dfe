//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package tokenstore

import (
	"errors"
	"io"
	"os"
	"runtime"
)

// readInto reads path into buf and returns the filled prefix.
func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:n], err
}

// lockFile fails: the directory store relies on flock semantics that this
// platform does not offer, and sharing a store without them is unsafe.
func lockFile(path string, _, _ bool) (*os.File, error) {
	return nil, &os.PathError{Op: "flock on " + runtime.GOOS, Path: path, Err: errors.ErrUnsupported}
}
