package localnet_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCLIDoesNotLinkTesting keeps localnet's test helpers in localnettest: once
// a non-test file imports package testing, every binary that uses localnet
// links it, and its flags, too.
func TestCLIDoesNotLinkTesting(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../cmd/sessionkit")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		if slices.Contains(strings.Fields(imports), "testing") {
			t.Errorf("cmd/sessionkit links package testing, imported by %s", pkg)
		}
	}
}
