package lb

import (
	"context"
	"errors"
	"slices"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestLBDelete(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []func(*v1.Service)
	}{
		{"cluster traffic", nil},
		{"local traffic", []func(*v1.Service){lbtest.WithLocal(30123)}},
		{"TCP and UDP", []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))}},
		{"after an affinity swap", []func(*v1.Service){lbtest.WithAffinity}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLBTestEnv(t, fakecompute.Options{}, nil)
			nodes := e.seedNodes(t, "us-central1-a", 0, 2)
			svc := lbtest.Service("web")
			e.ensure(t, svc, nodes)
			for _, o := range tc.opts {
				o(svc)
			}
			e.ensure(t, svc, nodes)
			ctx := context.Background()
			if _, exists, err := e.lb.GetLoadBalancer(ctx, testCluster, svc); err != nil || !exists {
				t.Fatalf("GetLoadBalancer: exists %v, %v", exists, err)
			}
			e.remove(t, svc)
			if got := e.lbState(t); len(got) != 0 {
				t.Fatalf("left over: %v", e.names(t))
			}
			if _, exists, err := e.lb.GetLoadBalancer(ctx, testCluster, svc); err != nil || exists {
				t.Fatalf("GetLoadBalancer after delete: exists %v, %v", exists, err)
			}
			// Deleting again is a no-op.
			e.gce.ResetStats()
			e.remove(t, svc)
			if st := e.gce.Stats(); st.Mutations != 0 {
				t.Errorf("second delete wrote %v", st.Calls)
			}
		})
	}
}

// The shared node check belongs to every Cluster-traffic Service: it goes
// with the last of them, not before.
func TestLBSharedCheckOwnership(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	a, b, c := lbtest.Service("a"), lbtest.Service("b"), lbtest.Service("c", lbtest.WithLocal(30100))
	for _, s := range []*v1.Service{a, b, c} {
		e.ensure(t, s, nodes)
	}
	shared := []string{"k8s-" + testClusterID + "-node"}
	checks := func() []string { return e.names(t)["httpHealthChecks"] }
	e.remove(t, a)
	if got := checks(); !cmp.Equal(got, slices.Sorted(slices.Values(append(shared, plan.NamesFor(c, "").LocalCheck)))) {
		t.Fatalf("after deleting a: checks %v", got)
	}
	// b moves to Local: the shared check has no user left and goes.
	lbtest.WithLocal(30200)(b)
	e.ensure(t, b, nodes)
	if got := checks(); slices.Contains(got, shared[0]) {
		t.Fatalf("shared check kept without users: %v", got)
	}
	if fws := e.names(t)["firewalls"]; slices.Contains(fws, "k8s-"+testClusterID+"-node-http-hc") {
		t.Errorf("shared check firewall kept: %v", fws)
	}
	// A new Cluster-traffic Service brings it back; deleting c (Local)
	// leaves it alone.
	d := lbtest.Service("d")
	e.ensure(t, d, nodes)
	e.remove(t, c)
	if got := checks(); !slices.Contains(got, shared[0]) {
		t.Fatalf("deleting a Local Service removed the shared check: %v", got)
	}
	e.remove(t, b)
	e.remove(t, d)
	if got := e.lbState(t); len(got) != 0 {
		t.Fatalf("left over: %v", e.names(t))
	}
}

// upstreamLB creates, through the API, a load balancer as the upstream
// provider leaves it: same names, descriptions without a cluster name.
func upstreamLB(t *testing.T, e *lbTestEnv, svc *v1.Service, nodes []*v1.Node) {
	t.Helper()
	ctx := context.Background()
	api := e.api
	n := plan.NamesFor(svc, testClusterID)
	desc := `{"kubernetes.io/service-name":"default/web"}`
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(api.InsertHTTPHealthCheck(ctx, &computev1.HttpHealthCheck{Name: n.NodesCheck, Port: 10256, RequestPath: "/healthz",
		CheckIntervalSec: 8, TimeoutSec: 1, HealthyThreshold: 1, UnhealthyThreshold: 3, Description: `{"kubernetes.io/service-name":"` + n.NodesCheck + `"}`}))
	must(api.InsertFirewall(ctx, &computepb.Firewall{Name: proto.String(n.NodesCheckFirewall), Description: proto.String(`{"kubernetes.io/cluster-id":"` + testClusterID + `"}`),
		Network: proto.String("global/networks/default"), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"10256"}}},
		SourceRanges: []string{"130.211.0.0/22", "35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"}, TargetTags: []string{"node"}}))
	var insts []string
	for _, nd := range nodes {
		vm, _ := gceref.ParseProviderID(nd.Spec.ProviderID)
		insts = append(insts, vm.SelfLink())
	}
	must(api.InsertTargetPool(ctx, "us-central1", &computepb.TargetPool{Name: proto.String(n.LB), Description: proto.String(desc),
		Instances: insts, SessionAffinity: proto.String("NONE"), HealthChecks: []string{"global/httpHealthChecks/" + n.NodesCheck}}))
	must(api.InsertForwardingRule(ctx, "us-central1", &computepb.ForwardingRule{Name: proto.String(n.LB), Description: proto.String(desc),
		IPProtocol: proto.String("TCP"), PortRange: proto.String("80-80"), Target: proto.String("regions/us-central1/targetPools/" + n.LB)}))
	r, _ := api.GetForwardingRule(ctx, "us-central1", n.LB)
	must(api.InsertFirewall(ctx, &computepb.Firewall{Name: proto.String(n.Firewall),
		Description: proto.String(`{"kubernetes.io/service-name":"default/web","kubernetes.io/service-ip":"` + r.GetIPAddress() + `"}`),
		Network:     proto.String("global/networks/default"), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80"}}},
		SourceRanges: []string{"0.0.0.0/0"}, DestinationRanges: []string{r.GetIPAddress()}, TargetTags: []string{"node"}}))
}

