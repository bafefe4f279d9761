//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// upstreamFlags are flags the upstream GCE CCM's manifests give it
// (cloud-provider-gcp's configure-helper.sh start-cloud-controller-manager,
// and the GKE-only flags of its main), beyond what the harness passes
// (kubeconfigs, --cloud-provider, --cloud-config, --cluster-name,
// --cluster-cidr, ports).
var upstreamFlags = []string{
	"--use-service-account-credentials", "--concurrent-node-syncs=10", "--concurrent-service-syncs=5",
	"--allocate-node-cidrs=true", "--cidr-allocator-type=RangeAllocator", "--configure-cloud-routes=true",
	"--controllers=*,nodeipam,-gke-service", "--service-cluster-ip-range=10.64.0.0/20", "--node-cidr-mask-size=24",
	"--enable-l4-lb-annotations", "--enable-multi-project=false", "--enable-multi-subnet-cluster=false",
}

// podCIDRsOf reads every node's spec.podCIDRs.
func (e *env) podCIDRsOf() map[string][]string {
	e.t.Helper()
	l, err := kube.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range l.Items {
		out[n.Name] = n.Spec.PodCIDRs
	}
	return out
}

// waitDistinctCIDRs waits until every node has one pod CIDR, each inside
// the cluster CIDR, outside exclude, and no two alike; it returns them.
func (e *env) waitDistinctCIDRs(timeout time.Duration, exclude netip.Prefix) map[string]string {
	e.t.Helper()
	cluster := netip.MustParsePrefix(clusterCIDR)
	var got map[string]string
	e.eventually("every node has its own pod CIDR", timeout, func() (bool, string) {
		got = map[string]string{}
		owner := map[string]string{}
		for n, cs := range e.podCIDRsOf() {
			if len(cs) != 1 {
				return false, fmt.Sprintf("%s has %v", n, cs)
			}
			p := netip.MustParsePrefix(cs[0])
			if !cluster.Contains(p.Addr()) || p.Overlaps(exclude) {
				e.t.Fatalf("%s got %s: outside %s or inside %s", n, p, cluster, exclude)
			}
			if o, dup := owner[cs[0]]; dup {
				e.t.Fatalf("%s given to %s and %s", cs[0], o, n)
			}
			owner[cs[0]] = n
			got[n] = cs[0]
		}
		return true, ""
	})
	return got
}

// TestRangeAllocatorFiftyNodesThenRoutes runs our binary with the upstream
// GCE CCM's manifest flags: its node-ipam-controller gives 50 nodes that
// register without pod CIDRs one each, never from the service range, and
// the route controller then routes every one; the GKE-only flags given are
// each named in a warning.
func TestRangeAllocatorFiftyNodesThenRoutes(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	e.startCCM("ccm", false, append(upstreamFlags, "--route-reconciliation-period=2s")...)
	const n = 50
	for i := range n {
		e.addNode(fmt.Sprintf("ipam-%02d", i), zones[i%3], true)
	}
	cidrs := e.waitDistinctCIDRs(60*time.Second, netip.MustParsePrefix("10.64.0.0/20"))
	e.eventually(fmt.Sprintf("%d routes, one per allocated CIDR", n), 90*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		if len(rs) != n {
			return false, fmt.Sprintf("%d routes", len(rs))
		}
		for _, r := range rs {
			if cidrs[lastSeg(r.NextHopInstance)] != r.DestRange {
				return false, fmt.Sprintf("route %s: %s -> %s; the node has %s", r.Name, r.DestRange, r.NextHopInstance, cidrs[lastSeg(r.NextHopInstance)])
			}
		}
		return true, ""
	})
	e.waitRouteCreatedOnEveryNode(60 * time.Second)

	log, err := os.ReadFile(filepath.Join(e.dir, "ccm.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"--enable-l4-lb-annotations=true", "--enable-multi-project=false", "--enable-multi-subnet-cluster=false"} {
		if !strings.Contains(string(log), f+" is accepted for compatibility with the upstream GCE cloud-controller-manager and has no effect here") {
			t.Errorf("no warning names %s", f)
		}
	}
}

// TestNodeIPAMBadInput: a bad flag stops the binary at start naming it; a
// node whose CIDR another node holds, or that lies outside the cluster
// CIDR, gets an Event and keeps its CIDR, and nothing else changes.
func TestNodeIPAMBadInput(t *testing.T) {
	e := newEnv(t, 2*time.Minute)
	for _, tc := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--allocate-node-cidrs=true", "--node-cidr-mask-size=12"}, "--node-cidr-mask-size: /12 is larger than the cluster CIDR 10.64.0.0/14"},
		{[]string{"--allocate-node-cidrs=true", "--cidr-allocator-type=IPAMFromCloud"}, `--cidr-allocator-type: "IPAMFromCloud" is not an allocator type`},
		{[]string{"--allocate-node-cidrs=true", "--cluster-cidr=10.64.0.0"}, `--cluster-cidr: "10.64.0.0" is not a CIDR`},
	} {
		out, err := e.runCCMToExit(tc.flags...)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %v; want a failure naming %q; output tail:\n%s", tc.flags, err, tc.want, lastLines(out, 5))
		}
	}

	// Created in this order (creation times have one-second resolution;
	// a tie goes by name, and "holder" sorts first too).
	e.addNode("holder", zones[0], true, "10.64.5.0/24")
	e.addNode("thief", zones[1], true, "10.64.5.0/24")
	e.addNode("stray", zones[2], true, "192.168.7.0/24")
	e.startCCM("ccm", false, "--allocate-node-cidrs=true", "--configure-cloud-routes=false")
	for node, reason := range map[string]string{"thief": "PodCIDRCollision", "stray": "PodCIDROutsideClusterCIDR"} {
		e.eventually(reason+" event on "+node, 30*time.Second, func() (bool, string) {
			evs := e.eventsFor("Node", "", node)
			return hasEvent(evs, reason, ""), fmt.Sprintf("%d events", len(evs))
		})
	}
	if hasEvent(e.eventsFor("Node", "", "holder"), "PodCIDRCollision", "") {
		t.Error("the older node got the collision event")
	}
	got := e.podCIDRsOf()
	for node, want := range map[string]string{"holder": "[10.64.5.0/24]", "thief": "[10.64.5.0/24]", "stray": "[192.168.7.0/24]"} {
		if fmt.Sprint(got[node]) != want {
			t.Errorf("%s: %v; want %s unchanged", node, got[node], want)
		}
	}
}

// runCCMToExit runs the binary as startCCM would, with extra flags, until
// it exits (at most 30 s), and returns its output.
func (e *env) runCCMToExit(extra ...string) (string, error) {
	e.t.Helper()
	conf := filepath.Join(e.dir, "exit-gce.conf")
	if err := harness.WriteGCEConf(conf, e.gce, 0, ""); err != nil {
		e.t.Fatal(err)
	}
	port, err := harness.FreePort()
	if err != nil {
		e.t.Fatal(err)
	}
	args := append([]string{"--kubeconfig=" + cp.KubeconfigPath, "--authentication-kubeconfig=" + cp.KubeconfigPath,
		"--authorization-kubeconfig=" + cp.KubeconfigPath, "--authentication-skip-lookup=true",
		"--cloud-provider=gce", "--cloud-config=" + conf, "--cluster-name=" + e.cluster, "--cluster-cidr=" + clusterCIDR,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port), "--leader-elect=false"}, extra...)
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ccmBin, args...)
	cmd.Env = append(os.Environ(), "GCE_METADATA_HOST="+e.gce.HostPort)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lastLines is the end of a long output.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
