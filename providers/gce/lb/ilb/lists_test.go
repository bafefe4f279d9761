package ilb_test

import (
	"fmt"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
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

const (
	sharedCheck         = "k8s-" + clusterID + "-node"
	sharedCheckFirewall = sharedCheck + "-hc"
)

// hasFirewall fails the test unless the firewall exists.
func (e *env) hasFirewall(name string) {
	e.t.Helper()
	if _, err := e.api.GetFirewall(e.ctx, name); err != nil {
		e.t.Fatalf("firewall %s: %v", name, err)
	}
}

// A Local Service made right after a Cluster one (within the lists' TTL)
// sees the Cluster one's backend service using the shared check: the
// users of a shared object are never decided on a list older than our own
// last backend-service write, so the check and its firewall are not even
// tried.
func TestSharedCheckUsersSeeOurLastBackend(t *testing.T) {
	e := newEnv(t)
	e.ensure(service("cluster"))
	e.ensure(service("local", withLocal(30080)))
	e.hasFirewall(sharedCheckFirewall)
	if n := e.gce.Stats().Calls["compute.healthChecks.delete"]; n != 0 {
		t.Errorf("%d deletions of a check in use tried", n)
	}
}

// A shared check GCE keeps because a backend service the lists have not
// seen uses it (another actor's, made within the TTL) keeps its firewall:
// GCE protects the check, not the firewall its probes need.
func TestSharedCheckInUseKeepsItsFirewall(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	e.ensure(svc)
	e.ensure(svc) // the lists now begin after our last write
	other := &computepb.BackendService{Name: proto.String("other"), LoadBalancingScheme: proto.String("INTERNAL"),
		Protocol: proto.String("TCP"), HealthChecks: []string{base + "global/healthChecks/" + sharedCheck}}
	if err := e.api.InsertBackendService(e.ctx, region, other); err != nil {
		t.Fatal(err)
	}
	withLocal(30080)(svc) // the flip makes the shared check unused as far as the lists know
	e.ensure(svc)
	e.hasFirewall(sharedCheckFirewall)
	if n := e.gce.Stats().Calls["compute.healthChecks.delete"]; n != 1 {
		t.Fatalf("%d deletions of the shared check tried; want the one GCE refuses (the lists must be stale for this test)", n)
	}
}
