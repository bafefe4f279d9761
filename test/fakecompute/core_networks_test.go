package fakecompute_test

import (
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func (e *env) insertNetwork(name string, auto bool) error {
	op, err := e.networks.Insert(e.ctx, &computepb.InsertNetworkRequest{Project: project, NetworkResource: &computepb.Network{
		Name: proto.String(name), AutoCreateSubnetworks: proto.Bool(auto)}})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

func (e *env) insertSubnet(name, network, cidr string) error {
	op, err := e.subnets.Insert(e.ctx, &computepb.InsertSubnetworkRequest{Project: project, Region: region,
		SubnetworkResource: &computepb.Subnetwork{Name: proto.String(name), Network: proto.String(network), IpCidrRange: proto.String(cidr)}})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

func (e *env) deleteNetwork(name string) error {
	op, err := e.networks.Delete(e.ctx, &computepb.DeleteNetworkRequest{Project: project, Network: name})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

func (e *env) deleteSubnet(name string) error {
	op, err := e.subnets.Delete(e.ctx, &computepb.DeleteSubnetworkRequest{Project: project, Region: region, Subnetwork: name})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

func (e *env) insertVM(name, zone string, ni *computepb.NetworkInterface) error {
	op, err := e.instances.Insert(e.ctx, &computepb.InsertInstanceRequest{Project: project, Zone: zone, InstanceResource: &computepb.Instance{
		Name: proto.String(name), MachineType: proto.String("zones/" + zone + "/machineTypes/e2-small"),
		NetworkInterfaces: []*computepb.NetworkInterface{ni},
		Disks: []*computepb.AttachedDisk{{Boot: proto.Bool(true), AutoDelete: proto.Bool(true),
			InitializeParams: &computepb.AttachedDiskInitializeParams{SourceImage: proto.String("projects/debian-cloud/global/images/family/debian-12")}}},
	}})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

func (e *env) deleteVM(name, zone string) error {
	op, err := e.instances.Delete(e.ctx, &computepb.DeleteInstanceRequest{Project: project, Zone: zone, Instance: name})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

// TestNetworkLifecycle walks a custom-mode network through its life: the
// subnet, VMs numbered from the subnet, and the referential checks that
// refuse to delete what is still in use.
func TestNetworkLifecycle(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	netLink := base + "projects/demo/global/networks/net-a"
	subLink := base + "projects/demo/regions/us-central1/subnetworks/sub-a"

	if err := e.insertNetwork("net-a", false); err != nil {
		t.Fatalf("insert network: %v", err)
	}
	n, err := e.networks.Get(e.ctx, &computepb.GetNetworkRequest{Project: project, Network: "net-a"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"net-a", netLink, "REGIONAL"},
		[]string{n.GetName(), n.GetSelfLink(), n.GetRoutingConfig().GetRoutingMode()}); diff != "" {
		t.Errorf("network (-want +got)\n%s", diff)
	}

	if err := e.insertSubnet("sub-a", "global/networks/net-a", "10.10.0.0/24"); err != nil {
		t.Fatalf("insert subnet: %v", err)
	}
	sn, err := e.subnets.Get(e.ctx, &computepb.GetSubnetworkRequest{Project: project, Region: region, Subnetwork: "sub-a"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{subLink, netLink, "10.10.0.0/24", "10.10.0.1", base + "projects/demo/regions/us-central1"},
		[]string{sn.GetSelfLink(), sn.GetNetwork(), sn.GetIpCidrRange(), sn.GetGatewayAddress(), sn.GetRegion()}); diff != "" {
		t.Errorf("subnet (-want +got)\n%s", diff)
	}
	n, err = e.networks.Get(e.ctx, &computepb.GetNetworkRequest{Project: project, Network: "net-a"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{subLink}, n.GetSubnetworks()); diff != "" {
		t.Errorf("network.subnetworks (-want +got)\n%s", diff)
	}

	// Lists through both clients.
	var names []string
	it := e.networks.List(e.ctx, &computepb.ListNetworksRequest{Project: project})
	for nw, err := it.Next(); err == nil; nw, err = it.Next() {
		names = append(names, nw.GetName())
	}
	if diff := cmp.Diff([]string{"default", "net-a"}, names); diff != "" {
		t.Errorf("networks.list (-want +got)\n%s", diff)
	}
	sl, err := e.legacy.Subnetworks.List(project, region).Do()
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, s := range sl.Items {
		names = append(names, s.Name+"="+s.IpCidrRange)
	}
	if diff := cmp.Diff([]string{"default=10.128.0.0/20", "sub-a=10.10.0.0/24"}, names); diff != "" {
		t.Errorf("subnetworks.list (-want +got)\n%s", diff)
	}

	// Overlapping ranges in the same network are refused at once; another
	// network may reuse the range.
	for _, cidr := range []string{"10.10.0.0/24", "10.10.0.128/25", "10.0.0.0/8"} {
		err := e.insertSubnet("sub-b", "global/networks/net-a", cidr)
		if diff := cmp.Diff(errSummary{400, "invalid"}, summarize(err)); diff != "" {
			t.Errorf("overlapping subnet %s (-want +got)\n%s", cidr, diff)
		}
	}
	if err := e.insertNetwork("net-b", false); err != nil {
		t.Fatal(err)
	}
	if err := e.insertSubnet("sub-b", "projects/demo/global/networks/net-b", "10.10.0.0/24"); err != nil {
		t.Errorf("same range in another network: %v", err)
	}

	// VMs get the lowest free addresses of their subnet: .0 is the
	// network and .1 the gateway.
	for _, vm := range []string{"vm-1", "vm-2"} {
		if err := e.insertVM(vm, zoneA, &computepb.NetworkInterface{Subnetwork: proto.String("regions/us-central1/subnetworks/sub-a")}); err != nil {
			t.Fatalf("insert %s: %v", vm, err)
		}
	}
	var ips []string
	for _, vm := range []string{"vm-1", "vm-2"} {
		inst, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneA, Instance: vm})
		if err != nil {
			t.Fatal(err)
		}
		ni := inst.GetNetworkInterfaces()[0]
		ips = append(ips, ni.GetNetworkIP()+" "+ni.GetSubnetwork()+" "+ni.GetNetwork())
	}
	if diff := cmp.Diff([]string{"10.10.0.2 " + subLink + " " + netLink, "10.10.0.3 " + subLink + " " + netLink}, ips); diff != "" {
		t.Errorf("VM addresses (-want +got)\n%s", diff)
	}
	// A requested address must be free and inside the usable range.
	for _, ip := range []string{"10.10.0.2", "10.10.1.5", "10.10.0.1", "10.10.0.255", "10.10.0.254"} {
		err := e.insertVM("vm-x", zoneA, &computepb.NetworkInterface{Subnetwork: proto.String(subLink), NetworkIP: proto.String(ip)})
		if diff := cmp.Diff(errSummary{400, "invalid"}, summarize(err)); diff != "" {
			t.Errorf("networkIP %s (-want +got)\n%s", ip, diff)
		}
	}
	if err := e.insertVM("vm-3", zoneA, &computepb.NetworkInterface{Subnetwork: proto.String(subLink), NetworkIP: proto.String("10.10.0.200")}); err != nil {
		t.Errorf("free static networkIP: %v", err)
	}

	// In use: the subnet by VMs, the network by its subnet and by a route.
	inUse := errSummary{400, "resourceInUseByAnotherResource"}
	if diff := cmp.Diff(inUse, summarize(e.deleteSubnet("sub-a"))); diff != "" {
		t.Errorf("delete subnet with VMs (-want +got)\n%s", diff)
	}
	// GCE accepts a network's delete and fails it in the operation.
	inUseOp := errSummary{400, ""}
	if diff := cmp.Diff(inUseOp, summarize(e.deleteNetwork("net-a"))); diff != "" {
		t.Errorf("delete network with a subnet (-want +got)\n%s", diff)
	}
	for _, vm := range []string{"vm-1", "vm-2", "vm-3"} {
		if err := e.deleteVM(vm, zoneA); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.deleteSubnet("sub-a"); err != nil {
		t.Fatalf("delete unused subnet: %v", err)
	}
	op, err := e.routes.Insert(e.ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
		Name: proto.String("via-net-a"), Network: proto.String(netLink), DestRange: proto.String("192.168.0.0/16"),
		NextHopGateway: proto.String("global/gateways/default-internet-gateway")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(inUseOp, summarize(e.deleteNetwork("net-a"))); diff != "" {
		t.Errorf("delete network with a route (-want +got)\n%s", diff)
	}
	if op, err = e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: "via-net-a"}); err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.deleteNetwork("net-a"); err != nil {
		t.Fatalf("delete unused network: %v", err)
	}
	_, err = e.networks.Get(e.ctx, &computepb.GetNetworkRequest{Project: project, Network: "net-a"})
	if diff := cmp.Diff(errSummary{404, "notFound"}, summarize(err)); diff != "" {
		t.Errorf("get deleted network (-want +got)\n%s", diff)
	}
	// The default network is in use by nothing but its own subnet and is
	// auto mode: it goes with it.
	if err := e.deleteNetwork("default"); err != nil {
		t.Errorf("delete auto-mode network: %v", err)
	}
	if _, err := e.legacy.Subnetworks.Get(project, region, "default").Do(); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("auto-mode subnet after its network went: %v", err)
	}
}

// TestAutoModeNetwork checks that an auto-mode network gets a subnet in
// every region with GCE's fixed range there, as the default network has.
func TestAutoModeNetwork(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.insertNetwork("auto", true); err != nil {
		t.Fatal(err)
	}
	sn, err := e.legacy.Subnetworks.Get(project, region, "auto").Do()
	if err != nil {
		t.Fatal(err)
	}
	if sn.IpCidrRange != "10.128.0.0/20" {
		t.Errorf("auto subnet range in us-central1 %q, want GCE's 10.128.0.0/20", sn.IpCidrRange)
	}
	for region, want := range map[string]string{"europe-west1": "10.132.0.0/20", "asia-east1": "10.140.0.0/20", "us-east1": "10.142.0.0/20"} {
		if sn, err := e.legacy.Subnetworks.Get(project, region, "auto").Do(); err != nil || sn.IpCidrRange != want {
			t.Errorf("auto subnet in %s: %v %v, want %s", region, sn, err, want)
		}
	}
	n, err := e.legacy.Networks.Get(project, "auto").Do()
	if err != nil || len(n.Subnetworks) != len(e.regionNames()) {
		t.Errorf("auto network lists %d subnets (%v), want one per region (%d)", len(n.Subnetworks), err, len(e.regionNames()))
	}
	// Its subnets go only with it.
	if _, err := e.legacy.Subnetworks.Delete(project, region, "auto").Do(); summarize(err) != (errSummary{400, "invalidResourceUsage"}) {
		t.Errorf("delete an auto subnet: %v, want 400 invalidResourceUsage", err)
	}
	if want := base + "projects/demo/global/networks/auto"; sn.Network != want {
		t.Errorf("auto subnet network = %q, want %q", sn.Network, want)
	}
}

// TestSubnetworkRefusals covers the synchronous 400s of subnetworks.insert.
func TestSubnetworkRefusals(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	before := e.stateJSON()
	cases := []struct {
		name, network, cidr string
		want                errSummary
	}{
		{"sub", "default", "10.0.0.0/33", errSummary{400, "invalid"}},
		{"sub", "default", "10.0.0.1/24", errSummary{400, "invalid"}},
		{"sub", "default", "fd00::/64", errSummary{400, "invalid"}},
		{"sub", "default", "10.0.0.0/30", errSummary{400, "invalid"}},
		{"sub", "default", "", errSummary{400, "required"}},
		{"Sub", "default", "10.0.0.0/24", errSummary{400, "invalid"}},
		{"sub", "", "10.0.0.0/24", errSummary{400, "required"}},
		{"sub", "nope", "10.0.0.0/24", errSummary{404, "notFound"}},
		{"sub", "default", "10.128.4.0/24", errSummary{400, "invalid"}}, // overlaps the default subnet
	}
	for _, tc := range cases {
		err := e.insertSubnet(tc.name, tc.network, tc.cidr)
		if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
			t.Errorf("insert %s %s %q (-want +got)\n%s", tc.name, tc.network, tc.cidr, diff)
		}
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("refused inserts changed the state (-before +after)\n%s", diff)
	}
}

// TestNetworksLegacyClient runs the network verbs through
// google.golang.org/api/compute/v1, as the upstream provider does.
func TestNetworksLegacyClient(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	op, err := e.legacy.Networks.Insert(project, &gce.Network{Name: "legacy-net", AutoCreateSubnetworks: false,
		ForceSendFields: []string{"AutoCreateSubnetworks"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.Status != "RUNNING" || op.OperationType != "insert" || op.TargetLink != base+"projects/demo/global/networks/legacy-net" || op.TargetId == 0 {
		t.Errorf("insert operation = %s %s %s target %d", op.Status, op.OperationType, op.TargetLink, op.TargetId)
	}
	if op, err = e.legacy.GlobalOperations.Wait(project, op.Name).Do(); err != nil || op.Status != "DONE" || op.Error != nil {
		t.Fatalf("insert operation: %+v, %v", op, err)
	}
	op, err = e.legacy.Subnetworks.Insert(project, region, &gce.Subnetwork{Name: "legacy-sub",
		Network: base + "projects/demo/global/networks/legacy-net", IpCidrRange: "172.16.0.0/16"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.Region != base+"projects/demo/regions/us-central1" {
		t.Errorf("subnet insert operation region = %q", op.Region)
	}
	var got []string
	err = e.legacy.Networks.List(project).Pages(e.ctx, func(l *gce.NetworkList) error {
		for _, n := range l.Items {
			got = append(got, n.Name+":"+lastSegments(n.Subnetworks))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	defaultSubnets := strings.TrimSuffix(strings.Repeat("default,", len(e.regionNames())), ",")
	if diff := cmp.Diff([]string{"default:" + defaultSubnets, "legacy-net:legacy-sub"}, got); diff != "" {
		t.Errorf("networks (-want +got)\n%s", diff)
	}
	// In use: accepted, and the operation fails as GCE's does.
	op, err = e.legacy.Networks.Delete(project, "legacy-net").Do()
	if err == nil {
		op, err = e.legacy.GlobalOperations.Wait(project, op.Name).Do()
	}
	if err != nil || op.Status != "DONE" || op.HttpErrorStatusCode != 400 || op.Error == nil ||
		op.Error.Errors[0].Code != "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE" {
		t.Errorf("delete network with subnet: %+v, %v; want a DONE operation failed with RESOURCE_IN_USE_BY_ANOTHER_RESOURCE (400)", op, err)
	}
}
