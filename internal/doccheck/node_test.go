package doccheck

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sessionkit/sessionkit/localnet"
)

var jsBlock = regexp.MustCompile("(?s)```js\n(.*?)```")

// The README's Node snippet is what a suite in another language copies first, so it runs
// as written: with the @solana/web3.js of testdata/node's lockfile, against the sessionkit
// command it spawns from PATH.
func TestReadmeNodeSnippetRuns(t *testing.T) {
	node, npm, err := nodeAndNPM()
	if localnet.Skippable(err) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	blocks := jsBlock.FindAllStringSubmatch(readFile(t, "../../README.md"), -1)
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d ```js blocks, want the one Node snippet", len(blocks))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(readFile(t, filepath.Join("testdata", "node", name))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "snippet.js"), []byte(blocks[0][1]), 0o644); err != nil {
		t.Fatal(err)
	}
	// The optional native WebSocket helpers' install scripts are not needed: ws falls back
	// to JavaScript.
	run(ctx, t, dir, nil, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")

	bin := filepath.Join(dir, "bin")
	run(ctx, t, "../..", nil, "go", "build", "-o", filepath.Join(bin, "sessionkit"), "./cmd/sessionkit")
	out := run(ctx, t, dir, []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}, node, "snippet.js")
	for _, want := range []string{
		"gpl_session (sessionkit build) at KeyspM2ssCJbqUhQ4k7sveSiY4WjnYsrXkC8oDbwde5: executable true",
		"example game at B8V8XNwzi7tfaXdC6YhAn8UB4DZpjy4LMcm2q57WRwSi: executable true",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snippet output lacks %q:\n%s", want, out)
		}
	}
}

// nodeAndNPM finds the tools the snippet and its install need; the error is the one
// localnet gives, so that the test skips exactly when localnet's tests do.
func nodeAndNPM() (node, npm string, err error) {
	if localnet.Backend(os.Getenv(localnet.EnvBackend)) == localnet.Off {
		return "", "", localnet.ErrDisabled
	}
	if node, err = exec.LookPath("node"); err != nil {
		return "", "", localnet.ErrNodeMissing
	}
	if npm, err = exec.LookPath("npm"); err != nil {
		return "", "", localnet.ErrNodeMissing
	}
	return node, npm, nil
}

func run(ctx context.Context, t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
