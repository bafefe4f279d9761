//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// routeFor is the emulator's route for a destination range ("" if none).
func (e *env) routeFor(dest string) string {
	for name, r := range e.gceRoutes() {
		if r.DestRange == dest {
			return name
		}
	}
	return ""
}

// Scenario 3: a node's route deleted, then re-pointed at another VM, as an
// operator could with gcloud: the pod range is unreachable until the CCM's
// periodic comparison (--gce-resync-period) repairs it, with no Node change.
func TestDataplaneRouteRepaired(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	d := e.startDataplane()
	e.startCCM("ccm", false, "--gce-resync-period=5s")
	e.addNode("node-a", zones[0], true, podCIDR(1))
	e.addNode("node-b", zones[1], true, podCIDR(2))
	a, b := d.node("node-a", podCIDR(1)), d.node("node-b", podCIDR(2))
	client, server := d.pod(a, "client", 8080), d.pod(b, "server", 8080)
	e.eventually("pod-to-pod across zones", 60*time.Second, func() (bool, string) {
		msg := d.podToPod(client, server)
		return msg == "", msg
	})
	svc := e.computeService()

	name := e.routeFor(podCIDR(2))
	op, err := svc.Routes.Delete(project, name).Context(e.ctx).Do()
	e.waitOp("delete route "+name, op, err)
	deleted := time.Now()
	e.eventually("node-b's pods unreachable without their route", 10*time.Second, func() (bool, string) {
		return d.podToPod(client, server) != "", "still reachable"
	})
	e.eventually("the route re-created and traffic back", 60*time.Second, func() (bool, string) {
		msg := d.podToPod(client, server)
		return msg == "", msg
	})
	t.Logf("route deleted: traffic back after %v", time.Since(deleted).Round(100*time.Millisecond))

	// Re-pointed: the same route of ours (name and description kept), next
	// hop node-a, which has no pod of that range.
	name = e.routeFor(podCIDR(2))
	old, err := svc.Routes.Get(project, name).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	op, err = svc.Routes.Delete(project, name).Context(e.ctx).Do()
	e.waitOp("delete route "+name, op, err)
	op, err = svc.Routes.Insert(project, &compute.Route{Name: name, Description: old.Description, Network: old.Network, DestRange: podCIDR(2),
		Priority: old.Priority, NextHopInstance: fmt.Sprintf("zones/%s/instances/node-a", zones[0])}).Context(e.ctx).Do()
	e.waitOp("re-point route "+name, op, err)
	repointed := time.Now()
	e.eventually("node-b's pods unreachable through the wrong VM", 10*time.Second, func() (bool, string) {
		return d.podToPod(client, server) != "", "still reachable"
	})
	e.eventually("the route pointed back at node-b and traffic back", 60*time.Second, func() (bool, string) {
		msg := d.podToPod(client, server)
		return msg == "", msg
	})
	t.Logf("route re-pointed: traffic back after %v", time.Since(repointed).Round(100*time.Millisecond))
}
