package fakecompute_test

import (
	"net/netip"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
)

// subnetRange is the default subnetwork of lbRegion in a new project.
var subnetRange = netip.MustParsePrefix("10.128.0.0/20")

func TestILBInternalRule(t *testing.T) {
	e := newILBEnv(t)
	_, _, backend := e.ilbStack()
	fr := e.rule(internalRule("fr", backend, "80", "443"))
	ip, err := netip.ParseAddr(fr.GetIPAddress())
	if err != nil || !subnetRange.Contains(ip) {
		t.Fatalf("IP %q is not from the subnetwork %s", fr.GetIPAddress(), subnetRange)
	}
	if fr.GetSubnetwork() != lbLink("regions/"+lbRegion+"/subnetworks/default") || fr.GetNetwork() != lbLink("global/networks/default") ||
		fr.GetBackendService() != backend || fr.GetLoadBalancingScheme() != "INTERNAL" || fr.GetNetworkTier() != "PREMIUM" {
		t.Fatalf("stored: %v", fr)
	}
	// The allocated IP is taken: a VM or another rule does not get it.
	all := internalRule("all", backend)
	all.AllPorts, all.AllowGlobalAccess = proto.Bool(true), proto.Bool(true)
	got := e.rule(all)
	if got.GetIPAddress() == fr.GetIPAddress() || !got.GetAllowGlobalAccess() || !got.GetAllPorts() {
		t.Fatalf("second rule: %v", got)
	}
	// A given free IP of the subnet, through the discovery-based client.
	op, err := e.legacy.ForwardingRules.Insert(lbProject, lbRegion, &gce.ForwardingRule{Name: "given", LoadBalancingScheme: "INTERNAL",
		BackendService: backend, IPProtocol: "TCP", Ports: []string{"8080"}, IPAddress: "10.128.0.100", Subnetwork: "regions/" + lbRegion + "/subnetworks/default"}).Context(e.ctx).Do()
	if err := e.legacyDo(op, err); err != nil {
		t.Fatal(err)
	}
	if got := e.getRule("given"); got.GetIPAddress() != "10.128.0.100" {
		t.Fatalf("given IP: %v", got.GetIPAddress())
	}
	// getHealth names the rules sending to the service.
	h, err := e.bs.GetHealth(e.ctx, &computepb.GetHealthRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs",
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(lbLink("zones/" + lbZone + "/instanceGroups/ig"))}})
	if err != nil || len(h.GetHealthStatus()) != 6 { // 2 members x 3 rules
		t.Fatalf("health: %v %v", err, h)
	}
	// In use: the service by the rules; setTarget is not for such a rule.
	lbWantErr(t, e.do(e.bs.Delete(e.ctx, &computepb.DeleteRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs"})), 400, "already being used by")
	pool := e.targetPool("tp", "node-c")
	lbWantErr(t, e.do(e.fr.SetTarget(e.ctx, &computepb.SetTargetForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "fr",
		TargetReferenceResource: &computepb.TargetReference{Target: proto.String(pool)}})), 400, "backend service")
	for _, n := range []string{"fr", "all", "given"} {
		e.must(e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: n}))
	}
	e.must(e.bs.Delete(e.ctx, &computepb.DeleteRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs"}))
}

// TestILBSharedInternalIP: TCP and UDP on one internal IP need an address
// of purpose SHARED_LOADBALANCER_VIP; a GCE_ENDPOINT address serves one rule.
func TestILBSharedInternalIP(t *testing.T) {
	e := newILBEnv(t)
	group, check, tcp := e.ilbStack()
	udpBS := &computepb.BackendService{Name: proto.String("bs-udp"), LoadBalancingScheme: proto.String("INTERNAL"), Protocol: proto.String("UDP"),
		HealthChecks: []string{check}, Backends: []*computepb.Backend{{Group: proto.String(group)}}}
	if err := e.insertBackend(udpBS); err != nil {
		t.Fatal(err)
	}
	udp := lbLink("regions/" + lbRegion + "/backendServices/bs-udp")
	vip := e.address("vip", &computepb.Address{AddressType: proto.String("INTERNAL"), Purpose: proto.String("SHARED_LOADBALANCER_VIP")})
	if vip.GetSubnetwork() != lbLink("regions/"+lbRegion+"/subnetworks/default") || vip.GetStatus() != "RESERVED" {
		t.Fatalf("address: %v", vip)
	}
	ref := "regions/" + lbRegion + "/addresses/vip"
	r1 := internalRule("tcp", tcp, "53")
	r1.IPAddress = proto.String(ref)
	e.rule(r1)
	r2 := internalRule("udp", udp, "53")
	r2.IPProtocol, r2.IPAddress = proto.String("UDP"), proto.String(vip.GetAddress())
	if got := e.rule(r2); got.GetIPAddress() != vip.GetAddress() {
		t.Fatalf("udp rule on %s, want %s", got.GetIPAddress(), vip.GetAddress())
	}
	if a := e.getAddress("vip"); a.GetStatus() != "IN_USE" || len(a.GetUsers()) != 2 {
		t.Fatalf("address users: %v %v", a.GetStatus(), a.GetUsers())
	}
	// Same protocol and port on the shared IP: conflict.
	r3 := internalRule("tcp2", tcp, "53")
	r3.IPAddress = proto.String(ref)
	lbWantErr(t, e.insertRule(r3), 400, "in-use")

	// A GCE_ENDPOINT address serves one rule only.
	ep := e.address("ep", &computepb.Address{AddressType: proto.String("INTERNAL")})
	r4 := internalRule("ep1", tcp, "80")
	r4.IPAddress = proto.String(ep.GetAddress())
	e.rule(r4)
	r5 := internalRule("ep2", udp, "80")
	r5.IPProtocol, r5.IPAddress = proto.String("UDP"), proto.String(ep.GetAddress())
	lbWantErr(t, e.insertRule(r5), 400, "in-use")
	// A VM's IP is taken.
	vm, err := e.inst.Get(e.ctx, &computepb.GetInstanceRequest{Project: lbProject, Zone: lbZone, Instance: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	r6 := internalRule("vmip", tcp, "81")
	r6.IPAddress = proto.String(vm.GetNetworkInterfaces()[0].GetNetworkIP())
	lbWantErr(t, e.insertRule(r6), 400, "in-use")
	// An allocated address skips every IP held above.
	a := e.address("next", &computepb.Address{AddressType: proto.String("INTERNAL")})
	for _, held := range []string{vip.GetAddress(), ep.GetAddress(), vm.GetNetworkInterfaces()[0].GetNetworkIP()} {
		if a.GetAddress() == held {
			t.Fatalf("allocated %s, which is held", held)
		}
	}
}

func TestILBInternalRuleErrors(t *testing.T) {
	e := newILBEnv(t)
	_, check, backend := e.ilbStack()
	_ = check
	e.address("ext", nil)
	if _, err := e.nets.Insert(e.ctx, &computepb.InsertNetworkRequest{Project: lbProject, NetworkResource: &computepb.Network{
		Name: proto.String("other"), AutoCreateSubnetworks: proto.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		edit     func(fr *computepb.ForwardingRule)
		code     int
		fragment string
	}{
		{"no backend service", func(fr *computepb.ForwardingRule) { fr.BackendService = nil }, 400, "resource.backendService"},
		{"missing backend service", func(fr *computepb.ForwardingRule) {
			fr.BackendService = proto.String("regions/" + lbRegion + "/backendServices/nope")
		}, 404, "backendServices/nope"},
		{"a target", func(fr *computepb.ForwardingRule) {
			fr.Target = proto.String("regions/" + lbRegion + "/targetPools/tp")
		}, 400, "resource.target"},
		{"no ports", func(fr *computepb.ForwardingRule) { fr.Ports = nil }, 400, "needs ports"},
		{"six ports", func(fr *computepb.ForwardingRule) { fr.Ports = []string{"1", "2", "3", "4", "5", "6"} }, 400, "at most 5"},
		{"a port range", func(fr *computepb.ForwardingRule) { fr.Ports, fr.PortRange = nil, proto.String("80-90") }, 400, "resource.portRange"},
		{"protocol of the service", func(fr *computepb.ForwardingRule) { fr.IPProtocol = proto.String("UDP") }, 400, "serves TCP"},
		{"L3_DEFAULT", func(fr *computepb.ForwardingRule) {
			fr.IPProtocol, fr.Ports, fr.AllPorts = proto.String("L3_DEFAULT"), nil, proto.Bool(true)
		}, 400, "TCP and UDP"},
		{"standard tier", func(fr *computepb.ForwardingRule) { fr.NetworkTier = proto.String("STANDARD") }, 400, "PREMIUM"},
		{"missing subnetwork", func(fr *computepb.ForwardingRule) {
			fr.Subnetwork = proto.String("regions/" + lbRegion + "/subnetworks/nope")
		}, 404, "subnetworks/nope"},
		{"subnetwork of another region", func(fr *computepb.ForwardingRule) {
			fr.Subnetwork = proto.String("regions/europe-west1/subnetworks/default")
		}, 400, "resource.subnetwork"},
		{"subnetwork of another network", func(fr *computepb.ForwardingRule) {
			fr.Network, fr.Subnetwork = proto.String("global/networks/other"), proto.String("regions/"+lbRegion+"/subnetworks/default")
		}, 400, "not in network"},
		{"IP outside the subnetwork", func(fr *computepb.ForwardingRule) { fr.IPAddress = proto.String("192.168.0.10") }, 400, "outside the subnetwork"},
		{"external address", func(fr *computepb.ForwardingRule) {
			fr.IPAddress = proto.String("regions/" + lbRegion + "/addresses/ext")
		}, 400, "EXTERNAL address"},
		{"IPv6", func(fr *computepb.ForwardingRule) { fr.IPAddress = proto.String("fd00::1") }, 400, "Invalid IP address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fr := internalRule("bad", backend, "80")
			tc.edit(fr)
			lbWantErr(t, e.insertRule(fr), tc.code, tc.fragment)
		})
	}
	// Internal addresses: purpose and subnetwork are checked.
	for _, a := range []*computepb.Address{
		{AddressType: proto.String("INTERNAL"), Purpose: proto.String("VPC_PEERING")},
		{Purpose: proto.String("SHARED_LOADBALANCER_VIP")},
	} {
		a.Name = proto.String("bad")
		lbWantErr(t, e.do(e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion, AddressResource: a})), 400, "resource.purpose")
	}
	lbWantErr(t, e.do(e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion, AddressResource: &computepb.Address{
		Name: proto.String("bad"), AddressType: proto.String("INTERNAL"), Address: proto.String("10.200.0.5")}})), 400, "outside the subnetwork")
}
