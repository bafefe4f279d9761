package gce

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// lookAlikes pre-seeds routes that resemble prod's and must never change:
// prod's name prefix with prod-2's description, prod's prefix with a
// description that is not JSON, an upstream-style route of a cluster whose
// name shares prod's first 26 characters when prod's name is long, and a
// hand-made route. It returns their names.
func lookAlikes(t *testing.T, e *testEnv, cluster string) []string {
	t.Helper()
	names := []string{
		routePrefix(cluster) + "-forged-00000001",
		routePrefix(cluster) + "-notjson-0000002",
		upstreamPrefix(cluster+"-other") + "x-0b5a9e0a-1111-4222-8333-444455556666",
		"my-vpn-route",
	}
	insertRaw(t, e, names[0], "10.4.200.0/24", "node-a", routeDescription(cluster+"-2", "node-a"))
	insertRaw(t, e, names[1], "10.4.201.0/24", "node-a", "made by hand")
	insertRaw(t, e, names[2], "10.4.202.0/24", "node-a", upstreamRouteDescription)
	insertRaw(t, e, names[3], "10.4.203.0/24", "node-a", "")
	return names
}

// routeSnapshot is each route's name, destination and next hop.
func routeSnapshot(t *testing.T, e *testEnv, names []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		r, err := e.cloud.api.GetRoute(context.Background(), n)
		if err != nil {
			t.Fatalf("look-alike %s: %v", n, err)
		}
		out[n] = fmt.Sprintf("%s via %s, %q, id %d", r.GetDestRange(), r.GetNextHopInstance(), r.GetDescription(), r.GetId())
	}
	return out
}

// waitNodeEvent waits for an event with reason on node and returns its message.
func waitNodeEvent(t *testing.T, e *testEnv, node, reason string) string {
	t.Helper()
	var msg string
	eventually(t, "a "+reason+" event on node "+node, func() bool {
		evs, err := e.kube.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs.Items {
			if ev.InvolvedObject.Kind == "Node" && ev.InvolvedObject.Name == node && ev.Reason == reason {
				msg = ev.Message
				return true
			}
		}
		return false
	})
	return msg
}

// eventually polls cond every 20 ms for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// withRouteOfA is two nodes and prod's route for node-a's 10.4.0.0/24.
func withRouteOfA(t *testing.T) (*testEnv, string) {
	t.Helper()
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-a")
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	return e, routeName("prod", "node-a", "10.4.0.0/24")
}

