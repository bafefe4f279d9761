//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// driftPeriod is the CCM's --gce-resync-period in the drift scenario: short,
// so the scenario stays short. The route controller reconciles at most
// every 10 s whatever the period, so a repair is due within 10 s plus the
// time to make it.
const driftPeriod = 5 * time.Second

// repairBound is how long the scenario waits for each repair: the period
// (rounded up to the route controller's 10 s), one reconcile's work, and
// slack for a loaded CI machine.
const repairBound = 40 * time.Second

// TestDriftInGCEIsRepaired: a converged cluster, then drift made through the
// emulator's API as an operator with gcloud would, each repaired within the
// period while no Node or Service changes; the look-alikes stay as they were.
func TestDriftInGCEIsRepaired(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	e.startCCM("ccm", false, fmt.Sprintf("--gce-resync-period=%v", driftPeriod))
	for i := 0; i < 3; i++ {
		e.addNode(fmt.Sprintf("node-%d", i), zones[0], true, podCIDR(i))
	}
	gcs := e.computeService()
	lookAlikes := e.seedRouteLookAlikes(gcs)
	ours := func(i int) string { return gce.RouteName(e.cluster, fmt.Sprintf("node-%d", i), podCIDR(i)) }
	converged := func() []string {
		out := []string{}
		for i := 0; i < 3; i++ {
			out = append(out, fmt.Sprintf("%s %s->node-%d", ours(i), podCIDR(i), i))
		}
		out = append(out, lookAlikes...)
		sort.Strings(out)
		return out
	}()
	e.waitRoutes("converged", 90*time.Second, converged)
	e.waitRouteCreatedOnEveryNode(60 * time.Second)

	// 1. A route deleted in GCE.
	op, err := gcs.Routes.Delete(project, ours(0)).Context(e.ctx).Do()
	e.waitOp("delete route", op, err)
	e.waitRoutes("node-0's deleted route made again", repairBound, converged)

	// 2. A route of ours re-pointed at another node's VM, under its name and description.
	r, err := gcs.Routes.Get(project, ours(1)).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	op, err = gcs.Routes.Delete(project, ours(1)).Context(e.ctx).Do()
	e.waitOp("delete route", op, err)
	op, err = gcs.Routes.Insert(project, &compute.Route{Name: r.Name, Description: r.Description,
		DestRange: r.DestRange, Network: r.Network, Priority: r.Priority,
		NextHopInstance: fmt.Sprintf("projects/%s/zones/%s/instances/node-2", project, zones[0])}).Context(e.ctx).Do()
	e.waitOp("re-point route", op, err)
	e.waitRoutes("node-1's re-pointed route replaced", repairBound, converged)
	e.waitNodeEvent("node-1", "RouteRepaired")
}

// seedRouteLookAlikes makes routes that resemble the cluster's and must
// never change: our name prefix with another cluster's description, our
// prefix with a description that is not JSON, an upstream-style route of a
// cluster whose name shares the first 26 characters of ours when ours is
// long (here: another cluster, "e2e-other"), a hand-made route. It returns
// them as "name dest->vm".
func (e *env) seedRouteLookAlikes(gcs *compute.Service) []string {
	e.t.Helper()
	vm := fmt.Sprintf("projects/%s/zones/%s/instances/node-0", project, zones[0])
	network := fmt.Sprintf("projects/%s/global/networks/default", project)
	seeds := []*compute.Route{
		{Name: gce.RouteName(e.cluster, "node-x", "10.64.200.0/24"), DestRange: "10.64.200.0/24", Description: gce.RouteDescription(e.cluster+"-2", "node-x")},
		{Name: gce.RouteName(e.cluster, "node-y", "10.64.201.0/24"), DestRange: "10.64.201.0/24", Description: "made by hand"},
		{Name: e.cluster + "-other-0b5a9e0a-1111-4222-8333-444455556666", DestRange: "10.64.202.0/24", Description: "k8s-node-route"},
		{Name: "my-vpn-route", DestRange: "10.64.203.0/24"},
	}
	var out []string
	for _, r := range seeds {
		r.Network, r.NextHopInstance = network, vm
		op, err := gcs.Routes.Insert(project, r).Context(e.ctx).Do()
		e.waitOp("seed "+r.Name, op, err)
		out = append(out, fmt.Sprintf("%s %s->node-0", r.Name, r.DestRange))
	}
	return out
}

// waitRoutes waits until every route of the network is want ("name dest->vm").
func (e *env) waitRoutes(what string, timeout time.Duration, want []string) {
	e.t.Helper()
	e.eventually(what, timeout, func() (bool, string) {
		var got []string
		for _, r := range e.gceRoutes() {
			got = append(got, fmt.Sprintf("%s %s->%s", r.Name, r.DestRange, lastSeg(r.NextHopInstance)))
		}
		sort.Strings(got)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("routes %v, want %v", got, want)
	})
}

// waitNodeEvent waits for an Event with reason on a node.
func (e *env) waitNodeEvent(node, reason string) {
	e.t.Helper()
	e.eventually(reason+" on "+node, 30*time.Second, func() (bool, string) {
		evs, err := kube.CoreV1().Events("").List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Node,involvedObject.name=" + node})
		if err != nil {
			return false, err.Error()
		}
		for _, ev := range evs.Items {
			if ev.Reason == reason {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events, none %s", len(evs.Items), reason)
	})
}
