package fakecompute_test

import (
	"fmt"
	"strconv"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// ignoreIdentity drops the fields the server invents.
var ignoreIdentity = protocmp.IgnoreFields(&computepb.Firewall{}, "id", "creation_timestamp")

func (e *lbEnv) insertFirewall(fw *computepb.Firewall) error {
	op, err := e.fw.Insert(e.ctx, &computepb.InsertFirewallRequest{Project: lbProject, FirewallResource: fw})
	return lbDo(e.ctx, op, err)
}

func (e *lbEnv) getFirewall(name string) *computepb.Firewall {
	e.t.Helper()
	got, err := e.fw.Get(e.ctx, &computepb.GetFirewallRequest{Project: lbProject, Firewall: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func allowTCP(ports ...string) []*computepb.Allowed {
	return []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: ports}}
}

// TestLBFirewallDefaults: what GCE fills in for a minimal rule, and the
// normal forms a client sends that it must accept.
func TestLBFirewallDefaults(t *testing.T) {
	e := newLBEnv(t)
	cases := []struct {
		name string
		in   *computepb.Firewall
		want *computepb.Firewall
	}{{
		name: "minimal ingress",
		in:   &computepb.Firewall{Allowed: allowTCP("80", "8000-8080"), TargetTags: []string{"web"}},
		want: &computepb.Firewall{Allowed: allowTCP("80", "8000-8080"), TargetTags: []string{"web"},
			Direction: proto.String("INGRESS"), Priority: proto.Int32(1000), SourceRanges: []string{"0.0.0.0/0"}},
	}, {
		name: "egress gets a destination",
		in:   &computepb.Firewall{Direction: proto.String("EGRESS"), Denied: []*computepb.Denied{{IPProtocol: proto.String("all")}}},
		want: &computepb.Firewall{Direction: proto.String("EGRESS"), Denied: []*computepb.Denied{{IPProtocol: proto.String("all")}},
			Priority: proto.Int32(1000), DestinationRanges: []string{"0.0.0.0/0"}},
	}, {
		name: "explicit priority zero, protocol number, bare IPv6 address",
		in: &computepb.Firewall{Priority: proto.Int32(0), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("47")}},
			SourceRanges: []string{"2001:db8::/32"}, DestinationRanges: []string{"2001:db8::1"}},
		want: &computepb.Firewall{Priority: proto.Int32(0), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("47")}},
			SourceRanges: []string{"2001:db8::/32"}, DestinationRanges: []string{"2001:db8::1"}, Direction: proto.String("INGRESS")},
	}, {
		// The upstream provider pins destinationRanges to the bare LB IP.
		name: "sctp ports and a bare IPv4 destination",
		in: &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("sctp"), Ports: []string{"0-65535"}}},
			SourceRanges: []string{"130.211.0.0/22", "35.191.0.0/16"}, DestinationRanges: []string{"34.118.0.7"}},
		want: &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("sctp"), Ports: []string{"0-65535"}}},
			SourceRanges: []string{"130.211.0.0/22", "35.191.0.0/16"}, DestinationRanges: []string{"34.118.0.7"},
			Direction: proto.String("INGRESS"), Priority: proto.Int32(1000)},
	}}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("fw-%d", i)
			tc.in.Name = proto.String(name)
			if err := e.insertFirewall(tc.in); err != nil {
				t.Fatal(err)
			}
			tc.want.Name, tc.want.Kind = proto.String(name), proto.String("compute#firewall")
			tc.want.Network = proto.String(lbLink("global/networks/default"))
			tc.want.SelfLink = proto.String(lbLink("global/firewalls/" + name))
			tc.want.LogConfig = &computepb.FirewallLogConfig{Enable: proto.Bool(false)}
			if diff := cmp.Diff(tc.want, e.getFirewall(name), protocmp.Transform(), ignoreIdentity); diff != "" {
				t.Errorf("stored rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLBFirewallValidation(t *testing.T) {
	e := newLBEnv(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = strconv.Itoa(1000 + i)
	}
	cases := []struct {
		name     string
		fw       *computepb.Firewall
		code     int
		fragment string
	}{
		{"unknown protocol", &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcpx")}}}, 400, "allowed[0].IPProtocol"},
		{"protocol number out of range", &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("256")}}}, 400, "IPProtocol"},
		{"ports on icmp", &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("icmp"), Ports: []string{"80"}}}}, 400, "ports"},
		{"port out of range", &computepb.Firewall{Allowed: allowTCP("70000")}, 400, "allowed[0].ports[0]"},
		{"reversed range", &computepb.Firewall{Allowed: allowTCP("90-80")}, 400, "'90-80'"},
		{"not a port", &computepb.Firewall{Allowed: allowTCP("http")}, 400, "'http'"},
		{"101 port entries", &computepb.Firewall{Allowed: allowTCP(many...)}, 400, "101 port entries"},
		{"prefix too long", &computepb.Firewall{Allowed: allowTCP("80"), SourceRanges: []string{"10.0.0.0/33"}}, 400, "sourceRanges[0]"},
		{"not a range", &computepb.Firewall{Allowed: allowTCP("80"), DestinationRanges: []string{"banana"}}, 400, "destinationRanges[0]"},
		{"mixed families", &computepb.Firewall{Allowed: allowTCP("80"), SourceRanges: []string{"10.0.0.0/8", "2001:db8::/32"}}, 400, "mixed"},
		{"allowed and denied", &computepb.Firewall{Allowed: allowTCP("80"), Denied: []*computepb.Denied{{IPProtocol: proto.String("udp")}}}, 400, "not both"},
		{"neither allowed nor denied", &computepb.Firewall{}, 400, "allowed or denied"},
		{"priority too high", &computepb.Firewall{Allowed: allowTCP("80"), Priority: proto.Int32(65536)}, 400, "resource.priority"},
		{"bad direction", &computepb.Firewall{Allowed: allowTCP("80"), Direction: proto.String("SIDEWAYS")}, 400, "resource.direction"},
		{"bad tag", &computepb.Firewall{Allowed: allowTCP("80"), TargetTags: []string{"Web"}}, 400, "targetTags[0]"},
		{"source tags on egress", &computepb.Firewall{Allowed: allowTCP("80"), Direction: proto.String("EGRESS"), SourceTags: []string{"a"}}, 400, "INGRESS"},
		{"unknown network", &computepb.Firewall{Allowed: allowTCP("80"), Network: proto.String("global/networks/nope")}, 404, "global/networks/nope"},
		{"bad name", &computepb.Firewall{Allowed: allowTCP("80"), Name: proto.String("Bad_Name")}, 400, "resource.name"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fw.Name == nil {
				tc.fw.Name = proto.String(fmt.Sprintf("bad-%d", i))
			}
			lbWantErr(t, e.insertFirewall(tc.fw), tc.code, tc.fragment)
		})
	}
	if n := len(e.listFirewalls()); n != 0 {
		t.Fatalf("%d rules stored after refused inserts", n)
	}
}