func TestRoutesReportTheNodeOfTheNextHop(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-a")
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "not-a-node", Zone: "us-central1-a"}); err != nil {
		t.Fatal(err)
	}
	for _, cidr := range []string{"10.4.0.0/24", "10.4.1.0/24", "10.4.2.0/24"} {
		if err := create(t, e.cloud, "prod", "node-a", cidr); err != nil {
			t.Fatal(err)
		}
	}
	lookAlikes(t, e, "prod")
	// Re-point two of node-a's routes by hand, under their names and
	// descriptions: one at node-b, one at a VM that is no node.
	repoint(t, e, routeName("prod", "node-a", "10.4.1.0/24"), "node-b")
	repoint(t, e, routeName("prod", "node-a", "10.4.2.0/24"), "not-a-node")
	want := []routeRow{{Node: "", CIDR: "10.4.2.0/24"}, {Node: "node-a", CIDR: "10.4.0.0/24"}, {Node: "node-b", CIDR: "10.4.1.0/24"}}
	if d := cmp.Diff(want, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// repoint deletes a route and makes it again under the same name and
// description with another next hop, as an operator with gcloud would.
func repoint(t *testing.T, e *testEnv, name, vm string) {
	t.Helper()
	r, err := e.cloud.api.GetRoute(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cloud.api.DeleteRoute(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	insertRaw(t, e, name, r.GetDestRange(), vm, r.GetDescription())
}

func TestRoutesCreateReplacesOurRouteThatPointsElsewhere(t *testing.T) {
	e, name := withRouteOfA(t)
	alikes := lookAlikes(t, e, "prod")
	before := routeSnapshot(t, e, alikes)
	repairs := drift.Repairs(drift.Route)
	repoint(t, e, name, "node-b")

	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatalf("create over our re-pointed route: %v", err)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	msg := waitNodeEvent(t, e, "node-a", drift.ReasonRouteRepaired)
	if !strings.Contains(msg, name) || !strings.Contains(msg, "instances/node-b") {
		t.Errorf("event %q does not name the route and where it pointed", msg)
	}
	if n := drift.Repairs(drift.Route); n != repairs+1 {
		t.Errorf("route repairs %v, want %v", n, repairs+1)
	}
	if d := cmp.Diff(before, routeSnapshot(t, e, alikes)); d != "" {
		t.Errorf("look-alikes changed (-before +after):\n%s", d)
	}
}

func TestRoutesCreateNeverReplacesALookAlike(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-a")
	for _, tc := range []struct{ name, desc string }{
		{"another cluster's description", routeDescription("prod-2", "node-a")},
		{"another node's description", routeDescription("prod", "node-c")},
		{"not JSON", "k8s-node-route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cidr := "10.4.0.0/24"
			name := routeName("prod", "node-a", cidr)
			_ = e.cloud.api.DeleteRoute(context.Background(), name)
			insertRaw(t, e, name, cidr, "node-b", tc.desc)
			before := routeSnapshot(t, e, []string{name})
			err := create(t, e.cloud, "prod", "node-a", cidr)
			if err == nil || !strings.Contains(err.Error(), "not ours to change") {
				t.Fatalf("want a refusal, got %v", err)
			}
			if d := cmp.Diff(before, routeSnapshot(t, e, []string{name})); d != "" {
				t.Errorf("the look-alike changed (-before +after):\n%s", d)
			}
		})
	}
}

func TestRoutesDeleteSkipsARouteThatChangedSinceListed(t *testing.T) {
	e, name := withRouteOfA(t)
	repoint(t, e, name, "node-b")
	listed, err := e.cloud.ListRoutes(context.Background(), "prod")
	if err != nil || len(listed) != 1 {
		t.Fatalf("%v %v", listed, err)
	}
	// The route controller would now delete the route listed as node-b's
	// while it makes node-a's; CreateRoute replaces it first.
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := e.cloud.DeleteRoute(context.Background(), "prod", listed[0]); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("the stale delete removed the replacement (-want +got):\n%s", d)
	}
}

func TestRoutesBlackholeOfOursIsReplaced(t *testing.T) {
	e, _ := withRouteOfA(t)
	if err := e.gce.DeleteInstanceNow("us-central1-a", "node-a"); err != nil {
		t.Fatal(err)
	}
	// CreateRoute does not keep a blackhole under the name it needs: it
	// deletes it and tries again (GCE refuses the insert while the VM is
	// gone; the emulator accepts it and blackholes the new route).
	e.gce.ResetStats()
	_ = create(t, e.cloud, "prod", "node-a", "10.4.0.0/24")
	if st := e.gce.Stats(); st.Calls["compute.routes.delete"] != 1 || st.Calls["compute.routes.insert"] != 2 {
		t.Errorf("calls %v: want the blackhole deleted and the route inserted again", st.Calls)
	}
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "node-a", Zone: "us-central1-a", CanIPForward: true}); err != nil {
		t.Fatal(err)
	}
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRoutesMissingRouteOfAReadyNodeIsARepair(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	n := e.addNode(t, "node-a", "us-central1-a")
	n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeNetworkUnavailable, Status: v1.ConditionFalse, Reason: "RouteCreated"}}
	if err := e.nodes.Update(n); err != nil {
		t.Fatal(err)
	}
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if msg := waitNodeEvent(t, e, "node-a", drift.ReasonRouteRepaired); !strings.Contains(msg, "was missing") {
		t.Errorf("event %q", msg)
	}
}

