package gce

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

type routeRow struct {
	Node, CIDR string
	Blackhole  bool
}

func listRows(t *testing.T, c *Cloud, cluster string) []routeRow {
	t.Helper()
	rs, err := c.ListRoutes(context.Background(), cluster)
	if err != nil {
		t.Fatal(err)
	}
	var out []routeRow
	for _, r := range rs {
		out = append(out, routeRow{Node: string(r.TargetNode), CIDR: r.DestinationCIDR, Blackhole: r.Blackhole})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node+out[i].CIDR < out[j].Node+out[j].CIDR })
	return out
}

func create(t *testing.T, c *Cloud, cluster, node, cidr string) error {
	t.Helper()
	return c.CreateRoute(context.Background(), cluster, "hint-"+node, &cloudprovider.Route{TargetNode: types.NodeName(node), DestinationCIDR: cidr})
}

func TestRoutesCreateListDelete(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-b")
	for _, r := range []routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}, {Node: "node-b", CIDR: "10.4.1.0/24"}} {
		if err := create(t, e.cloud, "prod", r.Node, r.CIDR); err != nil {
			t.Fatalf("create %v: %v", r, err)
		}
	}
	want := []routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}, {Node: "node-b", CIDR: "10.4.1.0/24"}}
	if d := cmp.Diff(want, listRows(t, e.cloud, "prod")); d != "" {
		t.Fatalf("routes (-want +got):\n%s", d)
	}
	// The route as GCE holds it: full next-hop URL, priority, owner.
	r, err := e.cloud.api.GetRoute(context.Background(), routeName("prod", "node-b", "10.4.1.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.GetNextHopInstance(); got != "https://www.googleapis.com/compute/v1/projects/demo/zones/us-central1-b/instances/node-b" {
		t.Errorf("nextHopInstance = %s", got)
	}
	if r.GetPriority() != 1000 || !strings.Contains(r.GetDescription(), `"kubernetes.io/cluster-name":"prod"`) {
		t.Errorf("route = %v", r)
	}
	if len(r.GetName()) > 63 {
		t.Errorf("name %q longer than 63", r.GetName())
	}
	// Create is idempotent: the same route again is success, not a conflict.
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	routes, _ := e.cloud.ListRoutes(context.Background(), "prod")
	for _, r := range routes {
		if err := e.cloud.DeleteRoute(context.Background(), "prod", r); err != nil {
			t.Fatal(err)
		}
		// Deleting twice is fine (a retry after a lost answer).
		if err := e.cloud.DeleteRoute(context.Background(), "prod", r); err != nil {
			t.Fatalf("second delete: %v", err)
		}
	}
	if got := listRows(t, e.cloud, "prod"); len(got) != 0 {
		t.Fatalf("left over: %v", got)
	}
}

func TestRoutesDualStackNodeGetsTwoRoutes(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	for _, cidr := range []string{"10.4.0.0/24", "fd00:10:4::/64"} {
		if err := create(t, e.cloud, "prod", "node-a", cidr); err != nil {
			t.Fatal(err)
		}
	}
	want := []routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}, {Node: "node-a", CIDR: "fd00:10:4::/64"}}
	if d := cmp.Diff(want, listRows(t, e.cloud, "prod")); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestRoutesOwnershipPerCluster(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.addNode(t, "node-b", "us-central1-a")
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	if err := create(t, e.cloud, "prod-2", "node-b", "10.8.0.0/24"); err != nil {
		t.Fatal(err)
	}
	// Routes nobody in Kubernetes made, and an upstream-named route of prod-2.
	insertRaw(t, e, "my-vpn-route", "10.9.0.0/24", "node-a", "")
	insertRaw(t, e, "prod-2-0b5a9e0a-1111-4222-8333-444455556666", "10.8.1.0/24", "node-b", upstreamRouteDescription)
	// A route named with prod's prefix whose description names prod-2 is not prod's.
	insertRaw(t, e, routePrefix("prod")+"-forged-00000000", "10.4.9.0/24", "node-a", routeDescription("prod-2", "node-a"))

	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("prod sees (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-b", CIDR: "10.8.0.0/24"}, {Node: "node-b", CIDR: "10.8.1.0/24"}}, listRows(t, e.cloud, "prod-2")); d != "" {
		t.Errorf("prod-2 sees (-want +got):\n%s", d)
	}
}

