//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package tokenstore

import (
	"errors"
	"os"
	"runtime"
)

// dirHandle exists only so the package compiles: the directory store
// relies on flock and on *at system calls that this platform does not
// offer, and sharing a store without them is unsafe, so openStoreDir fails
// and no other method is reached.
type dirHandle struct {
	f    *os.File
	path string
}

func openStoreDir(path string, _ bool) (*dirHandle, error) {
	return nil, &os.PathError{Op: "open store on " + runtime.GOOS, Path: path, Err: errors.ErrUnsupported}
}

func (h *dirHandle) subdir(string) (*dirHandle, error)       { return nil, errors.ErrUnsupported }
func (h *dirHandle) join(name string) string                 { return h.path + string(os.PathSeparator) + name }
func (h *dirHandle) readFile(string, []byte) ([]byte, error) { return nil, errors.ErrUnsupported }
func (h *dirHandle) names() ([]string, error)                { return nil, errors.ErrUnsupported }
func (h *dirHandle) unlink(string) error                     { return errors.ErrUnsupported }
func (h *dirHandle) createTemp(string) (*os.File, string, error) {
	return nil, "", errors.ErrUnsupported
}
func (h *dirHandle) ensureFile(string) error                 { return errors.ErrUnsupported }
func (h *dirHandle) lockFile(string, bool) (*os.File, error) { return nil, errors.ErrUnsupported }
func link(*dirHandle, string, *dirHandle, string) error      { return errors.ErrUnsupported }
func rename(*dirHandle, string, *dirHandle, string) error    { return errors.ErrUnsupported }
