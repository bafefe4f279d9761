package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run's processes merge into one report: a row stopped early in one part
// gives way to the part that has its figures, every part is named, and the
// goals are those of the merged rows.
func TestMergeRuns(t *testing.T) {
	p := defaults(false)
	a := report{Date: "d1", Params: "full", Settings: []string{"s"}, Total: "1m", Load: "1 at the start", Results: []result{
		{Name: "routes from empty, 100 nodes", CCM: "gce-ccm", Kind: "routes", Converged: true, WallS: 7, BoundS: 6, Ratio: 1.17, Writes: 100, MinWrites: 100, Reads: 5},
		{Name: "idle 5m0s, 5000 nodes, 500 LoadBalancers", CCM: "gce-ccm", Kind: "idle", Note: "error: creating the nodes' subnet: context canceled"},
		{Name: "reaction", CCM: "gce-ccm", Kind: "reaction", Note: "error: the run was stopped during this scenario"},
		{Name: "reaction", CCM: "upstream", Kind: "reaction", Note: "error: the run was stopped during this scenario"},
	}}
	b := report{Date: "d2", Params: "full", Settings: []string{"s"}, Total: "2m", Load: "2 at the start", Results: []result{
		{Name: "idle 5m0s, 5000 nodes, 500 LoadBalancers", CCM: "gce-ccm", Kind: "idle", Nodes: 5000, Services: 500, Converged: true, ReadsPerMin: 30, PeakRSSMiB: 200},
		{Name: "reaction", CCM: "upstream", Kind: "reaction", Note: "error: cluster did not converge"},
		{Name: "reaction", CCM: "gce-ccm", Kind: "reaction", Converged: true, WallS: 8, BoundS: 6, Ratio: 1.33, Writes: 2020, MinWrites: 2020},
		// A later part's figures do not replace an earlier part's.
		{Name: "routes from empty, 100 nodes", CCM: "gce-ccm", Kind: "routes", Converged: true, WallS: 99, BoundS: 6, Ratio: 16.5, Writes: 100, MinWrites: 100},
	}}
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, r := range []report{a, b} {
		if err := r.write(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if err := writeMerged(p, dirs, out); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| idle 5m0s, 5000 nodes, 500 LoadBalancers | gce-ccm | steady |",           // b's figures, not a's error
		"| reaction | upstream | error: the run was stopped during this scenario |", // both parts errors: the first part's
		"| reaction | gce-ccm | converged | 8.0 s |",                                // b's figures, not a's stopped scenario
		"One run in 2 processes side by side on this machine (" + dirs[0] + ", " + dirs[1] + ")",
		"d1 and d2",
		"| CCM peak RSS <= 150 MiB (5000 nodes, 500 Services) | 200 MiB | FAIL |", // goals of the merged rows
		"| within 1.2x bound: routes from empty, 100 nodes | 1.17x (7.0 s / 6.0 s) | pass |",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("merged results.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(string(md), "99.0 s") {
		t.Errorf("a later part's row replaced the first part's figures:\n%s", md)
	}
	if i, j := strings.Index(string(md), "| routes from empty, 100 nodes |"), strings.Index(string(md), "| idle 5m0s"); i > j {
		t.Errorf("rows not in the order of the part listing the most:\n%s", md)
	}
	if strings.Contains(string(md), "context canceled") || strings.Contains(string(md), "| reaction | gce-ccm | error") {
		t.Errorf("merged results.md keeps the stopped part's error row:\n%s", md)
	}

	b.Settings = []string{"other"}
	if _, err := mergeRuns(p, []report{a, b}, []string{"a", "b"}); err == nil || !strings.Contains(err.Error(), "b ran with other settings") {
		t.Errorf("parts with other settings: err = %v", err)
	}
	if _, err := readRuns([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "results.json") {
		t.Errorf("a part without results: err = %v", err)
	}
}
