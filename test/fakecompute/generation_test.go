package fakecompute_test

import (
	"testing"

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
