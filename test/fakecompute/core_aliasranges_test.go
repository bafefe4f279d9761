package fakecompute_test

import (
	"fmt"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// insertSubnetWith inserts a subnet of the default network with secondary
// ranges given as name=cidr.
func (e *env) insertSubnetWith(name, cidr string, secondary ...string) error {
	sn := &computepb.Subnetwork{Name: proto.String(name), Network: proto.String("global/networks/default"), IpCidrRange: proto.String(cidr)}
	for _, s := range secondary {
		n, c, _ := strings.Cut(s, "=")
		sn.SecondaryIpRanges = append(sn.SecondaryIpRanges, &computepb.SubnetworkSecondaryRange{RangeName: proto.String(n), IpCidrRange: proto.String(c)})
	}
	op, err := e.subnets.Insert(e.ctx, &computepb.InsertSubnetworkRequest{Project: project, Region: region, SubnetworkResource: sn})
	if err != nil {
		return err
	}
	return op.Wait(e.ctx)
}

// aliasNIC is an interface in subnet "vpcnative" with alias ranges given
// as range[@secondary-range-name].
func aliasNIC(aliases ...string) *computepb.NetworkInterface {
	ni := &computepb.NetworkInterface{Subnetwork: proto.String("regions/" + region + "/subnetworks/vpcnative")}
	for _, a := range aliases {
		r, name, _ := strings.Cut(a, "@")
		ar := &computepb.AliasIpRange{IpCidrRange: proto.String(r)}
		if name != "" {
			ar.SubnetworkRangeName = proto.String(name)
		}
		ni.AliasIpRanges = append(ni.AliasIpRanges, ar)
	}
	return ni
}

func (e *env) aliasesOf(name, zone string) []string {
	e.t.Helper()
	inst, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zone, Instance: name})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range inst.GetNetworkInterfaces()[0].GetAliasIpRanges() {
		out = append(out, r.GetIpCidrRange()+"@"+r.GetSubnetworkRangeName())
	}
	return out
}

func TestSecondaryRanges(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.insertSubnetWith("vpcnative", "10.20.0.0/20", "pods=10.64.0.0/14", "services=10.96.0.0/20"); err != nil {
		t.Fatal(err)
	}
	sn, err := e.subnets.Get(e.ctx, &computepb.GetSubnetworkRequest{Project: project, Region: region, Subnetwork: "vpcnative"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range sn.GetSecondaryIpRanges() {
		got = append(got, r.GetRangeName()+"="+r.GetIpCidrRange())
	}
	if d := cmp.Diff([]string{"pods=10.64.0.0/14", "services=10.96.0.0/20"}, got); d != "" {
		t.Errorf("secondary ranges (-want +got)\n%s", d)
	}

	before := e.stateJSON()
	for _, tc := range []struct {
		name, cidr string
		secondary  []string
		want       errSummary
	}{
		{"s1", "10.30.0.0/20", []string{"pods=10.30.8.0/22"}, errSummary{400, "invalid"}},                  // inside its own primary
		{"s2", "10.30.0.0/20", []string{"a=10.40.0.0/16", "b=10.40.128.0/17"}, errSummary{400, "invalid"}}, // two overlapping
		{"s3", "10.30.0.0/20", []string{"a=10.40.0.0/16", "a=10.41.0.0/16"}, errSummary{400, "invalid"}},   // one name twice
		{"s4", "10.30.0.0/20", []string{"Pods=10.40.0.0/16"}, errSummary{400, "invalid"}},                  // not RFC 1035
		{"s5", "10.30.0.0/20", []string{"a=fd00::/64"}, errSummary{400, "invalid"}},                        // IPv6
		{"s6", "10.30.0.0/20", []string{"a=10.40.0.1/16"}, errSummary{400, "invalid"}},                     // host bits
		{"s7", "10.30.0.0/20", []string{"a=10.65.0.0/16"}, errSummary{400, "invalid"}},                     // another subnet's secondary
		{"s8", "10.66.0.0/20", nil, errSummary{400, "invalid"}},                                            // primary inside another's secondary
		{"s9", "10.30.0.0/20", []string{"a=10.128.0.0/9"}, errSummary{400, "invalid"}},                     // over the default subnet
	} {
		err := e.insertSubnetWith(tc.name, tc.cidr, tc.secondary...)
		if d := cmp.Diff(tc.want, summarize(err)); d != "" {
			t.Errorf("%s %s %v (-want +got)\n%s", tc.name, tc.cidr, tc.secondary, d)
		}
	}
	many := make([]string, 171)
	for i := range many {
		many[i] = fmt.Sprintf("r%d=10.%d.%d.0/24", i, 100+i/256, i%256)
	}
	if d := cmp.Diff(errSummary{400, "invalid"}, summarize(e.insertSubnetWith("many", "10.30.0.0/20", many...))); d != "" {
		t.Errorf("171 secondary ranges (-want +got)\n%s", d)
	}
	if d := cmp.Diff(before, e.stateJSON()); d != "" {
		t.Errorf("refused inserts changed the state (-before +after)\n%s", d)
	}
}

func TestAliasIPRanges(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.insertSubnetWith("vpcnative", "10.20.0.0/20", "pods=10.64.0.0/14"); err != nil {
		t.Fatal(err)
	}
	for _, vm := range []struct {
		name    string
		aliases []string
	}{{"a", []string{"/24@pods"}}, {"b", []string{"/24@pods", "10.20.0.64/28"}}} {
		if err := e.insertVM(vm.name, zoneA, aliasNIC(vm.aliases...)); err != nil {
			t.Fatalf("VM %s with %v: %v", vm.name, vm.aliases, err)
		}
	}
	// GCE picks the blocks and stores every range as a CIDR.
	if got := fmt.Sprint(e.aliasesOf("a", zoneA), e.aliasesOf("b", zoneA)); got != "[10.64.0.0/24@pods] [10.64.1.0/24@pods 10.20.0.64/28@]" {
		t.Errorf("alias ranges = %s", got)
	}
	if err := e.insertVM("c", zoneA, aliasNIC("10.64.7.0/24@pods", "10.20.0.99")); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.aliasesOf("c", zoneA)); got != "[10.64.7.0/24@pods 10.20.0.99/32@]" {
		t.Errorf("explicit alias ranges = %s", got)
	}

	before := e.stateJSON()
	for _, tc := range []struct {
		aliases []string
		why     string
	}{
		{[]string{"10.64.1.128/25@pods"}, "inside b's range"},
		{[]string{"10.64.8.0/24@pods", "10.64.8.0/25@pods"}, "two of its own overlap"},
		{[]string{"10.70.0.0/24@pods"}, "outside the secondary range"},
		{[]string{"10.64.9.0/24"}, "a pods address in the primary range"},
		{[]string{"/24@nope"}, "no such secondary range"},
		{[]string{"/33@pods"}, "not a netmask"},
		{[]string{"10.64.9.1/24@pods"}, "host bits"},
		{[]string{"fd00::/64@pods"}, "IPv6"},
		{[]string{"/8@pods"}, "larger than the range"},
		{[]string{"10.20.0.64/30"}, "inside b's primary-range alias"},
	} {
		err := e.insertVM("bad", zoneA, aliasNIC(tc.aliases...))
		if d := cmp.Diff(errSummary{400, "invalid"}, summarize(err)); d != "" {
			t.Errorf("%v (%s) (-want +got)\n%s", tc.aliases, tc.why, d)
		}
	}
	if d := cmp.Diff(before, e.stateJSON()); d != "" {
		t.Errorf("refused inserts changed the state (-before +after)\n%s", d)
	}

	// A deleted VM's range is free again.
	if err := e.deleteVM("a", zoneA); err != nil {
		t.Fatal(err)
	}
	if err := e.insertVM("d", zoneB, aliasNIC("/24@pods")); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.aliasesOf("d", zoneB)); got != "[10.64.0.0/24@pods]" {
		t.Errorf("after a's delete, d got %s; want a's range", got)
	}
}

