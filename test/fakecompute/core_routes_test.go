package fakecompute_test

import (
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// routeView is what the CCM reads back from a route.
type routeView struct {
	Name, DestRange, Network, NextHopInstance, SelfLink, Kind string
	Priority                                                  uint32
	Warnings                                                  []string // code: data instance
}

func viewRoute(r *computepb.Route) routeView {
	v := routeView{Name: r.GetName(), DestRange: r.GetDestRange(), Network: r.GetNetwork(), NextHopInstance: r.GetNextHopInstance(),
		SelfLink: r.GetSelfLink(), Kind: r.GetKind(), Priority: r.GetPriority()}
	for _, w := range r.GetWarnings() {
		s := w.GetCode()
		for _, d := range w.GetData() {
			s += " " + d.GetKey() + "=" + d.GetValue()
		}
		v.Warnings = append(v.Warnings, s)
	}
	return v
}

// TestRoutes covers routes.insert/get/list/delete and the warnings GCE
// computes from the next-hop VM's state, now and after it changes.
func TestRoutes(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "fwd", Zone: zoneA, CanIPForward: true},
		fakecompute.InstanceSeed{Name: "nofwd", Zone: zoneA},
		fakecompute.InstanceSeed{Name: "doomed", Zone: zoneA, CanIPForward: true})
	vm := func(name string) string { return base + "projects/demo/zones/us-central1-a/instances/" + name }
	network := base + "projects/demo/global/networks/default"
	route := func(name string) string { return base + "projects/demo/global/routes/" + name }

	// The next hop arrives in every form clients send; it is stored canonical.
	inserts := []struct {
		name, dest, hop string
		priority        *uint32
	}{
		{"r-fwd", "10.0.1.0/24", "zones/us-central1-a/instances/fwd", nil},
		{"r-nofwd", "10.0.2.0/24", "projects/demo/zones/us-central1-a/instances/nofwd", nil},
		{"r-missing", "10.0.3.0/24", "https://www.googleapis.com/compute/v1/projects/demo/zones/us-central1-a/instances/ghost", proto.Uint32(10)},
		{"r-doomed", "10.0.4.0/24", e.ts.URL + "/compute/v1/projects/demo/zones/us-central1-a/instances/doomed", proto.Uint32(0)},
	}
	for _, in := range inserts {
		req := routeReq(in.name, in.dest, "")
		req.RouteResource.NextHopInstance = proto.String(in.hop)
		req.RouteResource.Priority = in.priority
		op, err := e.routes.Insert(e.ctx, req)
		if err != nil {
			t.Fatalf("insert %s: %v", in.name, err)
		}
		if err := op.Wait(e.ctx); err != nil {
			t.Fatalf("wait %s: %v", in.name, err)
		}
	}
	notFound := func(name string) string { return "NEXT_HOP_INSTANCE_NOT_FOUND instance=" + vm(name) }
	want := map[string]routeView{
		"r-fwd": {Name: "r-fwd", DestRange: "10.0.1.0/24", Network: network, NextHopInstance: vm("fwd"), SelfLink: route("r-fwd"),
			Kind: "compute#route", Priority: 1000},
		"r-nofwd": {Name: "r-nofwd", DestRange: "10.0.2.0/24", Network: network, NextHopInstance: vm("nofwd"), SelfLink: route("r-nofwd"),
			Kind: "compute#route", Priority: 1000, Warnings: []string{"NEXT_HOP_CANNOT_IP_FORWARD instance=" + vm("nofwd")}},
		"r-missing": {Name: "r-missing", DestRange: "10.0.3.0/24", Network: network, NextHopInstance: vm("ghost"), SelfLink: route("r-missing"),
			Kind: "compute#route", Priority: 10, Warnings: []string{notFound("ghost")}},
		"r-doomed": {Name: "r-doomed", DestRange: "10.0.4.0/24", Network: network, NextHopInstance: vm("doomed"), SelfLink: route("r-doomed"),
			Kind: "compute#route", Priority: 0},
	}
	check := func(when string) {
		t.Helper()
		for name, w := range want {
			r, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: name})
			if err != nil {
				t.Fatalf("%s: get %s: %v", when, name, err)
			}
			if diff := cmp.Diff(w, viewRoute(r)); diff != "" {
				t.Errorf("%s: get %s (-want +got)\n%s", when, name, diff)
			}
		}
		// The list renders the same warnings.
		got := map[string]routeView{}
		l, err := e.legacy.Routes.List(project).Do()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.Items {
			if strings.HasPrefix(r.Name, systemRoutePrefix) {
				continue // TestSystemRoutes
			}
			v := routeView{Name: r.Name, DestRange: r.DestRange, Network: r.Network, NextHopInstance: r.NextHopInstance,
				SelfLink: r.SelfLink, Kind: r.Kind, Priority: uint32(r.Priority)}
			for _, w := range r.Warnings {
				s := w.Code
				for _, d := range w.Data {
					s += " " + d.Key + "=" + d.Value
				}
				v.Warnings = append(v.Warnings, s)
			}
			got[r.Name] = v
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: legacy list (-want +got)\n%s", when, diff)
		}
	}
	check("after insert")

	// The VM goes away out of band: its route now warns.
	if err := e.ts.DeleteInstanceNow(zoneA, "doomed"); err != nil {
		t.Fatal(err)
	}
	w := want["r-doomed"]
	w.Warnings = []string{notFound("doomed")}
	want["r-doomed"] = w
	check("after the VM was deleted")

	// Delete, then 404.
	op, err := e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: "r-doomed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	delete(want, "r-doomed")
	check("after delete")
	_, err = e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "r-doomed"})
	if diff := cmp.Diff(errSummary{404, "notFound"}, summarize(err)); diff != "" {
		t.Errorf("get deleted route (-want +got)\n%s", diff)
	}
	_, err = e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: "r-doomed"})
	if diff := cmp.Diff(errSummary{404, "notFound"}, summarize(err)); diff != "" {
		t.Errorf("delete deleted route (-want +got)\n%s", diff)
	}
}