func (e *lbEnv) listFirewalls() []string {
	e.t.Helper()
	var names []string
	it := e.fw.List(e.ctx, &computepb.ListFirewallsRequest{Project: lbProject})
	for {
		fw, err := it.Next()
		if err == iterator.Done {
			return names
		}
		if err != nil {
			e.t.Fatal(err)
		}
		names = append(names, fw.GetName())
	}
}

// TestLBFirewallPatchUpdateDelete: patch merges (through the client the
// upstream provider uses), update replaces, delete removes.
func TestLBFirewallPatchUpdateDelete(t *testing.T) {
	e := newLBEnv(t)
	if err := e.insertFirewall(&computepb.Firewall{Name: proto.String("k8s-fw"), Allowed: allowTCP("80"),
		SourceRanges: []string{"10.0.0.0/8"}, TargetTags: []string{"node"}, Priority: proto.Int32(900), Description: proto.String("d")}); err != nil {
		t.Fatal(err)
	}

	// Only sourceRanges is in the body: the rest stays.
	err := e.legacyDo(e.legacy.Firewalls.Patch(lbProject, "k8s-fw", &gce.Firewall{SourceRanges: []string{"192.168.0.0/16"}}).Context(e.ctx).Do())
	if err != nil {
		t.Fatal(err)
	}
	got := e.getFirewall("k8s-fw")
	if diff := cmp.Diff([]any{[]string{"192.168.0.0/16"}, []string{"node"}, int32(900), "d", []string{"80"}},
		[]any{got.SourceRanges, got.TargetTags, got.GetPriority(), got.GetDescription(), got.Allowed[0].Ports}); diff != "" {
		t.Fatalf("after patch (-want +got):\n%s", diff)
	}

	// An explicit zero is a value, not an absence.
	err = e.legacyDo(e.legacy.Firewalls.Patch(lbProject, "k8s-fw", &gce.Firewall{Priority: 0, ForceSendFields: []string{"Priority"}}).Context(e.ctx).Do())
	if err != nil {
		t.Fatal(err)
	}
	if p := e.getFirewall("k8s-fw").GetPriority(); p != 0 {
		t.Fatalf("priority after patch to 0: %d", p)
	}

	// A patch that breaks the rule is refused and changes nothing.
	err = e.legacyDo(e.legacy.Firewalls.Patch(lbProject, "k8s-fw", &gce.Firewall{SourceRanges: []string{"10.0.0.0/40"}}).Context(e.ctx).Do())
	lbWantErr(t, err, 400, "sourceRanges[0]")

	// Update is a PUT: absent fields return to their defaults.
	e.must(e.fw.Update(e.ctx, &computepb.UpdateFirewallRequest{Project: lbProject, Firewall: "k8s-fw",
		FirewallResource: &computepb.Firewall{Name: proto.String("k8s-fw"), Allowed: allowTCP("443")}}))
	got = e.getFirewall("k8s-fw")
	if got.GetPriority() != 1000 || len(got.TargetTags) != 0 || got.GetDescription() != "" || got.Allowed[0].Ports[0] != "443" ||
		got.SourceRanges[0] != "0.0.0.0/0" || got.GetNetwork() != lbLink("global/networks/default") {
		t.Fatalf("after update: %v", got)
	}
	e.must(e.nets.Insert(e.ctx, &computepb.InsertNetworkRequest{Project: lbProject,
		NetworkResource: &computepb.Network{Name: proto.String("other"), AutoCreateSubnetworks: proto.Bool(true)}}))
	op, err := e.fw.Update(e.ctx, &computepb.UpdateFirewallRequest{Project: lbProject, Firewall: "k8s-fw",
		FirewallResource: &computepb.Firewall{Name: proto.String("k8s-fw"), Allowed: allowTCP("443"), Network: proto.String("global/networks/other")}})
	lbWantErr(t, lbDo(e.ctx, op, err), 400, "resource.network")

	e.must(e.fw.Delete(e.ctx, &computepb.DeleteFirewallRequest{Project: lbProject, Firewall: "k8s-fw"}))
	_, err = e.fw.Get(e.ctx, &computepb.GetFirewallRequest{Project: lbProject, Firewall: "k8s-fw"})
	lbWantErr(t, err, 404, "global/firewalls/k8s-fw")
	op, err = e.fw.Delete(e.ctx, &computepb.DeleteFirewallRequest{Project: lbProject, Firewall: "k8s-fw"})
	lbWantErr(t, lbDo(e.ctx, op, err), 404, "k8s-fw")
}

// TestLBFirewallQuota: quota is reported by the operation, as GCE does.
func TestLBFirewallQuota(t *testing.T) {
	e := newLBEnv(t)
	e.ts.SetQuota(fakecompute.QuotaFirewalls, 1)
	if err := e.insertFirewall(&computepb.Firewall{Name: proto.String("one"), Allowed: allowTCP("80")}); err != nil {
		t.Fatal(err)
	}
	op, err := e.fw.Insert(e.ctx, &computepb.InsertFirewallRequest{Project: lbProject,
		FirewallResource: &computepb.Firewall{Name: proto.String("two"), Allowed: allowTCP("80")}})
	if err != nil {
		t.Fatalf("insert refused synchronously: %v", err)
	}
	lbWantErr(t, op.Wait(e.ctx), 403, "FIREWALLS")
	if names := e.listFirewalls(); len(names) != 1 {
		t.Fatalf("rules after quota failure: %v", names)
	}
}
