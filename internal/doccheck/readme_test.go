package doccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// The README shows excerpts rather than whole files, so each excerpt must appear, line for
// line, in one of the repository's _test.go files or in the quick start, where the compiler
// checks it.
func TestReadmeSnippetsCompile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```go blocks: the API tour is missing")
	}
	var tests []string
	err = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, "_test.go") || path == quickStart {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			tests = append(tests, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range blocks {
		snippet := b[1]
		found := false
		for _, src := range tests {
			if strings.Contains(src, snippet) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README.md go block %d is not verbatim in any _test.go file nor in the quick start:\n%s", i+1, snippet)
		}
	}
}