// TestAliasIPRangesLegacyClient: the same through google.golang.org/api
// (what the upstream provider and terraform use).
func TestAliasIPRangesLegacyClient(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	_, err := e.legacy.Subnetworks.Insert(project, region, &gce.Subnetwork{Name: "vpcnative",
		Network: "global/networks/default", IpCidrRange: "10.20.0.0/20",
		SecondaryIpRanges: []*gce.SubnetworkSecondaryRange{{RangeName: "pods", IpCidrRange: "10.64.0.0/14"}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	vm := func(name string, r string) error {
		_, err := e.legacy.Instances.Insert(project, zoneA, &gce.Instance{Name: name, MachineType: "zones/" + zoneA + "/machineTypes/e2-small",
			Disks: []*gce.AttachedDisk{{Boot: true, AutoDelete: true, InitializeParams: &gce.AttachedDiskInitializeParams{SourceImage: "projects/debian-cloud/global/images/family/debian-12"}}},
			NetworkInterfaces: []*gce.NetworkInterface{{Subnetwork: "regions/" + region + "/subnetworks/vpcnative",
				AliasIpRanges: []*gce.AliasIpRange{{IpCidrRange: r, SubnetworkRangeName: "pods"}}}}}).Do()
		return err
	}
	if err := vm("a", "/24"); err != nil {
		t.Fatal(err)
	}
	inst, err := e.legacy.Instances.Get(project, zoneA, "a").Do()
	if err != nil {
		t.Fatal(err)
	}
	if r := inst.NetworkInterfaces[0].AliasIpRanges; len(r) != 1 || r[0].IpCidrRange != "10.64.0.0/24" || r[0].SubnetworkRangeName != "pods" {
		t.Errorf("alias ranges = %+v", r)
	}
	if d := cmp.Diff(errSummary{400, "invalid"}, summarize(vm("b", "10.64.0.0/24"))); d != "" {
		t.Errorf("a range in use (-want +got)\n%s", d)
	}
	sn, err := e.legacy.Subnetworks.Get(project, region, "vpcnative").Do()
	if err != nil || len(sn.SecondaryIpRanges) != 1 || sn.SecondaryIpRanges[0].RangeName != "pods" {
		t.Errorf("subnet = %+v, %v", sn, err)
	}
}