// insertRaw creates a route the way another tool would.
func insertRaw(t *testing.T, e *testEnv, name, cidr, vm, desc string) {
	t.Helper()
	r := &computepb.Route{Name: proto.String(name), DestRange: proto.String(cidr), Network: proto.String(e.cloud.cfg.NetworkURL),
		NextHopInstance: proto.String("zones/us-central1-a/instances/" + vm), Description: proto.String(desc)}
	if err := e.cloud.api.InsertRoute(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestRoutesAdoptUpstreamNamedRoutes(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	insertRaw(t, e, "prod-0b5a9e0a-1111-4222-8333-444455556666", "10.4.0.0/24", "node-a", upstreamRouteDescription)
	// A long cluster name is cut to 26 characters, as upstream does.
	long := "a-very-long-cluster-name-that-upstream-truncates"
	insertRaw(t, e, long[:26]+"-0b5a9e0a-1111-4222-8333-444455556667", "10.5.0.0/24", "node-a", upstreamRouteDescription)
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.5.0.0/24"}}, listRows(t, e.cloud, long)); d != "" {
		t.Errorf("long name (-want +got):\n%s", d)
	}
}

func TestRoutesBlackholeWhenVMGone(t *testing.T) {
	e, _ := withRouteOfA(t)
	if err := e.gce.DeleteInstanceNow("us-central1-a", "node-a"); err != nil {
		t.Fatal(err)
	}
	// No node: the route controller then deletes the blackhole and makes
	// node-a's route again in the same pass (see routeReport).
	if d := cmp.Diff([]routeRow{{Node: "", CIDR: "10.4.0.0/24", Blackhole: true}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRoutesQuotaExceededNamesTheQuota(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	e.gce.SetQuota(fakecompute.QuotaRoutes, 1)
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	before := e.gce.Stats().Calls["compute.routes.insert"]
	err := create(t, e.cloud, "prod", "node-a", "10.4.1.0/24")
	if !gceapi.IsQuotaExceeded(err) || !strings.Contains(err.Error(), "ROUTES") {
		t.Fatalf("want QUOTA_EXCEEDED naming ROUTES, got %v", err)
	}
	// Quota is final: no retry hammering the API.
	if n := e.gce.Stats().Calls["compute.routes.insert"] - before; n != 1 {
		t.Errorf("%d inserts for one quota failure, want 1", n)
	}
}

func TestRoutesRateLimitedThenSuccess(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	if err := e.gce.SetFaults(fakecompute.FaultRule{Method: http.MethodPost, PathRegexp: `/global/routes$`,
		Code: http.StatusForbidden, Reason: "rateLimitExceeded", Count: 2}); err != nil {
		t.Fatal(err)
	}
	e.cloud.api = withFastBackoff(t, e)
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	st := e.gce.Stats()
	if st.Calls["compute.routes.insert"] != 3 || st.Errors["compute.routes.insert"] != 2 {
		t.Errorf("inserts %d (errors %d), want 3 (2)", st.Calls["compute.routes.insert"], st.Errors["compute.routes.insert"])
	}
	if got := listRows(t, e.cloud, "prod"); len(got) != 1 {
		t.Errorf("routes = %v, want exactly one", got)
	}
}

func TestRoutesNodeWithoutProviderIDIsFoundByName(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, func(c *Config) { c.Multizone = true })
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "node-z", Zone: "us-central1-c"}); err != nil {
		t.Fatal(err)
	}
	e.gce.ResetStats()
	if err := create(t, e.cloud, "prod", "node-z.c.demo.internal", "10.4.7.0/24"); err != nil {
		t.Fatal(err)
	}
	st := e.gce.Stats()
	if st.Calls["compute.instances.list"] != 3 || st.Calls["compute.instances.get"] != 0 {
		t.Errorf("lookups: %v; want one filtered list per zone and no GETs", st.Calls)
	}
}

func TestRoutesRefusePodCIDROutsideClusterCIDR(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	if err := e.cloud.SetClusterCIDRs("10.64.0.0/14,fd00:10::/48"); err != nil {
		t.Fatal(err)
	}
	e.gce.ResetStats()
	for _, cidr := range []string{"192.168.0.0/24", "10.60.0.0/24", "fd00:99::/64", "not-a-cidr"} {
		if err := create(t, e.cloud, "prod", "node-a", cidr); err == nil {
			t.Errorf("%s accepted", cidr)
		}
	}
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("%d mutations for refused CIDRs", st.Mutations)
	}
	for _, cidr := range []string{"10.64.3.0/24", "fd00:10:0:1::/64"} {
		if err := create(t, e.cloud, "prod", "node-a", cidr); err != nil {
			t.Errorf("%s: %v", cidr, err)
		}
	}
	if err := e.cloud.SetClusterCIDRs("10.64.0.0/33"); err == nil {
		t.Error("bad --cluster-cidr accepted")
	}
}

