//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// GCE makes, with every network, a route to the internet and, with every
// subnet range, a local route, and lists them with the cluster's routes
// (the emulator does the same). The route controller must leave them
// alone: ListRoutes must not count them as the cluster's (or the
// controller would delete them as unwanted), and nothing of ours may
// delete them. Every scenario checks it (newEnv): the system routes there
// at its start are there, unchanged, at its end, and no request tried to
// delete one.

// guardSystemRoutes records the system routes at a scenario's start and
// checks them at its end.
func (e *env) guardSystemRoutes() {
	e.t.Helper()
	start := map[string]*compute.Route{}
	for name, r := range e.allGCERoutes(e.ctx) {
		if fakecompute.IsSystemRoute(r) {
			start[name] = r
		}
	}
	// The default network: its internet route and a local route per region.
	if len(start) < 2 {
		e.t.Fatalf("the emulator made %d system routes; want the default network's route to the internet and its local routes", len(start))
	}
	guarded := e.gce
	e.t.Cleanup(func() {
		if e.gce != guarded {
			// The scenario replaced its emulator (the soak starts one with
			// its seed) and guards the new one itself; this one is stopped.
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if msg := systemRoutesChanged(start, e.allGCERoutes(ctx)); msg != "" {
			e.t.Errorf("system routes touched: %s", msg)
		}
		for _, l := range e.gce.RequestLog() {
			if l.MethodID == "compute.routes.delete" && start[lastSeg(l.Path)] != nil {
				e.t.Errorf("a request deleted (or tried to) the system route %s: %s %s -> %d", lastSeg(l.Path), l.Method, l.Path, l.Status)
			}
		}
	})
}

// systemRoutesChanged names the routes of start that are gone or changed
// in now ("" when none is).
func systemRoutesChanged(start, now map[string]*compute.Route) string {
	var bad []string
	for name, r := range start {
		got := now[name]
		switch {
		case got == nil:
			bad = append(bad, name+" gone")
		case got.Id != r.Id || got.DestRange != r.DestRange || got.NextHopGateway != r.NextHopGateway ||
			got.NextHopNetwork != r.NextHopNetwork || got.Priority != r.Priority:
			bad = append(bad, fmt.Sprintf("%s changed: %s -> %s", name, routeLine(r), routeLine(got)))
		}
	}
	sort.Strings(bad)
	return strings.Join(bad, "; ")
}

func routeLine(r *compute.Route) string {
	return fmt.Sprintf("id %d %s via %s%s priority %d", r.Id, r.DestRange, lastSeg(r.NextHopGateway), lastSeg(r.NextHopNetwork), r.Priority)
}

// TestRouteControllerLeavesSystemRoutes: on the real stack, the route
// controller creates the cluster's routes among the network's system
// routes (including the local routes of a subnet whose secondary range
// lies inside the cluster CIDR, as a VPC-native cluster's would), deletes
// a removed node's route, and never counts a system route as the
// cluster's: over several reconcile passes exactly one route is deleted,
// and guardSystemRoutes finds every system route untouched.
func TestRouteControllerLeavesSystemRoutes(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	op, err := e.computeService().Subnetworks.Insert(project, "us-central1", &compute.Subnetwork{Name: "pods-inside",
		Network: "global/networks/default", IpCidrRange: "10.8.0.0/24",
		SecondaryIpRanges: []*compute.SubnetworkSecondaryRange{{RangeName: "pods", IpCidrRange: "10.67.0.0/16"}}}).Context(e.ctx).Do()
	e.waitOp("insert a subnet with a range inside the cluster CIDR", op, err)
	system := map[string]bool{}
	for name, r := range e.allGCERoutes(e.ctx) {
		if fakecompute.IsSystemRoute(r) {
			system[name] = true
		}
	}
	e.startCCM("ccm", false, "--route-reconciliation-period=2s")
	for i := range 3 {
		e.addNode(fmt.Sprintf("node-%d", i), zones[i], true, podCIDR(i))
	}
	e.eventually("3 routes of the cluster beside the system routes", 60*time.Second, func() (bool, string) {
		all, ours := e.allGCERoutes(e.ctx), e.gceRoutes()
		return len(ours) == 3 && len(all) == len(system)+3, fmt.Sprintf("%d of ours, %d in all: %v", len(ours), len(all), routeSummary(ours))
	})
	e.waitRouteCreatedOnEveryNode(60 * time.Second)

	// A node goes: the controller deletes its route, and only its route,
	// over at least five more reconcile passes (a list each).
	if err := kube.CoreV1().Nodes().Delete(e.ctx, "node-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	lists := e.gce.Stats().Calls["compute.routes.list"]
	e.eventually("node-2's route deleted, then five reconcile passes", 60*time.Second, func() (bool, string) {
		ours := e.gceRoutes()
		passes := e.gce.Stats().Calls["compute.routes.list"] - lists
		return len(ours) == 2 && passes >= 5, fmt.Sprintf("%d passes, ours %v", passes, routeSummary(ours))
	})
	all := e.allGCERoutes(e.ctx)
	for name := range system {
		if all[name] == nil {
			t.Errorf("the system route %s is gone", name)
		}
	}
	if n := e.gce.Stats().Calls["compute.routes.delete"]; n != 1 {
		t.Errorf("%d route deletes, want 1 (node-2's)", n)
	}
}
