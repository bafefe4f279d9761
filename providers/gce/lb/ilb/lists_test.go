package ilb_test

import (
	"fmt"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"
)

// syncAll runs Ensure for every Service at once and fails on any error.
func (e *env) syncAll(svcs []*v1.Service) {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(svcs))
	for _, svc := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.c.Ensure(e.ctx, e.request(svc)); err != nil {
				errs <- fmt.Errorf("%s: %w", svc.Name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Error(err)
	}
}

// TestSyncsShareLists: syncs of many Services read each collection from
// one shared list (package snapshot), not once per Service.
func TestSyncsShareLists(t *testing.T) {
	e := newEnv(t)
	const n = 10
	var svcs []*v1.Service
	for i := range n {
		svcs = append(svcs, service(fmt.Sprintf("svc%d", i)))
		e.ensure(svcs[i])
	}
	setup := e.gce.Stats()
	e.gce.ResetStats()
	e.syncAll(svcs)
	st := e.gce.Stats()
	if st.Mutations != 0 {
		t.Errorf("unchanged Services wrote: %v", st.Calls)
	}
	// Without sharing each of the n syncs lists every collection (and
	// each zone's group and members) once.
	for _, call := range []string{"compute.forwardingRules.list", "compute.regionBackendServices.list", "compute.healthChecks.list",
		"compute.firewalls.list", "compute.addresses.list", "compute.instanceGroups.list", "compute.instanceGroups.listInstances"} {
		if setup.Calls[call] == 0 {
			t.Fatalf("no %s while the Services were made: a wrong call name", call)
		}
		if got := st.Calls[call]; got >= n {
			t.Errorf("%s: %d calls for %d syncs; want them shared", call, got, n)
		}
	}
}

// TestFirstSyncsAtOnce: Services created at the same moment all converge
// on their first sync, and the shared objects are made once: without the
// setup lock (shared.go) every sync plans the same group inserts and
// member additions and all but one fail on alreadyExists.
func TestFirstSyncsAtOnce(t *testing.T) {
	e := newEnv(t)
	var svcs []*v1.Service
	for i := range 8 {
		svcs = append(svcs, service(fmt.Sprintf("svc%d", i)))
	}
	e.syncAll(svcs)
	calls := e.gce.Stats().Calls
	// Two zones have nodes: one group each, one addInstances each, one
	// shared check and its firewall.
	for call, want := range map[string]int64{"compute.instanceGroups.insert": 2, "compute.instanceGroups.addInstances": 2,
		"compute.healthChecks.insert": 1, "compute.regionBackendServices.insert": int64(len(svcs)), "compute.forwardingRules.insert": int64(len(svcs))} {
		if calls[call] != want {
			t.Errorf("%s: %d calls; want %d", call, calls[call], want)
		}
	}
	for _, svc := range svcs {
		if r := e.ensure(svc); len(r.Actions) != 0 {
			t.Errorf("%s: a second sync wrote %v", svc.Name, r.Actions)
		}
	}
}