// TestRoutesRefusePodCIDRWithHostBits: the API server takes 10.64.3.5/24
// in a Node's podCIDRs; it is refused by name before any write.
func TestRoutesRefusePodCIDRWithHostBits(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	e.addNode(t, "node-a", "us-central1-a")
	if err := e.cloud.SetClusterCIDRs("10.64.0.0/14"); err != nil {
		t.Fatal(err)
	}
	e.gce.ResetStats()
	err := create(t, e.cloud, "prod", "node-a", "10.64.3.5/24")
	if err == nil || !strings.Contains(err.Error(), "pod CIDR 10.64.3.5/24 has host bits set (the range is 10.64.3.0/24)") {
		t.Fatalf("error %v", err)
	}
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("%d mutations for a refused CIDR", st.Mutations)
	}
}

func TestRoutesSharedVPCLiveInTheHostProject(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{ExtraProjects: []string{"host"}}, func(c *Config) {
		c.NetworkProjectID = "host"
		c.NetworkURL = "https://www.googleapis.com/compute/v1/projects/host/global/networks/default"
	})
	e.addNode(t, "node-a", "us-central1-a")
	// Both projects start with their default network's system routes.
	before := e.gce.Dump()
	if err := create(t, e.cloud, "prod", "node-a", "10.4.0.0/24"); err != nil {
		t.Fatal(err)
	}
	dump := e.gce.Dump()
	host, service := "projects/host/global/routes", "projects/demo/global/routes"
	if len(before[host]) == 0 || len(dump[host]) != len(before[host])+1 || len(dump[service]) != len(before[service]) {
		t.Fatalf("routes by project: host %d -> %d, service %d -> %d; want one more in the host project",
			len(before[host]), len(dump[host]), len(before[service]), len(dump[service]))
	}
	r, err := e.cloud.api.GetRoute(context.Background(), routeName("prod", "node-a", "10.4.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	// The next hop is the service project's VM, by full URL.
	if got := r.GetNextHopInstance(); got != "https://www.googleapis.com/compute/v1/projects/demo/zones/us-central1-a/instances/node-a" {
		t.Errorf("next hop %s", got)
	}
	if d := cmp.Diff([]routeRow{{Node: "node-a", CIDR: "10.4.0.0/24"}}, listRows(t, e.cloud, "prod")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	routes, _ := e.cloud.ListRoutes(context.Background(), "prod")
	if err := e.cloud.DeleteRoute(context.Background(), "prod", routes[0]); err != nil {
		t.Fatal(err)
	}
	if n := len(e.gce.Dump()[host]); n != len(before[host]) {
		t.Errorf("%d routes left in the host project, want its %d system routes", n, len(before[host]))
	}
}

// A route is ours as built only if its network is ours by identity: the
// same network name in another project (a Shared VPC host) is a conflict.
func TestRouteConflictComparesNetworksByIdentity(t *testing.T) {
	vm := gceref.Instance("demo", "us-central1-a", "node-a")
	want := desiredRoute("prod", "node-a", "10.0.1.0/24", "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default", vm)
	for _, tc := range []struct {
		network  string
		conflict bool
	}{
		{"https://www.googleapis.com/compute/v1/projects/demo/global/networks/default", false},
		{"projects/demo/global/networks/default", false},
		{"https://www.googleapis.com/compute/v1/projects/host/global/networks/default", true},
	} {
		have := proto.Clone(want).(*computepb.Route)
		have.Network = proto.String(tc.network)
		if got := routeConflict(have, want); (got != "") != tc.conflict {
			t.Errorf("network %s: conflict %q, want conflict=%v", tc.network, got, tc.conflict)
		}
	}
}
