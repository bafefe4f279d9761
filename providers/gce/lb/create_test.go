package lb

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const gceBase = "https://www.googleapis.com/compute/v1/projects/demo/"

func TestLBCreate(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := append(e.seedNodes(t, "us-central1-a", 0, 2), e.seedNodes(t, "us-central1-b", 2, 3)...)
	svc := lbtest.Service("web", lbtest.WithPorts(lbtest.TCP(443), lbtest.TCP(80), lbtest.TCP(81)), lbtest.WithAnnotation(plan.AnnSourceRanges, "10.0.0.0/8, 192.168.0.0/16"))
	ip := e.ensure(t, svc, nodes)
	lb := plan.NamesFor(svc, testClusterID).LB
	desc := `{"kubernetes.io/service-name":"default/web","kubernetes.io/cluster-name":"prod"}`
	ctx := context.Background()

	r, err := e.api.GetForwardingRule(ctx, "us-central1", lb)
	if err != nil {
		t.Fatal(err)
	}
	if r.GetIPAddress() != ip || r.GetIPProtocol() != "TCP" || r.GetPortRange() != "80-443" || r.GetNetworkTier() != "PREMIUM" ||
		r.GetTarget() != gceBase+"regions/us-central1/targetPools/"+lb || r.GetDescription() != desc {
		t.Errorf("forwarding rule %v", r)
	}
	tp, err := e.pool(ctx, lb)
	if err != nil {
		t.Fatal(err)
	}
	wantMembers := []string{gceBase + "zones/us-central1-a/instances/node-000", gceBase + "zones/us-central1-a/instances/node-001",
		gceBase + "zones/us-central1-b/instances/node-002"}
	if d := cmp.Diff(wantMembers, tp.GetInstances()); d != "" || tp.GetSessionAffinity() != "NONE" ||
		!cmp.Equal(tp.GetHealthChecks(), []string{gceBase + "global/httpHealthChecks/k8s-" + testClusterID + "-node"}) || tp.GetDescription() != desc {
		t.Errorf("target pool %v %s", tp, d)
	}
	fw, err := e.api.GetFirewall(ctx, "k8s-fw-"+lb)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.AllowedSet(fw.GetAllowed()); !cmp.Equal(got, []string{"tcp:443", "tcp:80-81"}) || !cmp.Equal(fw.GetSourceRanges(), []string{"10.0.0.0/8", "192.168.0.0/16"}) ||
		!cmp.Equal(fw.GetDestinationRanges(), []string{ip}) || !cmp.Equal(fw.GetTargetTags(), []string{"node"}) ||
		!strings.Contains(fw.GetDescription(), `"kubernetes.io/service-ip":"`+ip+`"`) {
		t.Errorf("firewall %v", fw)
	}
	hc, err := e.api.GetHTTPHealthCheck(ctx, "k8s-"+testClusterID+"-node")
	if err != nil {
		t.Fatal(err)
	}
	if hc.Port != 10256 || hc.RequestPath != "/healthz" || hc.CheckIntervalSec != 8 || hc.TimeoutSec != 1 || hc.HealthyThreshold != 1 || hc.UnhealthyThreshold != 3 {
		t.Errorf("health check %+v", hc)
	}
	hfw, err := e.api.GetFirewall(ctx, "k8s-"+testClusterID+"-node-http-hc")
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(plan.AllowedSet(hfw.GetAllowed()), []string{"tcp:10256"}) || !cmp.Equal(hfw.GetSourceRanges(), plan.ProbeRanges) || !cmp.Equal(hfw.GetTargetTags(), []string{"node"}) {
		t.Errorf("health-check firewall %v", hfw)
	}
	// The address was reserved only while the rule was made.
	if n := e.names(t)["addresses"]; len(n) != 0 {
		t.Errorf("addresses left: %v", n)
	}
	// Idempotent and cheap: the second sync reads and writes nothing else.
	e.gce.ResetStats()
	if again := e.ensure(t, svc, nodes); again != ip {
		t.Errorf("IP changed: %s -> %s", ip, again)
	}
	if st := e.gce.Stats(); st.Mutations != 0 || st.Reads > 5 {
		t.Errorf("steady-state sync: %d writes, %d reads; want 0 and at most 5 (%v)", st.Mutations, st.Reads, st.Calls)
	}
}