func TestLBAdoptsUpstream(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web")
	upstreamLB(t, e, svc, nodes)
	n := plan.NamesFor(svc, testClusterID)
	r, _ := e.api.GetForwardingRule(context.Background(), "us-central1", n.LB)
	ids := e.snapshotIDs(t)
	e.gce.ResetStats()
	if ip := e.ensure(t, svc, nodes); ip != r.GetIPAddress() {
		t.Fatalf("IP %s, want upstream's %s", ip, r.GetIPAddress())
	}
	ids.same(t, "forwardingRules/"+n.LB, "targetPools/"+n.LB, "firewalls/"+n.Firewall, "httpHealthChecks/"+n.NodesCheck, "firewalls/"+n.NodesCheckFirewall)
	// Only the descriptions of what can be changed in place are rewritten.
	want := map[string]int64{"compute.firewalls.patch": 2, "compute.httpHealthChecks.update": 1}
	for id, n := range e.gce.Stats().Calls {
		if isWrite(id) && want[id] != n {
			t.Errorf("%s x%d on adoption; want %v", id, n, want)
		}
	}
	e.gce.ResetStats()
	e.ensure(t, svc, nodes)
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("adopted load balancer still rewritten: %v", st.Calls)
	}
	e.remove(t, svc)
	if got := e.lbState(t); len(got) != 0 {
		t.Fatalf("left over: %v", e.names(t))
	}
}

func isWrite(methodID string) bool {
	for _, v := range []string{"insert", "delete", "patch", "update", "addInstance", "removeInstance", "addHealthCheck", "removeHealthCheck", "setTarget"} {
		if len(methodID) > len(v) && methodID[len(methodID)-len(v):] == v {
			return true
		}
	}
	return false
}

// Objects under our names that belong to someone else are neither used
// nor deleted.
func TestLBDeleteLeavesForeignObjects(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	ctx := context.Background()
	if err := e.api.InsertFirewall(ctx, &computepb.Firewall{Name: proto.String(n.Firewall), Description: proto.String(`{"kubernetes.io/service-name":"default/web","kubernetes.io/cluster-name":"prod-2"}`),
		Network: proto.String("global/networks/default"), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp")}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.api.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String(n.LB), Description: proto.String("reserved by hand")}); err != nil {
		t.Fatal(err)
	}
	before := e.lbState(t)
	e.gce.ResetStats()
	e.remove(t, svc)
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("deletion wrote %v", st.Calls)
	}
	if d := cmp.Diff(before, e.lbState(t)); d != "" {
		t.Errorf("foreign objects changed:\n%s", d)
	}
	if _, exists, _ := e.lb.GetLoadBalancer(ctx, testCluster, svc); exists {
		t.Error("foreign objects reported as our load balancer")
	}
}

// A Service with a loadBalancerClass is another controller's: Ensure and
// Update decline, deletion removes only what this cluster made.
func TestLBClassIsImplementedElsewhere(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web")
	upstreamLB(t, e, svc, nodes)
	class := "networking.gke.io/l4-regional-external-legacy"
	svc.Spec.LoadBalancerClass = &class
	ctx := context.Background()
	if _, err := e.lb.EnsureLoadBalancer(ctx, testCluster, svc, nodes); !errors.Is(err, cloudprovider.ImplementedElsewhere) {
		t.Errorf("Ensure: %v", err)
	}
	if err := e.lb.UpdateLoadBalancer(ctx, testCluster, svc, nodes); !errors.Is(err, cloudprovider.ImplementedElsewhere) {
		t.Errorf("Update: %v", err)
	}
	before := e.lbState(t)
	e.remove(t, svc)
	if d := cmp.Diff(before, e.lbState(t)); d != "" {
		t.Errorf("deleting a classed Service touched upstream-made objects:\n%s", d)
	}
}

// A deletion stopped half-way is still found by GetLoadBalancer, so the
// service controller finishes it.
func TestLBGetLoadBalancerSeesRemains(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	svc := lbtest.Service("web", lbtest.WithLocal(30123))
	ip := e.ensure(t, svc, nodes)
	ctx := context.Background()
	st, exists, err := e.lb.GetLoadBalancer(ctx, testCluster, svc)
	if err != nil || !exists || len(st.Ingress) != 1 || st.Ingress[0].IP != ip {
		t.Fatalf("GetLoadBalancer: %v %v %v", st, exists, err)
	}
	n := plan.NamesFor(svc, "")
	if err := e.api.DeleteForwardingRule(ctx, "us-central1", n.LB); err != nil {
		t.Fatal(err)
	}
	if err := e.api.DeleteTargetPool(ctx, "us-central1", n.LB); err != nil {
		t.Fatal(err)
	}
	if _, exists, _ := e.lb.GetLoadBalancer(ctx, testCluster, svc); !exists {
		t.Fatal("the remains (check, firewalls) are not reported")
	}
	e.remove(t, svc)
	if got := e.lbState(t); len(got) != 0 {
		t.Fatalf("left over: %v", e.names(t))
	}
}
