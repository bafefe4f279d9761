package fakecompute_test

import (
	"errors"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// systemRouteView is what a system route answers, by destination.
type systemRouteView struct {
	Name, Description, NextHopGateway, NextHopNetwork, RouteType string
	Priority                                                     int64
}

// systemRoutesOf lists a network's routes named as GCE names its own,
// through both clients, and fails the test if they answer differently.
func (e *env) systemRoutesOf(network string) map[string]systemRouteView {
	e.t.Helper()
	filter := `(name eq "default-route-.*") (network eq ".*/global/networks/` + network + `")`
	req := &computepb.ListRoutesRequest{Project: project, Filter: proto.String(filter)}
	v1 := map[string]systemRouteView{}
	for it := e.routes.List(e.ctx, req); ; {
		r, err := it.Next()
		if errors.Is(err, errDone) {
			break
		}
		if err != nil {
			e.t.Fatal(err)
		}
		v1[r.GetDestRange()] = systemRouteView{Name: r.GetName(), Description: r.GetDescription(), NextHopGateway: r.GetNextHopGateway(),
			NextHopNetwork: r.GetNextHopNetwork(), RouteType: r.GetRouteType(), Priority: int64(r.GetPriority())}
	}
	legacy := map[string]systemRouteView{}
	err := e.legacy.Routes.List(project).Filter(filter).Pages(e.ctx, func(l *gce.RouteList) error {
		for _, r := range l.Items {
			legacy[r.DestRange] = systemRouteView{Name: r.Name, Description: r.Description, NextHopGateway: r.NextHopGateway,
				NextHopNetwork: r.NextHopNetwork, RouteType: r.RouteType, Priority: r.Priority}
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if diff := cmp.Diff(v1, legacy); diff != "" {
		e.t.Errorf("system routes of %s: apiv1 and the legacy client differ (-apiv1 +legacy)\n%s", network, diff)
	}
	return v1
}

// TestSystemRoutes: every network has GCE's route to the internet and a
// local route per subnet range, listed with the user's routes; they come
// and go with their network and subnets, a local route cannot be deleted
// alone (GCE's 400 badRequest), the internet route can, and neither
// blocks the network's delete or counts against the routes quota.
func TestSystemRoutes(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	gateway := base + "projects/demo/global/gateways/default-internet-gateway"
	internet := func() systemRouteView {
		return systemRouteView{Description: "Default route to the Internet.", NextHopGateway: gateway, RouteType: "STATIC", Priority: 1000}
	}
	local := func(network, dest string) systemRouteView {
		return systemRouteView{Description: "Default local route to the subnetwork " + dest + ".",
			NextHopNetwork: base + "projects/demo/global/networks/" + network, RouteType: "SUBNET"}
	}
	// names are GCE's form; the rest is compared without them.
	unnamed := func(m map[string]systemRouteView) map[string]systemRouteView {
		out := map[string]systemRouteView{}
		for dest, v := range m {
			if !strings.HasPrefix(v.Name, "default-route-") || len(v.Name) != len("default-route-")+16 {
				t.Errorf("route to %s is named %q, want default-route- and 16 hex digits", dest, v.Name)
			}
			v.Name = ""
			out[dest] = v
		}
		return out
	}

	// The default network: the internet route and one local route per
	// region's auto subnet.
	def := unnamed(e.systemRoutesOf("default"))
	if len(def) != len(e.regionNames())+1 {
		t.Errorf("default network: %d system routes, want %d", len(def), len(e.regionNames())+1)
	}
	for dest, want := range map[string]systemRouteView{"0.0.0.0/0": internet(),
		"10.128.0.0/20": local("default", "10.128.0.0/20"), "10.132.0.0/20": local("default", "10.132.0.0/20")} {
		if diff := cmp.Diff(want, def[dest]); diff != "" {
			t.Errorf("default network's route to %s (-want +got)\n%s", dest, diff)
		}
	}

	// A custom network: the internet route; a subnet adds a local route per
	// range, secondary ranges included.
	if err := e.insertNetwork("custom", false); err != nil {
		t.Fatal(err)
	}
	op, err := e.subnets.Insert(e.ctx, &computepb.InsertSubnetworkRequest{Project: project, Region: region,
		SubnetworkResource: &computepb.Subnetwork{Name: proto.String("sub"), Network: proto.String("global/networks/custom"),
			IpCidrRange: proto.String("10.10.0.0/24"), SecondaryIpRanges: []*computepb.SubnetworkSecondaryRange{
				{RangeName: proto.String("pods"), IpCidrRange: proto.String("10.20.0.0/16")}}}})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	custom := e.systemRoutesOf("custom")
	want := map[string]systemRouteView{"0.0.0.0/0": internet(),
		"10.10.0.0/24": local("custom", "10.10.0.0/24"), "10.20.0.0/16": local("custom", "10.20.0.0/16")}
	if diff := cmp.Diff(want, unnamed(custom)); diff != "" {
		t.Errorf("custom network's system routes (-want +got)\n%s", diff)
	}

	// A local route cannot be deleted on its own: synchronous, nothing changes.
	before := e.stateJSON()
	_, err = e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: custom["10.10.0.0/24"].Name})
	if diff := cmp.Diff(errSummary{400, "badRequest"}, summarize(err)); diff != "" || !strings.Contains(err.Error(), "The local route cannot be deleted.") {
		t.Errorf("delete a local route: %v (-want +got)\n%s", err, diff)
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("the refused delete changed the state (-before +after)\n%s", diff)
	}

	// System routes do not count against the routes quota.
	e.ts.SetQuota(fakecompute.QuotaRoutes, 1)
	op, err = e.routes.Insert(e.ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
		Name: proto.String("r-user"), Network: proto.String("global/networks/custom"), DestRange: proto.String("10.99.0.0/24"),
		NextHopIp: proto.String("10.10.0.9")}})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		t.Fatalf("the first user route under a quota of 1: %v", err)
	}

	// The subnet takes its local routes with it; the internet route can be
	// deleted (terraform's delete_default_routes_on_create does so).
	if err := e.deleteSubnet("sub"); err != nil {
		t.Fatal(err)
	}
	if got := e.systemRoutesOf("custom"); len(got) != 1 || got["0.0.0.0/0"].Name != custom["0.0.0.0/0"].Name {
		t.Errorf("after the subnet's delete: %v, want the internet route alone", got)
	}
	op, err = e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: custom["0.0.0.0/0"].Name})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		t.Fatalf("delete the internet route: %v", err)
	}

	// A user's route blocks the network's delete, naming it; system routes
	// do not, and go with the network.
	err = e.deleteNetwork("custom")
	if s := summarize(err); s.Code != 400 || !strings.Contains(err.Error(), "routes/r-user") {
		t.Errorf("delete a network a user's route is on: %v, want a 400 naming routes/r-user", err)
	}
	if err := e.insertNetwork("plain", true); err != nil {
		t.Fatal(err)
	}
	if got := len(e.systemRoutesOf("plain")); got != len(e.regionNames())+1 {
		t.Errorf("auto-mode network: %d system routes, want %d", got, len(e.regionNames())+1)
	}
	if err := e.deleteNetwork("plain"); err != nil {
		t.Fatalf("delete a network with only its system routes: %v", err)
	}
	if got := e.systemRoutesOf("plain"); len(got) != 0 {
		t.Errorf("system routes outlive their network: %v", got)
	}
}
