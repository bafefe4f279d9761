package fakecompute_test

import (
	"fmt"
	"net/netip"
	"sort"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestLBAddressReserve(t *testing.T) {
	e := newLBEnv(t)
	cases := []struct {
		name     string
		in       *computepb.Address
		wantPool string // the range the address must come from
		wantIP   string // or the exact address
		wantType string
		wantTier string
	}{
		{"premium by default", nil, "34.118.0.0/16", "", "EXTERNAL", "PREMIUM"},
		{"standard tier", &computepb.Address{NetworkTier: proto.String("STANDARD")}, "35.206.0.0/16", "", "EXTERNAL", "STANDARD"},
		{"requested external", &computepb.Address{Address: proto.String("34.118.9.9")}, "", "34.118.9.9", "EXTERNAL", "PREMIUM"},
		{"internal from the default subnet", &computepb.Address{AddressType: proto.String("INTERNAL")}, "10.128.0.0/20", "", "INTERNAL", "PREMIUM"},
		{"requested internal", &computepb.Address{AddressType: proto.String("INTERNAL"), Address: proto.String("10.128.0.200"),
			Subnetwork: proto.String("regions/us-central1/subnetworks/default")}, "", "10.128.0.200", "INTERNAL", "PREMIUM"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("addr-%d", i)
			got := e.address(name, tc.in)
			if tc.wantIP != "" && got.GetAddress() != tc.wantIP {
				t.Errorf("address %s, want %s", got.GetAddress(), tc.wantIP)
			}
			if tc.wantPool != "" && !netip.MustParsePrefix(tc.wantPool).Contains(netip.MustParseAddr(got.GetAddress())) {
				t.Errorf("address %s outside %s", got.GetAddress(), tc.wantPool)
			}
			if diff := cmp.Diff(
				[]string{"RESERVED", tc.wantType, tc.wantTier, lbLink("regions/" + lbRegion), lbLink("regions/" + lbRegion + "/addresses/" + name), "compute#address"},
				[]string{got.GetStatus(), got.GetAddressType(), got.GetNetworkTier(), got.GetRegion(), got.GetSelfLink(), got.GetKind()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLBAddressErrors(t *testing.T) {
	e := newLBEnv(t)
	e.address("taken", &computepb.Address{Address: proto.String("34.118.0.50")})
	e.address("taken-internal", &computepb.Address{AddressType: proto.String("INTERNAL"), Address: proto.String("10.128.0.50")})
	cases := []struct {
		name     string
		in       *computepb.Address
		code     int
		fragment string
	}{
		{"IP of another address", &computepb.Address{Address: proto.String("34.118.0.50")}, 400, "resource.address"},
		{"IP of the other tier", &computepb.Address{Address: proto.String("35.206.0.9")}, 400, "networkTier"},
		{"IP nobody owns", &computepb.Address{Address: proto.String("8.8.8.8")}, 400, "not available"},
		{"not an IPv4 address", &computepb.Address{Address: proto.String("2001:db8::1")}, 400, "resource.address"},
		{"internal IP of another address", &computepb.Address{AddressType: proto.String("INTERNAL"), Address: proto.String("10.128.0.50")}, 409, "IP_IN_USE_BY_ANOTHER_RESOURCE"},
		{"internal IP outside the subnet", &computepb.Address{AddressType: proto.String("INTERNAL"), Address: proto.String("10.200.0.5")}, 400, "outside the subnetwork"},
		{"unknown subnetwork", &computepb.Address{AddressType: proto.String("INTERNAL"), Subnetwork: proto.String("regions/us-central1/subnetworks/nope")}, 404, "subnetworks/nope"},
		{"subnetwork on external", &computepb.Address{Subnetwork: proto.String("regions/us-central1/subnetworks/default")}, 400, "resource.subnetwork"},
		{"bad type", &computepb.Address{AddressType: proto.String("PUBLIC")}, 400, "resource.addressType"},
		{"bad tier", &computepb.Address{NetworkTier: proto.String("GOLD")}, 400, "resource.networkTier"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Name = proto.String(fmt.Sprintf("bad-%d", i))
			op, err := e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion, AddressResource: tc.in})
			lbWantErr(t, lbDo(e.ctx, op, err), tc.code, tc.fragment)
		})
	}
	op, err := e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion,
		AddressResource: &computepb.Address{Name: proto.String("taken")}})
	lbWantErr(t, lbDo(e.ctx, op, err), 409, "already exists")
}

// TestLBAddressPromotion follows the upstream provider's IP dance: an
// ephemeral rule IP is promoted to a static address, which is IN_USE while
// the rule holds it, RESERVED once the rule is gone, and can be released
// while in use, leaving the rule its IP as an ephemeral one.
func TestLBAddressPromotion(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	fr := e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String(pool), PortRange: proto.String("80")})
	ip := fr.GetIPAddress()

	a := e.address("lb", &computepb.Address{Address: proto.String(ip)})
	if a.GetStatus() != "IN_USE" || !cmp.Equal(a.Users, []string{fr.GetSelfLink()}) {
		t.Fatalf("promoted address: %s %v", a.GetStatus(), a.Users)
	}
	listed := e.listAddresses()
	if len(listed) != 1 || listed[0].GetStatus() != "IN_USE" {
		t.Fatalf("listed: %v", listed)
	}

	e.must(e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "lb"}))
	if a := e.getAddress("lb"); a.GetStatus() != "RESERVED" || len(a.Users) != 0 {
		t.Fatalf("after the rule is gone: %s %v", a.GetStatus(), a.Users)
	}

	// Recreated on the static IP (named by its link), then released.
	fr = e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String(pool), PortRange: proto.String("80"),
		IPAddress: proto.String(a.GetSelfLink())})
	if fr.GetIPAddress() != ip {
		t.Fatalf("rule on the address got %s, want %s", fr.GetIPAddress(), ip)
	}
	e.must(e.addr.Delete(e.ctx, &computepb.DeleteAddressRequest{Project: lbProject, Region: lbRegion, Address: "lb"}))
	if got := e.getRule("lb").GetIPAddress(); got != ip {
		t.Fatalf("rule lost its IP when the address was released: %s", got)
	}
	// The IP is still held: a new ephemeral rule gets another one.
	other := e.rule(&computepb.ForwardingRule{Name: proto.String("other"), Target: proto.String(pool)})
	if other.GetIPAddress() == ip {
		t.Fatalf("the released but used IP %s was handed out again", ip)
	}
}

