package fakecompute_test

import (
	"sort"
	"strings"
	"testing"

	gce "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The state generation moves on every change and only then, through Go and
// the admin API alike: the dataplane polls it to follow the emulator.
func TestStateGeneration(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	var g struct{ Generation uint64 }
	e.rawJSON("GET", "/_internal/state/generation", "", &g)
	if g.Generation != e.ts.Generation() {
		t.Fatalf("admin API says %d, Go says %d", g.Generation, e.ts.Generation())
	}
	before := e.ts.Generation()
	_ = e.ts.Dump()
	e.routeNames("")
	if e.ts.Generation() != before {
		t.Fatalf("reads moved the generation: %d -> %d", before, e.ts.Generation())
	}
	e.seed(fakecompute.InstanceSeed{Name: "vm", Zone: zoneA})
	afterSeed := e.ts.Generation()
	if afterSeed <= before {
		t.Fatalf("a seeded VM did not move the generation: %d -> %d", before, afterSeed)
	}
	e.insertRoute("r", "10.64.0.0/24", "vm")
	afterRoute := e.ts.Generation()
	if afterRoute <= afterSeed {
		t.Fatalf("an inserted route did not move the generation")
	}
	e.ts.Reset()
	if e.ts.Generation() <= afterRoute {
		t.Fatalf("Reset did not move the generation")
	}
}

// Visit sees every stored object of one collection, in every scope, and
// nothing of the others: the bench counts routes and pool members with it.
func TestVisitSeesOneCollection(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "vm-a", Zone: zoneA}, fakecompute.InstanceSeed{Name: "vm-b", Zone: zoneB})
	e.insertRoute("r", "10.64.0.0/24", "vm-a")
	var vms []string
	e.ts.Visit("instances", func(o any) { vms = append(vms, o.(*gce.Instance).Name) })
	sort.Strings(vms)
	if strings.Join(vms, ",") != "vm-a,vm-b" {
		t.Fatalf("Visit(instances) saw %v, want vm-a and vm-b (two zones)", vms)
	}
	ours := 0
	e.ts.Visit("routes", func(o any) {
		if !fakecompute.IsSystemRoute(o.(*gce.Route)) {
			ours++
		}
	})
	if ours != 1 {
		t.Fatalf("Visit(routes) saw %d non-system routes, want 1", ours)
	}
}
