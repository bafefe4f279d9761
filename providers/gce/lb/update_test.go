package lb

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Updates of a load balancer: each kind of change, with the objects that
// must not be recreated checked by their GCE ids.

type idCheck struct {
	e      *lbTestEnv
	before map[string]string
}

func (e *lbTestEnv) snapshotIDs(t *testing.T) idCheck { return idCheck{e, e.ids(t)} }

// same fails unless each object kept its id.
func (c idCheck) same(t *testing.T, objs ...string) {
	t.Helper()
	after := c.e.ids(t)
	for _, o := range objs {
		if c.before[o] == "" || after[o] != c.before[o] {
			t.Errorf("%s: id %q -> %q; it must be kept, not recreated", o, c.before[o], after[o])
		}
	}
}

func (c idCheck) changed(t *testing.T, objs ...string) {
	t.Helper()
	after := c.e.ids(t)
	for _, o := range objs {
		if after[o] == "" || after[o] == c.before[o] {
			t.Errorf("%s: id %q -> %q; want a new object", o, c.before[o], after[o])
		}
	}
}

func (e *lbTestEnv) calls(id string) int64 { return e.gce.Stats().Calls[id] }

func TestLBUpdatePortsKeepsIPAndFirewall(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	ip := e.ensure(t, svc, nodes)
	ids := e.snapshotIDs(t)
	svc.Spec.Ports = []v1.ServicePort{lbtest.TCP(8080), lbtest.TCP(8443)}
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Errorf("IP %s -> %s; a recreated rule keeps its IP", ip, got)
	}
	ids.changed(t, "forwardingRules/"+n.LB)
	ids.same(t, "firewalls/"+n.Firewall, "targetPools/"+n.LB)
	r, _ := e.api.GetForwardingRule(context.Background(), "us-central1", n.LB)
	fw, _ := e.api.GetFirewall(context.Background(), n.Firewall)
	if r.GetPortRange() != "8080-8443" || !cmp.Equal(plan.AllowedSet(fw.GetAllowed()), []string{"tcp:8080", "tcp:8443"}) {
		t.Errorf("rule %s, firewall %v", r.GetPortRange(), plan.AllowedSet(fw.GetAllowed()))
	}
	if a := e.names(t)["addresses"]; len(a) != 0 {
		t.Errorf("address kept after the recreation: %v", a)
	}
}

func TestLBUpdateProtocolKeepsIP(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	svc := lbtest.Service("dns", lbtest.WithPorts(lbtest.TCP(53)))
	ip := e.ensure(t, svc, nodes)
	svc.Spec.Ports = []v1.ServicePort{lbtest.UDP(53)}
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Errorf("IP %s -> %s", ip, got)
	}
	r, _ := e.api.GetForwardingRule(context.Background(), "us-central1", plan.NamesFor(svc, "").LB)
	if r.GetIPProtocol() != "UDP" {
		t.Errorf("protocol %s", r.GetIPProtocol())
	}
}

func TestLBUpdateSourceRangesPatchesInPlace(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	e.ensure(t, svc, nodes)
	ids := e.snapshotIDs(t)
	e.gce.ResetStats()
	svc.Spec.LoadBalancerSourceRanges = []string{"203.0.113.0/24"}
	e.ensure(t, svc, nodes)
	if st := e.gce.Stats(); st.Mutations != 1 || st.Calls["compute.firewalls.patch"] != 1 {
		t.Errorf("want exactly one firewall patch, got %v", st.Calls)
	}
	ids.same(t, "firewalls/"+n.Firewall, "forwardingRules/"+n.LB)
	fw, _ := e.api.GetFirewall(context.Background(), n.Firewall)
	if !cmp.Equal(fw.GetSourceRanges(), []string{"203.0.113.0/24"}) {
		t.Errorf("source ranges %v", fw.GetSourceRanges())
	}
}

func TestLBUpdateToUserAddress(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	old := e.ensure(t, svc, nodes)
	ctx := context.Background()
	if err := e.api.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String("mine")}); err != nil {
		t.Fatal(err)
	}
	mine, _ := e.api.GetAddress(ctx, "us-central1", "mine")
	svc.Spec.LoadBalancerIP = mine.GetAddress()
	if ip := e.ensure(t, svc, nodes); ip != mine.GetAddress() || ip == old {
		t.Fatalf("IP %s, want %s", ip, mine.GetAddress())
	}
	fw, _ := e.api.GetFirewall(ctx, n.Firewall)
	if !cmp.Equal(fw.GetDestinationRanges(), []string{mine.GetAddress()}) {
		t.Errorf("firewall still pinned to %v", fw.GetDestinationRanges())
	}
	if d := cmp.Diff([]string{"mine"}, e.names(t)["addresses"]); d != "" {
		t.Errorf("addresses %s", d)
	}
}