// TestLBAddressUsedByVM: a VM's ephemeral external IP can be promoted too.
func TestLBAddressUsedByVM(t *testing.T) {
	e := newLBEnv(t)
	vms, err := e.ts.SeedInstances(fakecompute.InstanceSeed{Name: "bastion", Zone: lbZone, ExternalIP: true})
	if err != nil {
		t.Fatal(err)
	}
	nat := vms[0].NetworkInterfaces[0].AccessConfigs[0].NatIP
	a := e.address("bastion", &computepb.Address{Address: proto.String(nat)})
	if a.GetStatus() != "IN_USE" || !cmp.Equal(a.Users, []string{lbInstanceLink("bastion")}) {
		t.Fatalf("address of a VM: %s %v", a.GetStatus(), a.Users)
	}
}

func (e *lbEnv) listAddresses() []*computepb.Address {
	e.t.Helper()
	var out []*computepb.Address
	it := e.addr.List(e.ctx, &computepb.ListAddressesRequest{Project: lbProject, Region: lbRegion})
	for {
		a, err := it.Next()
		if err == iterator.Done {
			return out
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
}

// TestLBAggregatedPaging: aggregated lists page across scopes and render
// each item as a plain get would.
func TestLBAggregatedPaging(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	var want []string
	for i := 0; i < 5; i++ {
		name := fmt.Sprintf("a%d", i)
		e.address(name, nil)
		e.rule(&computepb.ForwardingRule{Name: proto.String(name), Target: proto.String(pool), IPAddress: proto.String(lbLink("regions/" + lbRegion + "/addresses/" + name))})
		want = append(want, name)
	}
	e.ts.ResetStats()

	var got []string
	it := e.addr.AggregatedList(e.ctx, &computepb.AggregatedListAddressesRequest{Project: lbProject, MaxResults: proto.Uint32(2)})
	for {
		pair, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if pair.Key != "regions/"+lbRegion {
			if len(pair.Value.Addresses) > 0 || pair.Value.GetWarning().GetCode() != "NO_RESULTS_ON_PAGE" {
				t.Fatalf("scope %q: %v", pair.Key, pair.Value)
			}
			continue
		}
		for _, a := range pair.Value.Addresses {
			if a.GetStatus() != "IN_USE" {
				t.Errorf("%s: %s", a.GetName(), a.GetStatus())
			}
			got = append(got, a.GetName())
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("aggregated addresses (-want +got):\n%s", diff)
	}
	if n := e.ts.Stats().Calls["compute.addresses.aggregatedList"]; n != 3 {
		t.Fatalf("%d pages for 5 addresses at 2 per page, want 3", n)
	}

	got = nil
	fit := e.fr.AggregatedList(e.ctx, &computepb.AggregatedListForwardingRulesRequest{Project: lbProject, MaxResults: proto.Uint32(4)})
	for {
		pair, err := fit.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range pair.Value.ForwardingRules {
			got = append(got, fr.GetName())
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("aggregated forwarding rules (-want +got):\n%s", diff)
	}
	if n := e.ts.Stats().Calls["compute.forwardingRules.aggregatedList"]; n != 2 {
		t.Fatalf("%d pages for 5 rules at 4 per page, want 2", n)
	}
}

func TestLBAddressQuota(t *testing.T) {
	e := newLBEnv(t)
	e.ts.SetQuota(fakecompute.QuotaStaticAddresses, 1)
	e.address("one", nil)
	op, err := e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion,
		AddressResource: &computepb.Address{Name: proto.String("two")}})
	if err != nil {
		t.Fatalf("refused synchronously: %v", err)
	}
	lbWantErr(t, op.Wait(e.ctx), 403, "STATIC_ADDRESSES")
	if n := len(e.listAddresses()); n != 1 {
		t.Fatalf("%d addresses after the quota failure", n)
	}
}
