//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// inventory is every object the CCMs make in GCE, "kind/name" -> id.
func (e *env) inventory() map[string]uint64 {
	e.t.Helper()
	out := map[string]uint64{}
	for n, r := range e.gceRoutes() {
		out["route/"+n] = r.Id
	}
	st := e.lbState()
	for n, o := range st.rules {
		out["forwardingRule/"+n] = o.Id
	}
	for n, o := range st.pools {
		out["targetPool/"+n] = o.Id
	}
	for n, o := range st.firewalls {
		out["firewall/"+n] = o.Id
	}
	for n, o := range st.checks {
		out["httpHealthCheck/"+n] = o.Id
	}
	for n, o := range st.addresses {
		out["address/"+n] = o.Id
	}
	return out
}

// mutations are the emulator's non-GET requests from index from on.
func (e *env) mutations(from int) []string {
	var out []string
	for _, l := range e.gce.RequestLog()[from:] {
		if l.Method != "GET" && !strings.HasSuffix(l.Path, "/wait") {
			out = append(out, l.Method+" "+l.Path)
		}
	}
	return out
}

// TestTakeoverFromUpstream swaps a running upstream GCE CCM for ours, with
// the same gce.conf and flags: nothing in GCE is deleted or made again,
// Services keep their IPs, routes stay, and ours then allocates a new
// node a CIDR no node has, routes it, and moves the load balancers with
// the nodes.
func TestTakeoverFromUpstream(t *testing.T) {
	bin := upstreamCCM(t)
	e := newEnv(t, 5*time.Minute)
	// The pod CIDRs the upstream's node IPAM gave: the upstream binary
	// tools/ builds is the framework's four controllers on the upstream
	// provider (cloud-provider-gcp's nodeipam lives in its root module,
	// which the module proxy does not serve), so the test sets them.
	for i := range 4 {
		e.addNode(fmt.Sprintf("tk-%d", i), zones[i%3], true, podCIDR(i))
	}
	conf := fmt.Sprintf("[global]\nproject-id = %s\nlocal-zone = %s\nmultizone = true\nnetwork-name = default\nnode-tags = e2e-node\napi-endpoint = %s/compute/v1/\n",
		project, zones[0], e.gce.URL)
	flags := []string{"--allocate-node-cidrs=true", "--cidr-allocator-type=RangeAllocator", "--configure-cloud-routes=true",
		"--route-reconciliation-period=2s"}
	start := func(name, bin string) *harness.CCM {
		c, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: bin, Dir: e.dir, Name: name, Kubeconfig: cp.KubeconfigPath,
			Emulator: e.gce, ClusterName: e.cluster, ClusterCIDR: clusterCIDR, GCEConf: conf, ExtraArgs: flags})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c.Stop(10 * time.Second)
			if t.Failed() {
				t.Logf("%s log tail:\n%s", name, c.Tail(6000))
			}
		})
		return c
	}

	up := start("upstream-ccm", bin)
	e.eventually("4 routes by the upstream", 60*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		return len(rs) == 4, fmt.Sprint(routeSummary(rs))
	})
	e.waitRouteCreatedOnEveryNode(30 * time.Second)
	e.createService("tk-web", nil)
	e.createService("tk-local", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	ips := map[string]string{}
	e.eventually("both Services have an IP from the upstream", 90*time.Second, func() (bool, string) {
		for _, s := range []string{"tk-web", "tk-local"} {
			ips[s] = e.serviceIP(s)
		}
		st := e.lbState()
		return ips["tk-web"] != "" && ips["tk-local"] != "" && len(st.rules) == 2 && len(st.pools) == 2, fmt.Sprint(ips, names(st.rules))
	})
	before, beforeLB := e.inventory(), e.lbState()
	up.Stop(10 * time.Second)

	mark := len(e.gce.RequestLog())
	// Ours is working once its ipforward controller has checked every node
	// and its service controller has ensured both load balancers again.
	ensured := func() int32 {
		n := int32(0)
		for _, s := range []string{"tk-web", "tk-local"} {
			for _, ev := range e.eventsFor("Service", "default", s) {
				if ev.Reason == "EnsuredLoadBalancer" {
					n += ev.Count
				}
			}
		}
		return n
	}
	ensuredBefore := ensured()
	ours := start("gce-ccm", ccmBin)
	e.eventually("ours has synced the nodes and both load balancers", 60*time.Second, func() (bool, string) {
		nodes, err := kube.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, n := range nodes.Items {
			if !slices.ContainsFunc(n.Status.Conditions, func(c v1.NodeCondition) bool { return c.Type == "GCEIPForwarding" }) {
				return false, n.Name + " not checked by ipforward yet"
			}
		}
		return ensured() >= ensuredBefore+2, fmt.Sprintf("EnsuredLoadBalancer events: %d before, %d now", ensuredBefore, ensured())
	})
	// Several route reconciliations (2 s) and a service sync later, nothing
	// was deleted or made again.
	time.Sleep(6 * time.Second)
	if d := diffIDs(before, e.inventory()); d != "" {
		t.Fatalf("GCE objects changed by the takeover:\n%s", d)
	}
	for _, m := range e.mutations(mark) {
		if strings.HasPrefix(m, "DELETE") || (strings.HasPrefix(m, "POST") && !strings.Contains(m, "/add") && !strings.Contains(m, "/remove") && !strings.Contains(m, "/set")) {
			t.Errorf("after the takeover ours sent %s", m)
		}
	}
	// What ours changed in place (the migration guide states it).
	afterLB := e.lbState()
	ignore := cmpopts.IgnoreFields(compute.Firewall{}, "ServerResponse")
	t.Logf("requests that changed something after the takeover: %v", e.mutations(mark))
	t.Logf("firewalls changed in place (-upstream +ours):\n%s", cmp.Diff(beforeLB.firewalls, afterLB.firewalls, ignore))
	t.Logf("health checks changed in place (-upstream +ours):\n%s", cmp.Diff(beforeLB.checks, afterLB.checks,
		cmpopts.IgnoreFields(compute.HttpHealthCheck{}, "ServerResponse")))
	for s, ip := range ips {
		if got := e.serviceIP(s); got != ip {
			t.Errorf("Service %s: IP %s became %q", s, ip, got)
		}
	}

	// A new node: a CIDR none of the upstream-era nodes has, a route, and
	// both load balancers' pools.
	e.addNode("tk-new", zones[1], true)
	var newCIDR string
	e.eventually("tk-new gets a pod CIDR", 30*time.Second, func() (bool, string) {
		cs := e.podCIDRsOf()["tk-new"]
		if len(cs) == 1 {
			newCIDR = cs[0]
		}
		return newCIDR != "", fmt.Sprint(cs)
	})
	for i := range 4 {
		if netip.MustParsePrefix(podCIDR(i)).Overlaps(netip.MustParsePrefix(newCIDR)) {
			t.Fatalf("tk-new got %s, which overlaps tk-%d's %s", newCIDR, i, podCIDR(i))
		}
	}
	if err := kube.CoreV1().Nodes().Delete(e.ctx, "tk-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("routes and both pools follow: tk-new in, tk-1 out", 90*time.Second, func() (bool, string) {
		want := []string{podCIDR(0) + "->tk-0", podCIDR(2) + "->tk-2", podCIDR(3) + "->tk-3", newCIDR + "->tk-new"}
		sort.Strings(want)
		if got := routeSummary(e.gceRoutes()); fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Sprint("routes ", got)
		}
		for n, p := range e.lbState().pools {
			if got := fmt.Sprint(members(p)); got != "[tk-0 tk-2 tk-3 tk-new]" {
				return false, fmt.Sprintf("pool %s: %s", n, got)
			}
		}
		return true, ""
	})
	// The upstream-made objects of the Services are still the same ones.
	after := e.inventory()
	for k, id := range before {
		if strings.HasPrefix(k, "route/") {
			continue // tk-1's route went with tk-1
		}
		if after[k] != id {
			t.Errorf("%s: id %d became %d", k, id, after[k])
		}
	}

	// The reverse swap: the upstream again, same gce.conf and flags. What it
	// does with what ours made is what the README's migration guide says.
	ours.Stop(10 * time.Second)
	ensuredBefore = ensured()
	before = e.inventory()
	mark = len(e.gce.RequestLog())
	start("upstream-ccm-again", bin)
	e.eventually("the upstream has ensured both load balancers again", 60*time.Second, func() (bool, string) {
		return ensured() >= ensuredBefore+2, fmt.Sprintf("EnsuredLoadBalancer events: %d before, %d now", ensuredBefore, ensured())
	})
	time.Sleep(6 * time.Second) // three route reconciliations
	t.Logf("back on the upstream: requests that changed something: %v", e.mutations(mark))
	t.Logf("back on the upstream: objects (-ours +upstream):\n%s", diffIDs(before, e.inventory()))
	// Routes: the upstream adds its own route (<cluster>-<node UID>) for the
	// node ours routed, beside ours, which it neither sees nor deletes.
	rs := e.gceRoutes()
	t.Logf("back on the upstream: routes %v", routeNames(rs))
	var upstreamNamed, oursNamed []string
	for n, r := range rs {
		if strings.HasPrefix(n, e.cluster+"-") {
			upstreamNamed = append(upstreamNamed, lastSeg(r.NextHopInstance))
		} else {
			oursNamed = append(oursNamed, lastSeg(r.NextHopInstance))
		}
	}
	sort.Strings(upstreamNamed)
	if fmt.Sprint(upstreamNamed) != "[tk-0 tk-2 tk-3 tk-new]" || fmt.Sprint(oursNamed) != "[tk-new]" {
		t.Errorf("back on the upstream: upstream-named routes to %v, ours to %v; want [tk-0 tk-2 tk-3 tk-new] and [tk-new]", upstreamNamed, oursNamed)
	}
	for s, ip := range ips {
		if got := e.serviceIP(s); got != ip {
			t.Errorf("back on the upstream: Service %s: IP %s became %q", s, ip, got)
		}
	}
	after = e.inventory()
	for k, id := range before {
		if !strings.HasPrefix(k, "route/") && after[k] != id {
			t.Errorf("back on the upstream: %s: id %d became %d", k, id, after[k])
		}
	}
}

// diffIDs lists objects that went, came, or changed id.
func diffIDs(before, after map[string]uint64) string {
	var out []string
	for k, id := range before {
		if a, ok := after[k]; !ok {
			out = append(out, "deleted "+k)
		} else if a != id {
			out = append(out, fmt.Sprintf("recreated %s (id %d -> %d)", k, id, a))
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			out = append(out, "created "+k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func routeNames(rs map[string]*compute.Route) []string {
	var out []string
	for n, r := range rs {
		out = append(out, n+":"+r.DestRange+"->"+lastSeg(r.NextHopInstance))
	}
	sort.Strings(out)
	return out
}
