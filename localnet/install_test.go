package localnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// countingNPM puts an npm first on PATH that logs each run to the returned
// file and then runs the real npm.
func countingNPM(t *testing.T) (countFile string) {
	t.Helper()
	embeddedOnly(t)
	real, err := exec.LookPath("npm")
	if err != nil {
		failStart(t, ErrNodeMissing)
	}
	bin := t.TempDir()
	countFile = filepath.Join(t.TempDir(), "npm-runs")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\nexec %q \"$@\"\n", countFile, real)
	if err := os.WriteFile(filepath.Join(bin, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return countFile
}

func npmRuns(t *testing.T, countFile string) []string {
	t.Helper()
	b, err := os.ReadFile(countFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func TestInstallConcurrentCallersShareOneInstall(t *testing.T) {
	count := countingNPM(t)
	cache := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dirs := make([]string, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Go(func() { dirs[i], errs[i] = Install(ctx, cache, nil) })
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Fatalf("callers got different dirs: %q", dirs)
		}
	}
	if runs := npmRuns(t, count); len(runs) != 1 || !strings.HasPrefix(runs[0], "ci ") {
		t.Fatalf("npm runs: %q, want exactly one npm ci", runs)
	}
	if want := filepath.Join(cache, "launcher-"+launcherHash()); dirs[0] != want {
		t.Fatalf("installed in %s, want %s", dirs[0], want)
	}
	for _, f := range []string{"launcher.js", "package-lock.json", installedMarker,
		"node_modules/@solana/surfpool-linux-x64-gnu/package.json"} {
		if _, err := os.Stat(filepath.Join(dirs[0], f)); err != nil {
			t.Fatal(err)
		}
	}
	// Installed: later calls do not run npm again.
	if _, err := Install(ctx, cache, nil); err != nil {
		t.Fatal(err)
	}
	if runs := npmRuns(t, count); len(runs) != 1 {
		t.Fatalf("npm ran again for an installed launcher: %q", runs)
	}
}

func TestInstallRedoesAnInterruptedInstall(t *testing.T) {
	count := countingNPM(t)
	cache := t.TempDir()
	dir := filepath.Join(cache, "launcher-"+launcherHash())
	// What a killed `npm ci` leaves: files, but no marker.
	if err := os.MkdirAll(filepath.Join(dir, "node_modules", "half"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	got, err := Install(ctx, cache, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != dir {
		t.Fatalf("installed in %s, want %s", got, dir)
	}
	if runs := npmRuns(t, count); len(runs) != 1 {
		t.Fatalf("npm runs: %q, want one", runs)
	}
	assertNoPath(t, filepath.Join(dir, "node_modules", "half"))
	if !installed(dir) {
		t.Fatal("no install marker")
	}
}

func TestInstallWithoutNode(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Install(context.Background(), t.TempDir(), nil)
	if !errors.Is(err, ErrNodeMissing) {
		t.Fatalf("err = %v, want ErrNodeMissing", err)
	}
	if !strings.Contains(err.Error(), "apt-get install nodejs npm") {
		t.Fatalf("error does not say how to install node: %v", err)
	}
}

func TestInstallCacheDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	got, err := resolveCacheDir("")
	if err != nil || got != dir {
		t.Fatalf("resolveCacheDir = %q, %v; want %q", got, err, dir)
	}
	if got, _ := resolveCacheDir("/explicit"); got != "/explicit" {
		t.Fatalf("explicit dir ignored: %q", got)
	}
}
