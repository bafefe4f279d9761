package fakecompute_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestLBForwardingRuleDefaults(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	cases := []struct {
		name string
		in   *computepb.ForwardingRule
		want *computepb.ForwardingRule
	}{{
		// What the upstream provider sends: a one-port range it reads back as "80-80".
		name: "single port range",
		in:   &computepb.ForwardingRule{PortRange: proto.String("80"), Target: proto.String("regions/us-central1/targetPools/tp")},
		want: &computepb.ForwardingRule{PortRange: proto.String("80-80"), IPProtocol: proto.String("TCP")},
	}, {
		name: "no port forwards every port",
		in:   &computepb.ForwardingRule{IPProtocol: proto.String("UDP"), Target: proto.String(pool)},
		want: &computepb.ForwardingRule{PortRange: proto.String("1-65535"), IPProtocol: proto.String("UDP")},
	}, {
		name: "port list",
		in:   &computepb.ForwardingRule{Ports: []string{"80", "443"}, Target: proto.String(pool)},
		want: &computepb.ForwardingRule{Ports: []string{"80", "443"}, IPProtocol: proto.String("TCP")},
	}, {
		name: "a protocol without ports",
		in:   &computepb.ForwardingRule{IPProtocol: proto.String("ESP"), Target: proto.String(pool)},
		want: &computepb.ForwardingRule{IPProtocol: proto.String("ESP")},
	}}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("fr-%d", i)
			tc.in.Name = proto.String(name)
			got := e.rule(tc.in)
			if !netip.MustParsePrefix("34.118.0.0/16").Contains(netip.MustParseAddr(got.GetIPAddress())) {
				t.Errorf("ephemeral IP %s is not from the PREMIUM pool", got.GetIPAddress())
			}
			tc.want.Name, tc.want.Kind, tc.want.Target = proto.String(name), proto.String("compute#forwardingRule"), proto.String(pool)
			tc.want.Region = proto.String(lbLink("regions/" + lbRegion))
			tc.want.SelfLink = proto.String(lbLink("regions/" + lbRegion + "/forwardingRules/" + name))
			tc.want.SelfLinkWithId = proto.String(lbLink(fmt.Sprintf("regions/%s/forwardingRules/%d", lbRegion, got.GetId())))
			tc.want.LoadBalancingScheme, tc.want.NetworkTier = proto.String("EXTERNAL"), proto.String("PREMIUM")
			tc.want.LabelFingerprint = proto.String("42WmSpB8rSM=")
			if diff := cmp.Diff(tc.want, got, protocmp.Transform(),
				protocmp.IgnoreFields(&computepb.ForwardingRule{}, "id", "creation_timestamp", "fingerprint", "I_p_address")); diff != "" {
				t.Errorf("stored rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLBForwardingRuleErrors(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	std := e.address("std", &computepb.Address{NetworkTier: proto.String("STANDARD")})
	e.address("internal", &computepb.Address{AddressType: proto.String("INTERNAL")})
	cases := []struct {
		name     string
		fr       *computepb.ForwardingRule
		code     int
		fragment string
	}{
		{"internal managed scheme", &computepb.ForwardingRule{LoadBalancingScheme: proto.String("INTERNAL_MANAGED")}, 400, "resource.loadBalancingScheme"},
		{"global access on an external rule", &computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(true)}, 400, "resource.allowGlobalAccess"},
		{"unknown protocol", &computepb.ForwardingRule{IPProtocol: proto.String("GRE")}, 400, "resource.IPProtocol"},
		{"L3_DEFAULT needs a backend service", &computepb.ForwardingRule{IPProtocol: proto.String("L3_DEFAULT"), AllPorts: proto.Bool(true)}, 400, "L3_DEFAULT"},
		{"port zero", &computepb.ForwardingRule{PortRange: proto.String("0-10")}, 400, "resource.portRange"},
		{"reversed range", &computepb.ForwardingRule{PortRange: proto.String("90-80")}, 400, "resource.portRange"},
		{"six ports", &computepb.ForwardingRule{Ports: []string{"1", "2", "3", "4", "5", "6"}}, 400, "at most 5"},
		{"a range in ports", &computepb.ForwardingRule{Ports: []string{"80-90"}}, 400, "resource.ports[0]"},
		{"ports and portRange", &computepb.ForwardingRule{Ports: []string{"80"}, PortRange: proto.String("80")}, 400, "only one of"},
		{"ports on ICMP", &computepb.ForwardingRule{IPProtocol: proto.String("ICMP"), PortRange: proto.String("80")}, 400, "TCP, UDP or SCTP"},
		{"no target", &computepb.ForwardingRule{Target: proto.String("")}, 400, "resource.target"},
		{"missing target pool", &computepb.ForwardingRule{Target: proto.String("regions/us-central1/targetPools/nope")}, 404, "targetPools/nope"},
		{"target pool of another region", &computepb.ForwardingRule{Target: proto.String("regions/europe-west1/targetPools/tp")}, 400, "resource.target"},
		{"not an IP", &computepb.ForwardingRule{IPAddress: proto.String("a/b/c")}, 400, "Invalid IP address specified"},
		{"IPv6", &computepb.ForwardingRule{IPAddress: proto.String("2001:db8::1")}, 400, "Invalid IP address specified"},
		{"IP that is not reserved", &computepb.ForwardingRule{IPAddress: proto.String("34.118.200.1")}, 400, "not reserved"},
		{"missing address", &computepb.ForwardingRule{IPAddress: proto.String("regions/us-central1/addresses/nope")}, 404, "addresses/nope"},
		{"tier of the address", &computepb.ForwardingRule{IPAddress: proto.String(std.GetAddress())}, 400, "resource.networkTier"},
		{"internal address", &computepb.ForwardingRule{IPAddress: proto.String("regions/us-central1/addresses/internal")}, 400, "INTERNAL"},
		{"unknown network", &computepb.ForwardingRule{Network: proto.String("global/networks/nope")}, 404, "networks/nope"},
		{"backend service", &computepb.ForwardingRule{BackendService: proto.String("regions/us-central1/backendServices/bs")}, 400, "resource.backendService"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.fr.Name = proto.String(fmt.Sprintf("bad-%d", i))
			if tc.fr.Target == nil {
				tc.fr.Target = proto.String(pool)
			}
			lbWantErr(t, e.insertRule(tc.fr), tc.code, tc.fragment)
		})
	}
	// The right tier is accepted.
	e.rule(&computepb.ForwardingRule{Name: proto.String("std"), Target: proto.String(pool), NetworkTier: proto.String("STANDARD"), IPAddress: proto.String(std.GetAddress())})
}

