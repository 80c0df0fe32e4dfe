package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// quickStart is the README's first example as the WalkDir in TestReadmeSnippetsCompile
// spells its path; internal/quickstart's own test runs it.
var quickStart = filepath.Join("..", "..", "internal", "quickstart", "main.go")

// A newcomer copies the first Go block into a main.go and runs it, so it must be the whole
// program, not an excerpt of it.
func TestReadmeQuickStartIsWholeProgram(t *testing.T) {
	readme := readFile(t, "../../README.md")
	first := goBlock.FindStringSubmatch(readme)
	if first == nil {
		t.Fatal("README.md has no ```go block")
	}
	if want := readFile(t, quickStart); first[1] != want {
		t.Errorf("README.md's first go block differs from %s; paste the file into the README unchanged", quickStart)
	}
}

var (
	importLine   = regexp.MustCompile(`(?m)^\s*(?:\w+\s+)?"github\.com/sessionkit/sessionkit/([^"]+)"$`)
	packageTable = regexp.MustCompile("(?s)## What is in the box\n(.*?)\n## ")
)

// Every package the quick start and the Examples import must be findable from the README's
// package table, or a reader of an example meets a package the README never introduced.
func TestReadmePackageTableCoversExamples(t *testing.T) {
	m := packageTable.FindStringSubmatch(readFile(t, "../../README.md"))
	if m == nil {
		t.Fatal(`README.md has no "## What is in the box" section`)
	}
	table := m[1]
	sources := []string{quickStart}
	examples, err := filepath.Glob("../../*/example*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	sources = append(sources, examples...)
	for _, pattern := range []string{"../../*/*/example*_test.go", "../../*/*/*/example*_test.go"} {
		more, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, more...)
	}
	if len(sources) < 5 {
		t.Fatalf("found only %v; is the test running in internal/doccheck?", sources)
	}
	for _, src := range sources {
		text := readFile(t, src)
		if src != quickStart && !strings.Contains(text, "\nfunc Example") {
			continue
		}
		for _, imp := range importLine.FindAllStringSubmatch(text, -1) {
			if rel := imp[1]; !strings.Contains(table, "[`"+rel+"`]") {
				t.Errorf("%s imports %s, which the README's package table does not link", src, rel)
			}
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
