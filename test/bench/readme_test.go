package main

import (
	"os"
	"strings"
	"testing"
)

// The README's table is the committed run's results.md, as make
// bench-readme writes it: a hand edit of either, or a new run copied to
// test/bench/results without regenerating the README, fails here.
func TestReadmeBlockIsTheResultsFile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile("results/results.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := spliceReadme(readme, readmeBlock(md, "test/bench/results"))
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(readme) {
		t.Errorf("README.md's benchmark block is not test/bench/results/results.md: run `make bench-readme`")
	}
}

func TestSpliceReadme(t *testing.T) {
	doc := "intro\n" + readmeBegin + "old table\n" + readmeEnd + "after\n"
	got, err := spliceReadme([]byte(doc), readmeBlock([]byte("| a |\n![routes over time](routes.svg)\n\n"), "test/bench/results"))
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n" + readmeBegin + "| a |\n![routes over time](test/bench/results/routes.svg)\n" + readmeEnd + "after\n"
	if string(got) != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", got, want)
	}
	for name, bad := range map[string]string{
		"no markers":    "intro\n",
		"no end":        readmeBegin + "x\n",
		"end the first": readmeEnd + "x\n" + readmeBegin,
	} {
		if _, err := spliceReadme([]byte(bad), "x\n"); err == nil || !strings.Contains(err.Error(), "README") {
			t.Errorf("%s: err = %v, want one naming the README's block", name, err)
		}
	}
}