// TestLBForwardingRuleSharedIP: a TCP and a UDP rule (and a TCP rule on
// other ports) share one reserved address; overlapping ones are refused,
// and an ephemeral IP is never shared.
func TestLBForwardingRuleSharedIP(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	a := e.address("shared", nil)
	ip := a.GetAddress()
	steps := []struct {
		name, proto, ports, addr string
		code                     int
	}{
		{"tcp-80", "TCP", "80", a.GetSelfLink(), 0},
		{"udp-80", "UDP", "80", ip, 0},
		{"tcp-80-81", "TCP", "80-81", ip, 400},
		{"tcp-443", "TCP", "443", "regions/us-central1/addresses/shared", 0},
		{"udp-all", "UDP", "", ip, 400}, // every port overlaps udp-80
	}
	for _, s := range steps {
		fr := &computepb.ForwardingRule{Name: proto.String(s.name), Target: proto.String(pool), IPProtocol: proto.String(s.proto), IPAddress: proto.String(s.addr)}
		if s.ports != "" {
			fr.PortRange = proto.String(s.ports)
		}
		err := e.insertRule(fr)
		if s.code == 0 && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.code != 0 {
			lbWantErr(t, err, s.code, "'resource.IPAddress': '"+ip+"'. Specified IP address is in-use and would result in a conflict.")
		}
	}
	a = e.getAddress("shared")
	want := []string{lbLink("regions/us-central1/forwardingRules/tcp-443"), lbLink("regions/us-central1/forwardingRules/tcp-80"), lbLink("regions/us-central1/forwardingRules/udp-80")}
	if a.GetStatus() != "IN_USE" || !cmp.Equal(want, a.Users) {
		t.Fatalf("shared address: %s %v", a.GetStatus(), a.Users)
	}

	eph := e.rule(&computepb.ForwardingRule{Name: proto.String("eph"), Target: proto.String(pool), PortRange: proto.String("80")})
	err := e.insertRule(&computepb.ForwardingRule{Name: proto.String("eph-udp"), Target: proto.String(pool), IPProtocol: proto.String("UDP"), IPAddress: proto.String(eph.GetIPAddress())})
	lbWantErr(t, err, 400, "in-use and would result in a conflict")
}

func TestLBForwardingRuleSetTarget(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("blue", "node-a")
	green := e.targetPool("green", "node-b")
	before := e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String("regions/us-central1/targetPools/blue"), PortRange: proto.String("80")})

	op := e.must(e.fr.SetTarget(e.ctx, &computepb.SetTargetForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "lb",
		TargetReferenceResource: &computepb.TargetReference{Target: proto.String("regions/us-central1/targetPools/green")}}))
	if got := op.Proto().GetOperationType(); got != "setTarget" {
		t.Fatalf("operation type %q", got)
	}
	after := e.getRule("lb")
	if after.GetTarget() != green || after.GetIPAddress() != before.GetIPAddress() || after.GetPortRange() != "80-80" || after.GetFingerprint() == before.GetFingerprint() {
		t.Fatalf("after setTarget: %v", after)
	}
	// blue is free now; the rule keeps green busy.
	e.must(e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "blue"}))

	op2, err := e.legacy.ForwardingRules.SetTarget(lbProject, lbRegion, "lb", &gce.TargetReference{Target: "regions/us-central1/targetPools/blue"}).Context(e.ctx).Do()
	lbWantErr(t, e.legacyDo(op2, err), 404, "targetPools/blue")
	op2, err = e.legacy.ForwardingRules.SetTarget(lbProject, lbRegion, "nope", &gce.TargetReference{Target: green}).Context(e.ctx).Do()
	lbWantErr(t, e.legacyDo(op2, err), 404, "forwardingRules/nope")
	if got := e.getRule("lb").GetTarget(); got != green {
		t.Fatalf("a refused setTarget changed the target to %s", got)
	}
}