// Zero-downtime transition 1: externalTrafficPolicy swaps the health check
// on the pool; the rule and the pool are the same objects throughout.
func TestLBZeroDowntimeTrafficPolicy(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	ip := e.ensure(t, svc, nodes)
	ids := e.snapshotIDs(t)
	e.gce.ResetStats()

	lbtest.WithLocal(30123)(svc)
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Errorf("IP changed %s -> %s", ip, got)
	}
	ids.same(t, "forwardingRules/"+n.LB, "targetPools/"+n.LB, "firewalls/"+n.Firewall)
	tp, _ := e.pool(context.Background(), n.LB)
	if !cmp.Equal(tp.GetHealthChecks(), []string{gceBase + "global/httpHealthChecks/" + n.LocalCheck}) {
		t.Errorf("pool checks %v", tp.GetHealthChecks())
	}
	// The only user of the shared check moved away: it and its rule go.
	if d := cmp.Diff([]string{n.LocalCheck}, e.names(t)["httpHealthChecks"]); d != "" {
		t.Errorf("checks: %s", d)
	}
	svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = v1.ServiceExternalTrafficPolicyCluster, 0
	e.ensure(t, svc, nodes)
	ids.same(t, "forwardingRules/"+n.LB, "targetPools/"+n.LB, "firewalls/"+n.Firewall)
	if d := cmp.Diff([]string{n.NodesCheck}, e.names(t)["httpHealthChecks"]); d != "" {
		t.Errorf("checks: %s", d)
	}
	for _, id := range []string{"compute.forwardingRules.insert", "compute.forwardingRules.delete", "compute.targetPools.insert", "compute.targetPools.delete"} {
		if e.calls(id) != 0 {
			t.Errorf("%s called %d times during traffic-policy changes", id, e.calls(id))
		}
	}
}

// Zero-downtime transition 2: session affinity builds a second pool and
// repoints the rule at it; the rule is never deleted.
func TestLBZeroDowntimeSessionAffinity(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	ip := e.ensure(t, svc, nodes)
	ids := e.snapshotIDs(t)
	e.gce.ResetStats()

	lbtest.WithAffinity(svc)
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Errorf("IP changed %s -> %s", ip, got)
	}
	ids.same(t, "forwardingRules/"+n.LB)
	ctx := context.Background()
	r, _ := e.api.GetForwardingRule(ctx, "us-central1", n.LB)
	alt, err := e.pool(ctx, n.AltPool)
	if err != nil || alt.GetSessionAffinity() != "CLIENT_IP" || len(alt.GetInstances()) != 2 || gceref.Name(r.GetTarget()) != n.AltPool {
		t.Fatalf("rule -> %s, pool %v %v", r.GetTarget(), alt, err)
	}
	if d := cmp.Diff([]string{n.AltPool}, e.names(t)["targetPools"]); d != "" {
		t.Errorf("pools: %s", d)
	}
	svc.Spec.SessionAffinity = v1.ServiceAffinityNone
	e.ensure(t, svc, nodes)
	ids.same(t, "forwardingRules/"+n.LB)
	if d := cmp.Diff([]string{n.LB}, e.names(t)["targetPools"]); d != "" {
		t.Errorf("pools: %s", d)
	}
	if e.calls("compute.forwardingRules.setTarget") != 2 || e.calls("compute.forwardingRules.insert")+e.calls("compute.forwardingRules.delete") != 0 {
		t.Errorf("calls %v", e.gce.Stats().Calls)
	}
}