// A new load balancer costs four rounds of operation waits, not one per
// object: (1) the address, the nodes' check and its firewall; (2) the
// Service's firewall (it names the address) and the pool (it names the
// check); (3) the rule; (4) after the sync returned, the release of the
// reserved address. The second Service finds the check made, so its pool
// goes with its address in round 1. Every operation stays pending until the
// test finishes the round (FinishPending): a round is everything the client
// wrote before it had to wait, counted without a clock. A client that waited
// on each write in turn would never have two pending at once; one that wrote
// the rule before its pool would show it in an earlier round.
func TestLBCreateInFewWaits(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{OperationLatency: time.Hour}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	for _, tc := range []struct {
		svc    string
		rounds [][]string
	}{{
		svc: "web",
		rounds: [][]string{
			{"insert addresses/$LB", "insert firewalls/$HFW", "insert httpHealthChecks/$HC"},
			{"insert firewalls/k8s-fw-$LB", "insert targetPools/$LB"},
			{"insert forwardingRules/$LB"},
			{"delete addresses/$LB"},
		},
	}, {
		svc: "api",
		rounds: [][]string{
			{"insert addresses/$LB", "insert targetPools/$LB"},
			{"insert firewalls/k8s-fw-$LB"},
			{"insert forwardingRules/$LB"},
			{"delete addresses/$LB"},
		},
	}} {
		names := plan.NamesFor(lbtest.Service(tc.svc), testClusterID)
		r := strings.NewReplacer("$LB", names.LB, "$HC", names.NodesCheck, "$HFW", names.NodesCheckFirewall)
		done := make(chan error, 1)
		go func() {
			_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, lbtest.Service(tc.svc), nodes)
			e.lb.settle()
			done <- err
		}()
		for i, round := range tc.rounds {
			want := make([]string, len(round))
			for k, w := range round {
				want[k] = r.Replace(w)
			}
			var got []string
			// A deadline only for a client that never writes what is
			// expected: the round ends as soon as the writes are there.
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
				if got = pendingWrites(e.gce); cmp.Equal(want, got) || time.Now().After(deadline) {
					break
				}
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%s, round %d: pending writes (-want +got)\n%s", tc.svc, i+1, d)
			}
			if n := e.gce.FinishPending(); n != len(want) {
				t.Fatalf("%s, round %d: finished %d operations, want %d (a write joined the round late)", tc.svc, i+1, n, len(want))
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s: not done after %d rounds; pending: %v", tc.svc, len(tc.rounds), pendingWrites(e.gce))
		}
	}
	if a := e.names(t)["addresses"]; len(a) != 0 {
		t.Errorf("addresses left after the releases: %v", a)
	}
	if rules := e.names(t)["forwardingRules"]; len(rules) != 2 {
		t.Errorf("forwarding rules %v: want one per Service", rules)
	}
}

// pendingWrites names the emulator's pending operations ("insert
// addresses/NAME"), sorted.
func pendingWrites(gce *fakecompute.TestServer) []string {
	var out []string
	for _, p := range gce.PendingOperations() {
		out = append(out, p.Type+" "+p.Target.Collection+"/"+p.Target.Name)
	}
	sort.Strings(out)
	return out
}

func TestLBMixedProtocols(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("dns", lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53), lbtest.TCP(80)))
	ip := e.ensure(t, svc, nodes)
	n := plan.NamesFor(svc, testClusterID)
	ctx := context.Background()
	tcpRule, err1 := e.api.GetForwardingRule(ctx, "us-central1", n.LB)
	udpRule, err2 := e.api.GetForwardingRule(ctx, "us-central1", n.UDPRule)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if tcpRule.GetIPProtocol() != "TCP" || tcpRule.GetPortRange() != "53-80" || tcpRule.GetIPAddress() != ip ||
		udpRule.GetIPProtocol() != "UDP" || udpRule.GetPortRange() != "53-53" || udpRule.GetIPAddress() != ip {
		t.Errorf("rules %v / %v", tcpRule, udpRule)
	}
	addr, err := e.api.GetAddress(ctx, "us-central1", n.LB)
	if err != nil || addr.GetAddress() != ip || addr.GetStatus() != "IN_USE" {
		t.Fatalf("shared IP must stay reserved: %v %v", addr, err)
	}
	fw, _ := e.api.GetFirewall(ctx, n.Firewall)
	if got := plan.AllowedSet(fw.GetAllowed()); !cmp.Equal(got, []string{"tcp:53", "tcp:80", "udp:53"}) {
		t.Errorf("firewall allows %v", got)
	}
	e.gce.ResetStats()
	e.ensure(t, svc, nodes)
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("steady state wrote %v", st.Calls)
	}
}

func TestLBLocalTraffic(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	svc := lbtest.Service("web", lbtest.WithLocal(30123))
	e.ensure(t, svc, nodes)
	n := plan.NamesFor(svc, testClusterID)
	hc, err := e.api.GetHTTPHealthCheck(context.Background(), n.LocalCheck)
	if err != nil || hc.Port != 30123 || hc.RequestPath != "/healthz" {
		t.Fatalf("per-Service check %+v %v", hc, err)
	}
	fw, err := e.api.GetFirewall(context.Background(), n.LocalCheckFirewall)
	if err != nil || !cmp.Equal(plan.AllowedSet(fw.GetAllowed()), []string{"tcp:30123"}) || !cmp.Equal(fw.GetSourceRanges(), plan.ProbeRanges) {
		t.Fatalf("per-Service check firewall %v %v", fw, err)
	}
	want := map[string][]string{
		"firewalls":        {n.LocalCheckFirewall, n.Firewall},
		"forwardingRules":  {n.LB},
		"httpHealthChecks": {n.LocalCheck},
		"targetPools":      {n.LB},
	}
	if d := cmp.Diff(want, e.names(t)); d != "" {
		t.Errorf("objects (-want +got):\n%s", d)
	}
}

