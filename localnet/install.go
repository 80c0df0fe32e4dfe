//go:build unix

package localnet

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// The launcher ships inside the Go module so that packages importing
// localnet from other modules need no checkout of this repository.
//
//go:embed launcher/launcher.js launcher/package.json launcher/package-lock.json
var launcherFS embed.FS

var launcherFiles = []string{"launcher.js", "package.json", "package-lock.json"}

// EnvCacheDir overrides where the embedded launcher is installed.
const EnvCacheDir = "SESSIONKIT_LOCALNET_CACHE"

const installedMarker = ".installed"

// Install makes the embedded runtime's launcher and its npm dependencies
// ready to run and returns the launcher's directory. It runs `npm ci` only
// the first time for a given launcher version; concurrent callers, in this or
// other processes, wait for one install instead of racing. cacheDir "" means
// $SESSIONKIT_LOCALNET_CACHE, then os.UserCacheDir()/sessionkit/localnet.
// npm's output goes to log (nil discards it).
func Install(ctx context.Context, cacheDir string, log io.Writer) (string, error) {
	base, err := resolveCacheDir(cacheDir)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(base, "launcher-"+launcherHash())
	if installed(dir) {
		return dir, nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", ErrNodeMissing
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", ErrNodeMissing
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	unlock, err := lockFile(ctx, dir+".lock")
	if err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	defer unlock()
	// Another process may have finished the install while we waited.
	if installed(dir) {
		return dir, nil
	}
	// A previous install may have been killed half way: start from scratch.
	if err := os.RemoveAll(dir); err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	if err := writeLauncher(dir); err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	out := newTail(8<<10, log)
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return "", &InstallError{Dir: dir, Err: fmt.Errorf("npm ci: %w", err), Output: out.String()}
	}
	// The marker is renamed into place so a crash never leaves one that lies.
	tmp := filepath.Join(dir, installedMarker+".tmp")
	if err := os.WriteFile(tmp, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	if err := os.Rename(tmp, filepath.Join(dir, installedMarker)); err != nil {
		return "", &InstallError{Dir: dir, Err: err}
	}
	return dir, nil
}

func resolveCacheDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	if dir = os.Getenv(EnvCacheDir); dir != "" {
		return dir, nil
	}
	user, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("localnet: no cache directory (set %s): %w", EnvCacheDir, err)
	}
	return filepath.Join(user, "sessionkit", "localnet"), nil
}

// launcherHash names the install directory after the launcher's content, so
// a changed launcher or lockfile gets a fresh install beside the old one.
func launcherHash() string {
	h := sha256.New()
	for _, name := range launcherFiles {
		b, err := launcherFS.ReadFile("launcher/" + name)
		if err != nil {
			panic(err) // embedded at build time; absent only if the build is broken
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, installedMarker))
	return err == nil
}

func writeLauncher(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range launcherFiles {
		b, err := launcherFS.ReadFile("launcher/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling so that ctx can cancel
// the wait. The lock dies with the process, so a killed installer never
// blocks the next one.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the install lock %s: %w", path, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