// Zero-downtime transition 3: a second protocol joins on the same IP
// (reserved from then on) without touching the first protocol's rule.
func TestLBZeroDowntimeSecondProtocol(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("dns", lbtest.WithPorts(lbtest.TCP(53)))
	n := plan.NamesFor(svc, testClusterID)
	ip := e.ensure(t, svc, nodes)
	ids := e.snapshotIDs(t)
	svc.Spec.Ports = []v1.ServicePort{lbtest.TCP(53), lbtest.UDP(53)}
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Fatalf("IP changed %s -> %s", ip, got)
	}
	ids.same(t, "forwardingRules/"+n.LB, "targetPools/"+n.LB, "firewalls/"+n.Firewall)
	udpRule, err := e.api.GetForwardingRule(context.Background(), "us-central1", n.UDPRule)
	if err != nil || udpRule.GetIPAddress() != ip {
		t.Fatalf("UDP rule %v %v", udpRule, err)
	}
	if d := cmp.Diff([]string{n.LB}, e.names(t)["addresses"]); d != "" {
		t.Errorf("the shared IP is reserved: %s", d)
	}
	svc.Spec.Ports = []v1.ServicePort{lbtest.TCP(53)}
	if got := e.ensure(t, svc, nodes); got != ip {
		t.Fatalf("IP changed %s -> %s", ip, got)
	}
	ids.same(t, "forwardingRules/"+n.LB)
	if got := e.names(t); len(got["addresses"]) != 0 || !cmp.Equal(got["forwardingRules"], []string{n.LB}) {
		t.Errorf("after dropping UDP: %v", got)
	}
}

func (e *lbTestEnv) members(t *testing.T, pool string) []string {
	t.Helper()
	tp, err := e.pool(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, u := range tp.GetInstances() {
		out = append(out, gceref.Name(u))
	}
	sort.Strings(out)
	return out
}

func TestLBNodesAddedRemovedExcluded(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 4)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	e.ensure(t, svc, nodes[:3])
	ctx := context.Background()

	e.gce.ResetStats()
	more := e.seedNodes(t, "us-central1-b", 4, 6)
	if err := e.lb.UpdateLoadBalancer(ctx, testCluster, svc, append(nodes, more...)); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"node-000", "node-001", "node-002", "node-003", "node-004", "node-005"}, e.members(t, n.LB)); d != "" {
		t.Errorf("after adding: %s", d)
	}
	if st := e.gce.Stats(); st.Mutations != 1 || st.Calls["compute.targetPools.addInstance"] != 1 {
		t.Errorf("three nodes added in %v; want one addInstance", st.Calls)
	}
	// node-001 is excluded (the service controller leaves it out) and
	// node-004 deleted: one removeInstance.
	e.gce.ResetStats()
	kept := []*v1.Node{nodes[0], nodes[2], nodes[3], more[1]}
	if err := e.lb.UpdateLoadBalancer(ctx, testCluster, svc, kept); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"node-000", "node-002", "node-003", "node-005"}, e.members(t, n.LB)); d != "" {
		t.Errorf("after removing: %s", d)
	}
	if st := e.gce.Stats(); st.Mutations != 1 || st.Calls["compute.targetPools.removeInstance"] != 1 {
		t.Errorf("two nodes removed in %v; want one removeInstance", st.Calls)
	}
	// No nodes at all is refused rather than emptying the pool.
	if err := e.lb.UpdateLoadBalancer(ctx, testCluster, svc, nil); err == nil {
		t.Error("an empty node set emptied the pool")
	}
	if got := e.members(t, n.LB); len(got) != 4 {
		t.Errorf("members %v", got)
	}
}

func TestLBPoolBatchesOf1000(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, func(_ *gceapi.Config, d *Deps) { d.NodeTags = []string{"node"} })
	nodes := e.seedNodes(t, "us-central1-a", 0, 2100)
	svc := lbtest.Service("web")
	n := plan.NamesFor(svc, testClusterID)
	e.ensure(t, svc, nodes)
	if got := len(e.members(t, n.LB)); got != 2100 {
		t.Fatalf("%d members", got)
	}
	// 200 in the insert, then 1,000 + 900.
	if got := e.calls("compute.targetPools.addInstance"); got != 2 {
		t.Errorf("%d addInstance calls, want 2", got)
	}
	if err := e.lb.UpdateLoadBalancer(context.Background(), testCluster, svc, nodes[:600]); err != nil {
		t.Fatal(err)
	}
	if got := e.calls("compute.targetPools.removeInstance"); got != 2 {
		t.Errorf("%d removeInstance calls for 1,500 nodes, want 2", got)
	}
	if got := len(e.members(t, n.LB)); got != 600 {
		t.Errorf("%d members", got)
	}
}

