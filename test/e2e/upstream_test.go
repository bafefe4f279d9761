//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// The fifth client of the emulator: the upstream GCE cloud provider
// (k8s.io/cloud-provider-gcp/providers v0.28.2, the newest the module proxy
// serves) in the standard cloud-controller-manager, built unchanged by
// tools/build-upstream-gce-ccm.sh and pointed at the emulator by nothing but
// gce.conf's api-endpoint, with its token from the emulator's metadata
// server. Its routes, node and service controllers must do their whole job:
// the emulator has to answer every request it sends (google.golang.org/api
// v0.151 on /compute/v1, beta and alpha; k8s-cloud-provider's operation
// polling; its unquoted list filters that name the network by a URL on the
// emulator's own host) the way GCE does.

// upstreamCCM is the upstream binary, from UPSTREAM_CCM_DIR (`make e2e` sets it).
func upstreamCCM(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("UPSTREAM_CCM_DIR")
	if dir == "" {
		t.Fatal("UPSTREAM_CCM_DIR is not set: run `make e2e`, or export UPSTREAM_CCM_DIR=$(tools/build-upstream-gce-ccm.sh)")
	}
	bin := filepath.Join(dir, "upstream-gce-ccm")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("UPSTREAM_CCM_DIR=%s holds no upstream-gce-ccm (%v): rebuild it with tools/build-upstream-gce-ccm.sh", dir, err)
	}
	return bin
}