// TestRouteRefusals covers the synchronous refusals of routes.insert.
func TestRouteRefusals(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.insertRoute("taken", "10.1.0.0/24", "vm")
	before := e.stateJSON()
	cases := []struct {
		name   string
		mutate func(r *computepb.Route)
		want   errSummary
	}{
		{"duplicate", func(r *computepb.Route) { r.Name = proto.String("taken") }, errSummary{409, "alreadyExists"}},
		{"capitals", func(r *computepb.Route) { r.Name = proto.String("Route") }, errSummary{400, "invalid"}},
		{"64 chars", func(r *computepb.Route) { r.Name = proto.String("r" + repeat("a", 63)) }, errSummary{400, "invalid"}},
		{"trailing hyphen", func(r *computepb.Route) { r.Name = proto.String("route-") }, errSummary{400, "invalid"}},
		{"no name", func(r *computepb.Route) { r.Name = nil }, errSummary{400, "required"}},
		{"bad CIDR", func(r *computepb.Route) { r.DestRange = proto.String("10.0.0.0/33") }, errSummary{400, "invalid"}},
		{"host bits", func(r *computepb.Route) { r.DestRange = proto.String("10.0.0.1/24") }, errSummary{400, "invalid"}},
		{"not a CIDR", func(r *computepb.Route) { r.DestRange = proto.String("ten") }, errSummary{400, "invalid"}},
		{"no network", func(r *computepb.Route) { r.Network = nil }, errSummary{400, "required"}},
		{"unknown network", func(r *computepb.Route) { r.Network = proto.String("global/networks/nope") }, errSummary{404, "notFound"}},
		{"network of the wrong kind", func(r *computepb.Route) { r.Network = proto.String("global/firewalls/x") }, errSummary{400, "invalid"}},
		{"no next hop", func(r *computepb.Route) { r.NextHopInstance = nil }, errSummary{400, "invalid"}},
		{"two next hops", func(r *computepb.Route) { r.NextHopIp = proto.String("10.128.0.9") }, errSummary{400, "invalid"}},
		{"bad next-hop IP", func(r *computepb.Route) { r.NextHopInstance, r.NextHopIp = nil, proto.String("10.1.2") }, errSummary{400, "invalid"}},
		{"bad gateway", func(r *computepb.Route) {
			r.NextHopInstance, r.NextHopGateway = nil, proto.String("global/gateways/elsewhere")
		}, errSummary{400, "invalid"}},
		{"priority too high", func(r *computepb.Route) { r.Priority = proto.Uint32(70000) }, errSummary{400, "invalid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := routeReq("fresh", "10.2.0.0/24", "vm")
			tc.mutate(req.RouteResource)
			_, err := e.routes.Insert(e.ctx, req)
			if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("refused inserts changed the state (-before +after)\n%s", diff)
	}
}

// TestRoutesLegacyClient runs insert, operation polling and get through
// google.golang.org/api/compute/v1, the way k8s-cloud-provider does.
func TestRoutesLegacyClient(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "node", Zone: zoneB, CanIPForward: true})
	op, err := e.legacy.Routes.Insert(project, &gce.Route{Name: "legacy", Network: "global/networks/default",
		DestRange: "10.9.0.0/24", NextHopInstance: "zones/us-central1-b/instances/node"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	op, err = e.legacy.GlobalOperations.Get(project, op.Name).Do()
	if err != nil || op.Status != "DONE" || op.Error != nil {
		t.Fatalf("operation: %+v %v", op, err)
	}
	r, err := e.legacy.Routes.Get(project, "legacy").Do()
	if err != nil {
		t.Fatal(err)
	}
	if r.Priority != 1000 || len(r.Warnings) != 0 || r.NextHopInstance != base+"projects/demo/zones/us-central1-b/instances/node" {
		t.Errorf("route: priority %d warnings %v next hop %s", r.Priority, r.Warnings, r.NextHopInstance)
	}
	if op.TargetId != r.Id || r.Id == 0 {
		t.Errorf("operation targetId %d, route id %d", op.TargetId, r.Id)
	}
	del, err := e.legacy.Routes.Delete(project, "legacy").Do()
	if err != nil {
		t.Fatal(err)
	}
	if del.TargetId != r.Id {
		t.Errorf("delete operation targetId %d, want the route's id %d", del.TargetId, r.Id)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