// One list of the region's pools serves a burst of UpdateLoadBalancer
// calls; our own writes invalidate what they touched.
func TestLBPoolListSharedByABurst(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	var svcs []*v1.Service
	for i := 0; i < 20; i++ {
		svc := lbtest.Service(fmt.Sprintf("svc-%02d", i))
		svcs = append(svcs, svc)
		e.ensure(t, svc, nodes)
	}
	more := append(nodes, e.seedNodes(t, "us-central1-a", 2, 3)...)
	e.gce.ResetStats()
	start := time.Now()
	e.updateAll(t, svcs, more, 10)
	st := e.gce.Stats()
	// One list, begun after the ensures' writes, serves all 20 updates; a
	// listing of 20 pools is two pages (gceapi asks for 10 pools first).
	maxLists := 1 + int64(time.Since(start)/snapshot.TTL)
	if st.Calls["compute.targetPools.list"] > 2*maxLists || st.Calls["compute.targetPools.get"] != 0 || st.Calls["compute.targetPools.addInstance"] != 20 {
		t.Errorf("20 updates: %v; want %d listing(s) of 2 pages, no GET, 20 addInstance", st.Calls, maxLists)
	}
	// Right after our own write, a pool is read afresh: removing the node
	// again within the cache's lifetime sees it as a member.
	if err := e.lb.UpdateLoadBalancer(context.Background(), testCluster, svcs[0], nodes); err != nil {
		t.Fatal(err)
	}
	if got := e.members(t, plan.NamesFor(svcs[0], "").LB); len(got) != 2 {
		t.Errorf("members %v", got)
	}
}

// A VM deleted out of band leaves its pools in GCE; the cached list still
// shows it. The update then reads the pool afresh instead of failing.
func TestLBUpdateAfterVMVanished(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 3)
	svc := lbtest.Service("web")
	e.ensure(t, svc, nodes)
	if _, err := e.lb.pools.View(context.Background(), snapshot.Recency{}); err != nil { // cache the pool with node-002
		t.Fatal(err)
	}
	if err := e.gce.DeleteInstanceNow("us-central1-a", "node-002"); err != nil {
		t.Fatal(err)
	}
	if err := e.lb.UpdateLoadBalancer(context.Background(), testCluster, svc, nodes[:2]); err != nil {
		t.Fatalf("update after an out-of-band VM deletion: %v", err)
	}
	if got := e.members(t, plan.NamesFor(svc, "").LB); !cmp.Equal(got, []string{"node-000", "node-001"}) {
		t.Errorf("members %v", got)
	}
}

// Above poolsNarrowAbove members a sync that cannot use the cached list
// reads its own pools by name instead of listing them all: after a burst
// of updates (each wrote its pool), the next burst is one filtered read per
// load balancer, each seeing its own write.
func TestLBLargePoolsReadByName(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	e.lb.narrowPools(10) // 20 pools of 2 members weigh 40
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	var svcs []*v1.Service
	for i := 0; i < 20; i++ {
		svc := lbtest.Service(fmt.Sprintf("svc-%02d", i))
		svcs = append(svcs, svc)
		e.ensure(t, svc, nodes)
	}
	if _, err := e.lb.pools.View(context.Background(), snapshot.Fresh()); err != nil { // weigh the pools
		t.Fatal(err)
	}
	more := append(nodes, e.seedNodes(t, "us-central1-a", 2, 3)...)
	e.updateAll(t, svcs, more, len(svcs)) // each writes its pool
	e.gce.ResetStats()
	e.updateAll(t, svcs, nodes, len(svcs)) // each must read its pool after its own write
	st := e.gce.Stats()
	if st.Calls["compute.targetPools.list"] != 20 || st.Calls["compute.targetPools.removeInstance"] != 20 {
		t.Errorf("20 updates of large pools: %v; want 20 lists (one per load balancer, by name) and 20 removeInstance", st.Calls)
	}
	for _, svc := range svcs {
		if got := e.members(t, plan.NamesFor(svc, "").LB); len(got) != 2 {
			t.Errorf("%s: members %v, want 2", svc.Name, got)
		}
	}
}

// updateAll updates every Service's load balancer to hosts, at most
// parallel at a time.
func (e *lbTestEnv) updateAll(t *testing.T, svcs []*v1.Service, hosts []*v1.Node, parallel int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(svcs))
	sem := make(chan struct{}, parallel)
	for _, svc := range svcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- e.lb.UpdateLoadBalancer(context.Background(), testCluster, svc, hosts)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
