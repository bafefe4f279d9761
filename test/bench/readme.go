package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The README's benchmark table is not written by hand: it is the block
// between these markers, and `go run ./test/bench --readme README.md
// --out test/bench/results` (make bench-readme) copies a run's results.md
// into it. TestReadmeBlockIsTheResultsFile keeps the two equal.
const (
	readmeBegin = "<!-- bench-results: begin (generated from test/bench/results/results.md by `make bench-readme`; do not edit) -->\n"
	readmeEnd   = "<!-- bench-results: end -->\n"
)

// readmeBlock is a run's results.md as the README shows it: the plot's
// link made relative to the README (the results file sits next to it).
func readmeBlock(resultsMD []byte, resultsDir string) string {
	md := strings.TrimRight(string(resultsMD), "\n") + "\n"
	return strings.ReplaceAll(md, "](routes.svg)", "]("+filepath.ToSlash(filepath.Join(resultsDir, "routes.svg"))+")")
}

// spliceReadme replaces what stands between the markers with block.
func spliceReadme(readme []byte, block string) ([]byte, error) {
	begin := bytes.Index(readme, []byte(readmeBegin))
	end := bytes.Index(readme, []byte(readmeEnd))
	switch {
	case begin < 0 || end < 0:
		return nil, fmt.Errorf("README: no benchmark block (lines %q and %q)", strings.TrimSpace(readmeBegin), strings.TrimSpace(readmeEnd))
	case end < begin:
		return nil, fmt.Errorf("README: the benchmark block's end marker stands before its begin marker")
	}
	var out bytes.Buffer
	out.Write(readme[:begin+len(readmeBegin)])
	out.WriteString(block)
	out.Write(readme[end:])
	return out.Bytes(), nil
}

// writeReadme regenerates readmePath's benchmark block from
// resultsDir/results.md; resultsDir is given relative to the README.
func writeReadme(readmePath, resultsDir string) error {
	md, err := os.ReadFile(filepath.Join(filepath.Dir(readmePath), resultsDir, "results.md"))
	if err != nil {
		return fmt.Errorf("reading the run's results: %w", err)
	}
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	updated, err := spliceReadme(readme, readmeBlock(md, resultsDir))
	if err != nil {
		return fmt.Errorf("%s: %w", readmePath, err)
	}
	return os.WriteFile(readmePath, updated, 0o644)
}
