//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// gceRoutes reads the emulator's routes through its API (which is the GCE
// API), without the system routes GCE makes with networks and subnets
// (systemroutes_test.go checks those are never touched).
func (e *env) gceRoutes() map[string]*compute.Route {
	e.t.Helper()
	out := map[string]*compute.Route{}
	for name, r := range e.allGCERoutes(e.ctx) {
		if !fakecompute.IsSystemRoute(r) {
			out[name] = r
		}
	}
	return out
}

// allGCERoutes is every route of the project, by name.
func (e *env) allGCERoutes(ctx context.Context) map[string]*compute.Route {
	e.t.Helper()
	out := map[string]*compute.Route{}
	svc := e.computeService()
	err := svc.Routes.List(project).Pages(ctx, func(l *compute.RouteList) error {
		for _, r := range l.Items {
			out[r.Name] = r
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func routeSummary(rs map[string]*compute.Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.DestRange+"->"+lastSeg(r.NextHopInstance))
	}
	sort.Strings(out)
	return out
}

func networkUnavailable(n *v1.Node) (v1.ConditionStatus, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeNetworkUnavailable {
			return c.Status, c.Reason
		}
	}
	return "", ""
}

// waitRouteCreatedOnEveryNode waits for the route controller's verdict
// NetworkUnavailable=False (RouteCreated) on every Node.
func (e *env) waitRouteCreatedOnEveryNode(timeout time.Duration) {
	e.t.Helper()
	e.eventually("NetworkUnavailable=False (RouteCreated) on every node", timeout, func() (bool, string) {
		nodes, err := kube.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, n := range nodes.Items {
			if st, reason := networkUnavailable(&n); st != v1.ConditionFalse || reason != "RouteCreated" {
				return false, fmt.Sprintf("%s: %s/%s", n.Name, st, reason)
			}
		}
		return true, ""
	})
}

func TestRoutesForTwentyNodes(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	e.startCCM("ccm", false)
	want := map[string]string{}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("node-%02d", i)
		e.addNode(name, zones[i%3], true, podCIDR(i))
		want[podCIDR(i)] = name
	}
	e.eventually("20 routes, one per node CIDR", 90*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		if len(rs) != 20 {
			return false, fmt.Sprintf("%d routes: %v", len(rs), routeSummary(rs))
		}
		for _, r := range rs {
			if want[r.DestRange] != lastSeg(r.NextHopInstance) || r.Priority != 1000 {
				return false, fmt.Sprintf("unexpected route %s %s -> %s", r.Name, r.DestRange, r.NextHopInstance)
			}
		}
		return true, ""
	})
	e.waitRouteCreatedOnEveryNode(60 * time.Second)

	// A node deleted: its route goes.
	if err := kube.CoreV1().Nodes().Delete(e.ctx, "node-07", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("node-07's route deleted", 60*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		for _, r := range rs {
			if r.DestRange == podCIDR(7) {
				return false, "still there: " + r.Name
			}
		}
		return len(rs) == 19, fmt.Sprintf("%d routes", len(rs))
	})
}
