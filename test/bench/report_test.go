package main

import (
	"strings"
	"testing"
)

// A missing upstream binary makes every upstream row say so and fails the
// run; a scenario the upstream cannot do is a row that says why and fails
// nothing; an upstream that did not converge is a figure, not a failure.
func TestReportRowsAndExit(t *testing.T) {
	p := defaults(true)
	p.only = map[string]bool{"lb": true, "tcpudp": true}
	missing := upstream("/nonexistent/upstream-gce-ccm", p.upstreamMax)
	if why := missing.skip("lb", 10); !strings.HasPrefix(why, "error: upstream binary /nonexistent/upstream-gce-ccm") {
		t.Errorf("missing binary: skip = %q", why)
	}
	if why := upstream("", 0).skip("lb", 10); !strings.Contains(why, "--upstream-bin") {
		t.Errorf("no binary given: skip = %q", why)
	}
	up := upstream("report_test.go", 1000) // any file that exists
	if why := up.skip("tcpudp", 10); !strings.HasPrefix(why, "cannot: ") {
		t.Errorf("tcpudp: skip = %q", why)
	}
	if why := up.skip("routes", 5000); !strings.HasPrefix(why, "not run: over --upstream-max-nodes=1000") {
		t.Errorf("5,000 nodes: skip = %q", why)
	}
	if why := up.skip("routes", 1000); why != "" {
		t.Errorf("1,000 nodes: skip = %q", why)
	}

	ours := result{Name: "lb", CCM: "gce-ccm", Kind: "lb", Converged: true, WallS: 10, BoundS: 9, Ratio: 1.1, Writes: 52, MinWrites: 52, Reads: 5}
	slow := result{Name: "lb", CCM: "upstream", Kind: "lb", WallS: 90, BoundS: 9, Ratio: 10, Writes: 60, Reads: 500, RateLimited: 20, Conflicts: 2}
	slow.timedOut(timeout(9))
	rep := report{Results: []result{ours, slow, {Name: "tcp+udp", CCM: "upstream", Note: up.skip("tcpudp", 10)}}}
	rep.Goals = checkGoals(p, rep.Results)
	if rep.failed() {
		t.Errorf("failed with gce-ccm within its goals: %+v", rep.Goals)
	}
	md := rep.markdown()
	for _, want := range []string{"| lb | upstream | did not converge in 1m30s | 90.0 s | 9.0 s | 10.00x | 60 | 500 | 8.333 | 20 | 2 |",
		"| lb | > 9.00x | 1.15x | 100.00x | 20 vs 0 |", "| tcp+udp | upstream | cannot: "} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	rep.Results = append(rep.Results, result{Name: "lb", CCM: "upstream", Note: missing.skip("lb", 10)})
	rep.Goals = checkGoals(p, rep.Results)
	if !rep.failed() {
		t.Error("a missing upstream binary did not fail the run")
	}
}
