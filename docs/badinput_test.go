// Package docs holds the user-facing documents that are more than prose:
// this test keeps docs/bad-input.md honest.
package docs

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testRef is the last column of a catalogue row: `path/to/x_test.go`
// `TestName` or `TestName/subtest name`.
var testRef = regexp.MustCompile("`([^`]+_test\\.go)` `(Test[A-Za-z0-9_]+|Fuzz[A-Za-z0-9_]+)(?:/([^`]+))?`")

// TestBadInputCatalogueNamesRealTests: docs/bad-input.md has at least 40
// rows, and every row names a test file that exists, a test function
// declared in it, and a subtest whose name is written in that file.
func TestBadInputCatalogueNamesRealTests(t *testing.T) {
	f, err := os.Open("bad-input.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| #") || strings.HasPrefix(line, "|--") {
			continue
		}
		rows++
		cells := strings.Split(line, " | ")
		m := testRef.FindStringSubmatch(cells[len(cells)-1])
		if m == nil {
			t.Errorf("line %d: the last column names no test as `file_test.go` `TestName[/subtest]`: %s", n, line)
			continue
		}
		src, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("line %d: %v", n, err)
			continue
		}
		if !regexp.MustCompile(`(?m)^func ` + m[2] + `\(`).Match(src) {
			t.Errorf("line %d: %s declares no func %s", n, m[1], m[2])
		}
		if m[3] != "" && !strings.Contains(string(src), `"`+strings.ReplaceAll(m[3], "_", " ")+`"`) && !strings.Contains(string(src), `"`+m[3]+`"`) {
			t.Errorf("line %d: %s has no subtest named %q", n, m[1], m[3])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows < 40 {
		t.Errorf("%d cases; the catalogue promises at least 40", rows)
	}
}