func TestLBStandardTier(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	svc := lbtest.Service("web", lbtest.WithAnnotation(plan.AnnNetworkTier, "Standard"))
	ip := e.ensure(t, svc, nodes)
	r, _ := e.api.GetForwardingRule(context.Background(), "us-central1", plan.NamesFor(svc, "").LB)
	if r.GetNetworkTier() != "STANDARD" || !strings.HasPrefix(ip, "35.206.") {
		t.Errorf("rule tier %s, IP %s; want STANDARD from the Standard pool", r.GetNetworkTier(), ip)
	}
}

func TestLBUserReservedIP(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	ctx := context.Background()
	if err := e.api.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String("my-ip"), NetworkTier: proto.String("PREMIUM")}); err != nil {
		t.Fatal(err)
	}
	mine, _ := e.api.GetAddress(ctx, "us-central1", "my-ip")
	svc := lbtest.Service("web", lbtest.WithIP(mine.GetAddress()))
	if ip := e.ensure(t, svc, nodes); ip != mine.GetAddress() {
		t.Fatalf("IP %s, want the reserved %s", ip, mine.GetAddress())
	}
	e.remove(t, svc)
	if after, err := e.api.GetAddress(ctx, "us-central1", "my-ip"); err != nil || after.GetId() != mine.GetId() {
		t.Fatalf("the user's address must survive the load balancer: %v %v", after, err)
	}
	if n := e.names(t); len(n["forwardingRules"])+len(n["targetPools"])+len(n["firewalls"])+len(n["httpHealthChecks"]) != 0 {
		t.Errorf("left over: %v", n)
	}
}

func TestLBNodeTags(t *testing.T) {
	t.Run("derived from the VMs with one list for many Services", func(t *testing.T) {
		e := newLBTestEnv(t, fakecompute.Options{}, nil)
		nodes := e.seedNodes(t, "us-central1-a", 0, 3)
		e.gce.ResetStats()
		for _, name := range []string{"a", "b", "c"} {
			e.ensure(t, lbtest.Service(name), nodes)
		}
		if n := e.gce.Stats().Calls["compute.instances.aggregatedList"]; n != 1 {
			t.Errorf("%d aggregated lists of instances, want 1", n)
		}
		if calls := e.gce.Stats().Calls["compute.instances.get"]; calls != 0 {
			t.Errorf("%d instance GETs, want none", calls)
		}
	})
	t.Run("from gce.conf without listing VMs", func(t *testing.T) {
		e := newLBTestEnv(t, fakecompute.Options{}, func(_ *gceapi.Config, d *Deps) { d.NodeTags = []string{"cfg-tag"} })
		nodes := e.seedNodes(t, "us-central1-a", 0, 2)
		e.gce.ResetStats()
		svc := lbtest.Service("web")
		e.ensure(t, svc, nodes)
		fw, _ := e.api.GetFirewall(context.Background(), "k8s-fw-"+plan.NamesFor(svc, "").LB)
		if !cmp.Equal(fw.GetTargetTags(), []string{"cfg-tag"}) {
			t.Errorf("target tags %v", fw.GetTargetTags())
		}
		if n := e.gce.Stats().Calls["compute.instances.aggregatedList"]; n != 0 {
			t.Errorf("%d instance lists with node-tags configured", n)
		}
	})
}

func TestLBClusterIDConfigMapCreated(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	ctx := context.Background()
	if err := e.kube.CoreV1().ConfigMaps(clusterIDNamespace).Delete(ctx, clusterIDConfigMap, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.deps.ClusterID = &ConfigMapClusterID{Kube: e.kube} // forget the cached id
	e.lb = New(e.deps)
	nodes := e.seedNodes(t, "us-central1-a", 0, 1)
	e.ensure(t, lbtest.Service("web"), nodes)
	cm, err := e.kube.CoreV1().ConfigMaps(clusterIDNamespace).Get(ctx, clusterIDConfigMap, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := cm.Data[providerIDKey]
	if len(id) != 16 || cm.Data[clusterIDKey] != id {
		t.Fatalf("ConfigMap data %v", cm.Data)
	}
	if _, err := e.api.GetHTTPHealthCheck(ctx, "k8s-"+id+"-node"); err != nil {
		t.Errorf("shared check not named with the new id: %v", err)
	}
}

// A node without a providerID yet is found by name in the managed zones.
func TestLBNodeWithoutProviderID(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	nodes[1] = nodes[1].DeepCopy()
	nodes[1].Spec.ProviderID = ""
	nodes[1].Name = "node-001.c.demo.internal"
	svc := lbtest.Service("web")
	e.ensure(t, svc, nodes)
	if got := e.members(t, plan.NamesFor(svc, "").LB); !cmp.Equal(got, []string{"node-000", "node-001"}) {
		t.Errorf("members %v", got)
	}
}
