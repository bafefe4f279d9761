package lb

import (
	"context"
	"fmt"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The provider routes internal Services to package ilb (tested there in
// depth) and switches a Service between the kinds without leaking either.

func withInternal(s *v1.Service) { lbtest.WithAnnotation(plan.AnnLBType, "Internal")(s) }

func TestLBExternalInternalSwitch(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := append(e.seedNodes(t, "us-central1-a", 0, 2), e.seedNodes(t, "us-central1-b", 2, 3)...)
	ext := e.ensure(t, lbtest.Service("web"), nodes)
	internal := e.ensure(t, lbtest.Service("web", withInternal), nodes)
	if !strings.HasPrefix(internal, "10.128.") || internal == ext {
		t.Fatalf("internal IP %q (external was %s)", internal, ext)
	}
	lb := plan.NamesFor(lbtest.Service("web"), "").LB
	want := fmt.Sprint(map[string][]string{
		"backendServices": {lb},
		"firewalls":       {"k8s-" + testClusterID + "-node-hc", "k8s-fw-" + lb},
		"forwardingRules": {lb},
		"healthChecks":    {"k8s-" + testClusterID + "-node"},
		"instanceGroups":  {"k8s-ig--" + testClusterID, "k8s-ig--" + testClusterID},
	})
	if got := fmt.Sprint(e.names(t)); got != want {
		t.Fatalf("after the switch to internal:\n got %s\nwant %s", got, want)
	}
	status, exists, err := e.lb.GetLoadBalancer(context.Background(), testCluster, lbtest.Service("web", withInternal))
	if err != nil || !exists || status.Ingress[0].IP != internal {
		t.Fatalf("GetLoadBalancer: %v %v %v", status, exists, err)
	}
	// Nodes: UpdateLoadBalancer follows them in the zone groups.
	if err := e.lb.UpdateLoadBalancer(context.Background(), testCluster, lbtest.Service("web", withInternal), nodes[:2]); err != nil {
		t.Fatal(err)
	}
	if m, err := e.api.ListGroupInstances(context.Background(), "us-central1-a", "k8s-ig--"+testClusterID); err != nil || len(m) != 2 {
		t.Fatalf("zone a's group: %v %v, want 2 members", m, err)
	}
	// Zone b has no node left: its group is emptied and, unused, deleted.
	if got := e.names(t)["instanceGroups"]; len(got) != 1 {
		t.Fatalf("groups after the zone b node left: %v", got)
	}
	// Back to external: nothing internal stays.
	e.ensure(t, lbtest.Service("web"), nodes)
	got := e.names(t)
	for _, coll := range []string{"backendServices", "healthChecks", "instanceGroups"} {
		if len(got[coll]) > 0 {
			t.Errorf("after the switch back to external, %s: %v", coll, got[coll])
		}
	}
	if len(got["targetPools"]) != 1 || len(got["forwardingRules"]) != 1 {
		t.Errorf("no external load balancer: %v", got)
	}
	// Internal again, then deletion: nothing of either kind is left.
	e.ensure(t, lbtest.Service("web", withInternal), nodes)
	if got := e.names(t); len(got["targetPools"]) > 0 || len(got["httpHealthChecks"]) > 0 || len(got["addresses"]) > 0 {
		t.Errorf("external objects left after the switch to internal: %v", got)
	}
	e.remove(t, lbtest.Service("web", withInternal))
	if got := e.names(t); len(got) > 0 {
		t.Fatalf("left after deletion: %v", got)
	}
}
