package floors

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/sessionkit/sessionkit"

// floorOf lists, from the top down, the packages of each floor as module-relative
// paths; a path ending in "/..." covers everything below it. The first match wins, so a
// more specific entry must come before a broader one.
var floorOf = []struct {
	floor int
	paths []string
}{
	// The quick start is a program like the CLI; "." is the root package, which only documents.
	{5, []string{"cmd/...", "internal/quickstart", "."}},
	{4, []string{"internal/programtest", "sessionweb"}}, // test support for the programs' tests; the browser side
	{3, []string{"client/session"}},
	{2, []string{"client/sender", "tokenstore", "tokenstore/...", "localnet", "localnet/..."}},
	{1, []string{"client"}},
	{0, []string{"pda", "client/txn", "client/guard", "client/grant", "client/spl", "client/alt", "client/nonce", "program-idl", "program/...", "internal/..."}},
}

func floor(rel string) (int, bool) {
	for _, f := range floorOf {
		for _, p := range f.paths {
			if rel == p || (strings.HasSuffix(p, "/...") && (rel == strings.TrimSuffix(p, "/...") || strings.HasPrefix(rel, strings.TrimSuffix(p, "...")))) {
				return f.floor, true
			}
		}
	}
	return 0, false
}

// relPath is an import path of the module relative to its root, "." for the root itself.
func relPath(importPath string) string {
	if importPath == module {
		return "."
	}
	return strings.TrimPrefix(importPath, module+"/")
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages runs go list over the module: non-test imports only, since a test may
// reach any floor to set up what it checks.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; is the test running inside the module?", len(pkgs))
	}
	return pkgs
}

func TestNoImportClimbs(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := relPath(p.ImportPath)
		from, ok := floor(rel)
		if !ok {
			t.Errorf("%s has no floor: add it to floorOf and to docs/architecture.md", rel)
			continue
		}
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := relPath(imp)
			to, ok := floor(irel)
			if ok && to > from {
				t.Errorf("%s (floor %d) imports %s (floor %d): imports may not climb", rel, from, irel, to)
			}
		}
	}
}

// The table itself: a broad entry must not shadow a narrower one listed after it.
func TestFloorTable(t *testing.T) {
	tests := map[string]int{
		"client": 1, "client/txn": 0, "client/spl": 0, "client/alt": 0, "client/nonce": 0, "client/sender": 2, "client/session": 3,
		"pda": 0, "tokenstore": 2, "localnet": 2, "localnet/deploy": 2,
		"program/gplsession": 0, "program-idl": 0, "internal/sbfld": 0, "internal/programtest": 4, "sessionweb": 4,
		"cmd/sessionkit": 5, "cmd/sessionkit/internal/cli": 5, "internal/quickstart": 5, ".": 5,
	}
	for rel, want := range tests {
		if got, ok := floor(rel); !ok || got != want {
			t.Errorf("floor(%q) = %d, %v; want %d", rel, got, ok, want)
		}
	}
	if _, ok := floor("clientx"); ok {
		t.Error(`floor("clientx") found a floor; prefixes must end at a path separator`)
	}
}