// TestLBForwardingRuleDeleteReleasesIP: the ephemeral IP of a deleted rule
// is free again (the allocator hands out the lowest free address).
func TestLBForwardingRuleDeleteReleasesIP(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp")
	first := e.rule(&computepb.ForwardingRule{Name: proto.String("one"), Target: proto.String(pool)}).GetIPAddress()
	e.must(e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "one"}))
	if again := e.rule(&computepb.ForwardingRule{Name: proto.String("two"), Target: proto.String(pool)}).GetIPAddress(); again != first {
		t.Fatalf("got %s after %s was released", again, first)
	}
	op, err := e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "one"})
	lbWantErr(t, lbDo(e.ctx, op, err), 404, "forwardingRules/one")
}

func TestLBForwardingRuleQuota(t *testing.T) {
	cases := []struct {
		metric string
		limit  float64
	}{{fakecompute.QuotaForwardingRules, 2}, {fakecompute.QuotaInUseAddresses, 1}}
	for _, tc := range cases {
		t.Run(tc.metric, func(t *testing.T) {
			e := newLBEnv(t)
			pool := e.targetPool("tp")
			a := e.address("vip", nil)
			e.ts.SetQuota(tc.metric, tc.limit)
			// Two rules on one address: two rules, one IP in use.
			e.rule(&computepb.ForwardingRule{Name: proto.String("tcp"), Target: proto.String(pool), IPAddress: proto.String(a.GetAddress())})
			e.rule(&computepb.ForwardingRule{Name: proto.String("udp"), Target: proto.String(pool), IPAddress: proto.String(a.GetAddress()), IPProtocol: proto.String("UDP")})
			op, err := e.fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion,
				ForwardingRuleResource: &computepb.ForwardingRule{Name: proto.String("third"), Target: proto.String(pool)}})
			if err != nil {
				t.Fatalf("refused synchronously: %v", err)
			}
			lbWantErr(t, op.Wait(e.ctx), 403, tc.metric)
			if n := e.ts.Stats().QuotaExceeded; n != 1 {
				t.Fatalf("quotaExceeded counter %d", n)
			}
		})
	}
}

func TestLBNetworkInUseByForwardingRule(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp")
	e.must(e.nets.Insert(e.ctx, &computepb.InsertNetworkRequest{Project: lbProject,
		NetworkResource: &computepb.Network{Name: proto.String("lbnet"), AutoCreateSubnetworks: proto.Bool(true)}}))
	e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String(pool), Network: proto.String("global/networks/lbnet")})
	del := func() error {
		op, err := e.nets.Delete(e.ctx, &computepb.DeleteNetworkRequest{Project: lbProject, Network: "lbnet"})
		return lbDo(e.ctx, op, err)
	}
	lbWantErr(t, del(), 400, "forwardingRules/lb")
	e.must(e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "lb"}))
	if err := e.insertFirewall(&computepb.Firewall{Name: proto.String("fw"), Network: proto.String("global/networks/lbnet"), Allowed: allowTCP("22")}); err != nil {
		t.Fatal(err)
	}
	lbWantErr(t, del(), 400, "firewalls/fw")
	e.must(e.fw.Delete(e.ctx, &computepb.DeleteFirewallRequest{Project: lbProject, Firewall: "fw"}))
	if err := del(); err != nil {
		t.Fatal(err)
	}
}

// TestLBOperationLatency: with slow operations a rule appears only when
// its operation is DONE, and a pool deleted meanwhile fails the operation
// rather than leaving a rule pointing at nothing.
func TestLBOperationLatency(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp")
	e.ts.SetOperationLatency(300 * time.Millisecond)
	op, err := e.fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion,
		ForwardingRuleResource: &computepb.ForwardingRule{Name: proto.String("slow"), Target: proto.String(pool)}})
	if err != nil {
		t.Fatal(err)
	}
	if op.Done() {
		t.Fatal("operation DONE at once despite the latency")
	}
	if _, err := e.fr.Get(e.ctx, &computepb.GetForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "slow"}); lbCode(err) != 404 {
		t.Fatalf("rule visible before its operation is DONE: %v", err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.getRule("slow")

	// The pool is gone by the time the second insert completes.
	op, err = e.fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion,
		ForwardingRuleResource: &computepb.ForwardingRule{Name: proto.String("late"), Target: proto.String(e.targetPool("tp2"))}})
	if err != nil {
		t.Fatal(err)
	}
	e.ts.SetOperationLatency(0) // the delete overtakes the pending insert
	e.must(e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp2"}))
	lbWantErr(t, op.Wait(e.ctx), 404, "targetPools/tp2")
}
