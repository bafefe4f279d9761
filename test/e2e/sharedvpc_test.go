//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestSharedVPCRoutes: a Shared VPC on the real stack. The emulator serves
// two projects (the network's host project and the VMs' service project,
// each with its default network and that network's system routes); the
// CCM binary, configured with network-project-id, makes each node's route
// in the host project's network with the service project's VM as next
// hop, deletes a removed node's route there, and touches nothing else in
// either project.
func TestSharedVPCRoutes(t *testing.T) {
	const host = "host-proj"
	e := newEnvWith(t, 3*time.Minute, fakecompute.Options{ExtraProjects: []string{host}})
	svc := e.computeService()
	hostRoutes := func() (ours, system map[string]*compute.Route) {
		ours, system = map[string]*compute.Route{}, map[string]*compute.Route{}
		err := svc.Routes.List(host).Pages(e.ctx, func(l *compute.RouteList) error {
			for _, r := range l.Items {
				if fakecompute.IsSystemRoute(r) {
					system[r.Name] = r
				} else {
					ours[r.Name] = r
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ours, system
	}
	_, hostSystem := hostRoutes()
	if len(hostSystem) < 2 {
		t.Fatalf("host project: %d system routes, want its default network's", len(hostSystem))
	}

	ccm, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: ccmBin, Dir: e.dir, Name: "ccm", Kubeconfig: cp.KubeconfigPath,
		Emulator: e.gce, ClusterName: e.cluster, ClusterCIDR: clusterCIDR,
		GCEConfExtra: "node-tags = e2e-node\nnetwork-project-id = " + host + "\nnetwork-name = default\n"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ccm.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("ccm log tail:\n%s", ccm.Tail(6000))
		}
	})
	for i := range 2 {
		e.addNode(fmt.Sprintf("node-%d", i), zones[i], true, podCIDR(i))
	}
	e.eventually("a route per node in the host project, to the service project's VM", 60*time.Second, func() (bool, string) {
		ours, _ := hostRoutes()
		n := 0
		for _, r := range ours {
			for i := range 2 {
				vm := fmt.Sprintf("/projects/%s/zones/%s/instances/node-%d", project, zones[i], i)
				if r.DestRange == podCIDR(i) && strings.HasSuffix(r.NextHopInstance, vm) &&
					r.Network == "https://www.googleapis.com/compute/v1/projects/"+host+"/global/networks/default" {
					n++
				}
			}
		}
		return n == 2 && len(ours) == 2, fmt.Sprintf("%d of 2 as wanted, %d in all: %v", n, len(ours), routeSummary(ours))
	})
	if rs := e.gceRoutes(); len(rs) != 0 {
		t.Errorf("routes in the service project: %v", routeSummary(rs))
	}
	e.waitRouteCreatedOnEveryNode(60 * time.Second)

	if err := kube.CoreV1().Nodes().Delete(e.ctx, "node-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("node-1's route deleted from the host project", 60*time.Second, func() (bool, string) {
		ours, _ := hostRoutes()
		return len(ours) == 1, fmt.Sprint(routeSummary(ours))
	})
	_, after := hostRoutes()
	if msg := systemRoutesChanged(hostSystem, after); msg != "" {
		t.Errorf("host project's system routes touched: %s", msg)
	}
}