func TestRoutesQuotaFailureBacksOffPerNode(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.cloud.SetResyncPeriod(time.Minute)
	now := time.Unix(1_800_000_000, 0)
	e.cloud.now = func() time.Time { return now }
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-a")
	e.gce.SetQuota(fakecompute.QuotaRoutes, 0)
	inserts := func() int64 { return e.gce.Stats().Calls["compute.routes.insert"] }

	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); !gceapi.IsQuotaExceeded(err) {
		t.Fatalf("want a quota failure, got %v", err)
	}
	// Within the backoff node-a costs no insert; node-b is not held back.
	before := inserts()
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); !gceapi.IsQuotaExceeded(err) || !strings.Contains(err.Error(), "not retried for 10s") {
		t.Fatalf("want the backoff naming the quota failure, got %v", err)
	}
	if n := inserts() - before; n != 0 {
		t.Errorf("%d inserts during the backoff", n)
	}
	if err := create(t, e.cloud, "prod", "node-b", "10.4.1.0/24"); !gceapi.IsQuotaExceeded(err) || inserts()-before != 1 {
		t.Fatalf("node-b: %v, %d inserts", err, inserts()-before)
	}
	// The wait doubles (20 s) and is capped at half the period (30 s).
	for _, step := range []struct {
		advance time.Duration
		want    string
	}{{10 * time.Second, "not retried for 20s"}, {20 * time.Second, "not retried for 30s"}, {30 * time.Second, "not retried for 30s"}} {
		now = now.Add(step.advance)
		_ = create(t, e.cloud, "prod", "node-a", "10.4.0.0/24") // an insert, failing on quota
		if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err == nil || !strings.Contains(err.Error(), step.want) {
			t.Fatalf("after %v: want %q, got %v", step.advance, step.want, err)
		}
	}
	// The quota is raised: the next try after the wait succeeds.
	e.gce.SetQuota(fakecompute.QuotaRoutes, -1)
	now = now.Add(30 * time.Second)
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := create(t, e.cloud, "prod", "node-a", "10.4.2.0/24"); err != nil {
		t.Fatalf("after a success the node does not back off: %v", err)
	}
}

func TestJudgeExistingRoute(t *testing.T) {
	vmA := gceref.Instance("p", "z", "a")
	want := desiredRoute("prod", "node-a", "10.4.0.0/24", "https://x/projects/p/global/networks/default", vmA)
	with := func(f func(r *computepb.Route)) *computepb.Route {
		r := proto.Clone(want).(*computepb.Route)
		f(r)
		return r
	}
	blackhole := func(r *computepb.Route) {
		r.Warnings = []*computepb.Warnings{{Code: proto.String(warnNextHopNotFound)}}
	}
	for _, tc := range []struct {
		name string
		have *computepb.Route
		want routeVerdict
	}{
		{"same", with(func(*computepb.Route) {}), routeKeep},
		{"same, partial next-hop URL", with(func(r *computepb.Route) { r.NextHopInstance = proto.String("projects/p/zones/z/instances/a") }), routeKeep},
		{"re-pointed", with(func(r *computepb.Route) { r.NextHopInstance = proto.String("projects/p/zones/z/instances/b") }), routeReplace},
		{"other destination", with(func(r *computepb.Route) { r.DestRange = proto.String("10.9.0.0/24") }), routeReplace},
		{"gateway next hop", with(func(r *computepb.Route) {
			r.NextHopInstance = nil
			r.NextHopGateway = proto.String("global/gateways/default-internet-gateway")
		}), routeReplace},
		{"blackholed", with(blackhole), routeReplace},
		{"other cluster", with(func(r *computepb.Route) {
			r.NextHopInstance = proto.String("projects/p/zones/z/instances/b")
			r.Description = proto.String(routeDescription("prod-2", "node-a"))
		}), routeRefuse},
		{"other node", with(func(r *computepb.Route) {
			blackhole(r)
			r.Description = proto.String(routeDescription("prod", "node-b"))
		}), routeRefuse},
		{"not JSON", with(func(r *computepb.Route) {
			r.DestRange = proto.String("10.9.0.0/24")
			r.Description = proto.String("hand-made")
		}), routeRefuse},
	} {
		if got, why := judgeExistingRoute(tc.have, want, "prod", "node-a"); got != tc.want {
			t.Errorf("%s: verdict %v (%s), want %v", tc.name, got, why, tc.want)
		}
	}
}
