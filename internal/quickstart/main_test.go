package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/sessionkit/sessionkit/localnet"
)

// The README promises that this program runs as written, so the test runs the built
// program itself, as a newcomer would, rather than calling into it.
func TestFirstHourQuickStart(t *testing.T) {
	if err := runtimeMissing(); localnet.Skippable(err) {
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "quickstart")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("quickstart: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^local cluster at http://127\.0\.0\.1:\d+$`),
		regexp.MustCompile(`(?m)^session token \w{32,44} signer \w{32,44}$`),
		regexp.MustCompile(`(?m)^20 moves landed, player at \(20, 0\)$`),
		// 5,000,000 top-up − 20 moves × 5,000 − the revoke's 5,000.
		regexp.MustCompile(`(?m)^revoked: 4895000 lamports swept back to \w{32,44}, fee 5000$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// runtimeMissing is why no local cluster can start here, as localnet.Start would say it.
func runtimeMissing() error {
	switch localnet.Backend(os.Getenv(localnet.EnvBackend)) {
	case localnet.Off:
		return localnet.ErrDisabled
	case localnet.TestValidator:
		return nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return localnet.ErrNodeMissing
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return localnet.ErrNodeMissing
	}
	return nil
}