func TestUpstreamGCEProviderOnTheEmulator(t *testing.T) {
	bin := upstreamCCM(t)
	e := newEnv(t, 5*time.Minute)
	for i := 0; i < 3; i++ {
		e.addNode(fmt.Sprintf("up-%d", i), zones[i], true, podCIDR(i))
	}
	conf := fmt.Sprintf(`[global]
project-id = %s
local-zone = %s
multizone = true
network-name = default
node-tags = e2e-node
api-endpoint = %s/compute/v1/
`, project, zones[0], e.gce.URL)
	c, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: bin, Dir: e.dir, Name: "upstream-ccm",
		Kubeconfig: cp.KubeconfigPath, Emulator: e.gce, ClusterName: e.cluster, ClusterCIDR: clusterCIDR,
		GCEConf: conf, ExtraArgs: []string{"--route-reconciliation-period=2s"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("upstream-ccm log tail:\n%s", c.Tail(8000))
		}
	})

	// Routes: one per node, named and described as the upstream provider does.
	e.eventually("3 routes by the upstream provider", 60*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		if len(rs) != 3 {
			return false, fmt.Sprintf("%d routes: %v", len(rs), routeSummary(rs))
		}
		for _, r := range rs {
			if !strings.HasPrefix(r.Name, e.cluster+"-") || r.Description != "k8s-node-route" ||
				!strings.HasPrefix(r.NextHopInstance, "https://www.googleapis.com/compute/v1/projects/"+project+"/zones/") ||
				r.Network != "https://www.googleapis.com/compute/v1/projects/"+project+"/global/networks/default" {
				return false, fmt.Sprintf("route %s: %s -> %s on %s (%q)", r.Name, r.DestRange, r.NextHopInstance, r.Network, r.Description)
			}
		}
		want := fmt.Sprint([]string{podCIDR(0) + "->up-0", podCIDR(1) + "->up-1", podCIDR(2) + "->up-2"})
		return fmt.Sprint(routeSummary(rs)) == want, fmt.Sprint(routeSummary(rs))
	})
	e.waitRouteCreatedOnEveryNode(30 * time.Second)
	// Its ListRoutes filter ((name eq e2e-.*) (network eq http://EMULATOR/...)
	// (description eq k8s-node-route)) finds those routes: several
	// reconciliations (every 2 s) later it has inserted nothing more.
	inserts := e.gce.Stats().Calls["compute.routes.insert"]
	time.Sleep(7 * time.Second)
	if got := e.gce.Stats().Calls["compute.routes.insert"]; got != inserts || got != 3 {
		t.Fatalf("routes.insert called %d times, then %d more in 7 s: the upstream ListRoutes does not see its routes", inserts, got-inserts)
	}

	// Load balancer: the whole external network LB.
	svc := e.createService("upstream-web", nil)
	lb := lbName(svc)
	var ip string
	e.eventually("an external IP from the upstream service controller", 90*time.Second, func() (bool, string) {
		ip = e.serviceIP("upstream-web")
		return ip != "", "no IP yet"
	})
	e.eventually("forwarding rule, target pool of every node, health check, firewalls", 30*time.Second, func() (bool, string) {
		st := e.lbState()
		fr, pool := st.rules[lb], st.pools[lb]
		if fr == nil || pool == nil {
			return false, fmt.Sprintf("rules %v pools %v", names(st.rules), names(st.pools))
		}
		if fr.IPAddress != ip || lastSeg(fr.Target) != lb || fr.PortRange != "80-80" {
			return false, fmt.Sprintf("rule %s: %s -> %s ports %s", fr.Name, fr.IPAddress, fr.Target, fr.PortRange)
		}
		if got := fmt.Sprint(members(pool)); got != "[up-0 up-1 up-2]" {
			return false, "pool members " + got
		}
		if len(pool.HealthChecks) != 1 || st.checks[lastSeg(pool.HealthChecks[0])] == nil {
			return false, fmt.Sprintf("pool health checks %v, checks %v", pool.HealthChecks, names(st.checks))
		}
		fw := st.firewalls["k8s-fw-"+lb]
		if fw == nil || fmt.Sprint(fw.TargetTags) != "[e2e-node]" || len(fw.Allowed) != 1 || fmt.Sprint(fw.Allowed[0].Ports) != "[80]" {
			return false, fmt.Sprintf("firewalls %v, k8s-fw: %+v", names(st.firewalls), fw)
		}
		if len(st.addresses) != 0 {
			return false, fmt.Sprintf("the upstream provider releases its temporary reservation; addresses %v", names(st.addresses))
		}
		return true, ""
	})

	// Deleting the Service removes everything the upstream provider made
	// for it, the cluster's shared node health check and its firewall too:
	// this was the cluster's only load balancer.
	if err := kube.CoreV1().Services("default").Delete(e.ctx, "upstream-web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("the load balancer's GCE objects deleted", 60*time.Second, func() (bool, string) {
		st := e.lbState()
		left := len(st.rules) + len(st.pools) + len(st.addresses) + len(st.checks) + len(st.firewalls)
		return left == 0, fmt.Sprintf("rules %v pools %v addresses %v checks %v firewalls %v",
			names(st.rules), names(st.pools), names(st.addresses), names(st.checks), names(st.firewalls))
	})

	// A node deleted: the upstream route controller deletes its route, which
	// again needs its ListRoutes to find it.
	if err := kube.CoreV1().Nodes().Delete(e.ctx, "up-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("up-1's route deleted", 30*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		return fmt.Sprint(routeSummary(rs)) == fmt.Sprint([]string{podCIDR(0) + "->up-0", podCIDR(2) + "->up-2"}), fmt.Sprint(routeSummary(rs))
	})
	// Every error answer it got was GCE's 404 for an object it looks up or
	// deletes before it exists or after it went (a VM looked up in the
	// zones where it is not, a load balancer's parts looked up before they
	// are made): nothing it sent was refused as invalid.
	notFound := 0
	for _, l := range e.gce.RequestLog() {
		switch {
		case l.Status == 404:
			notFound++
		case l.Status >= 400:
			t.Errorf("the emulator refused a request of the upstream provider: %d %s %s", l.Status, l.Method, l.Path)
		}
	}
	t.Logf("%d requests (the upstream provider's and this test's reads): %d answered 404 (lookups), none refused otherwise", len(e.gce.RequestLog()), notFound)
}
