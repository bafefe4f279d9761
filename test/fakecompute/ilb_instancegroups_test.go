package fakecompute_test

import (
	"fmt"
	"slices"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestILBInstanceGroupLifecycle(t *testing.T) {
	e := newILBEnv(t)
	link := e.group("ig")
	ig := e.getGroup("ig")
	if ig.GetSelfLink() != link || ig.GetSize() != 0 || ig.GetZone() != lbLink("zones/"+lbZone) || ig.GetNetwork() != "" {
		t.Fatalf("new group: %+v", ig)
	}
	// The first VM added gives the group its network.
	e.must(e.addToGroup("ig", "node-a", "node-b"))
	ig = e.getGroup("ig")
	if ig.GetSize() != 2 || ig.GetNetwork() != lbLink("global/networks/default") {
		t.Fatalf("after add: size %d network %q", ig.GetSize(), ig.GetNetwork())
	}
	// Members through the discovery-based client, as the upstream provider lists them.
	list, err := e.legacy.InstanceGroups.ListInstances(lbProject, lbZone, "ig", &gce.InstanceGroupsListInstancesRequest{InstanceState: "ALL"}).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range list.Items {
		got = append(got, it.Instance)
		if it.Status != "RUNNING" {
			t.Errorf("%s status %q", it.Instance, it.Status)
		}
	}
	if want := []string{lbInstanceLink("node-a"), lbInstanceLink("node-b")}; !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	// removeInstances through the discovery-based client.
	op, err := e.legacy.InstanceGroups.RemoveInstances(lbProject, lbZone, "ig", &gce.InstanceGroupsRemoveInstancesRequest{
		Instances: []*gce.InstanceReference{{Instance: lbInstanceLink("node-a")}}}).Context(e.ctx).Do()
	if err := e.zonalLegacyDo(op, err); err != nil {
		t.Fatal(err)
	}
	if n := e.getGroup("ig").GetSize(); n != 1 {
		t.Fatalf("after remove: size %d", n)
	}
	// A deleted VM leaves its group, as in GCE.
	if err := e.ts.DeleteInstanceNow(lbZone, "node-b"); err != nil {
		t.Fatal(err)
	}
	if n := e.getGroup("ig").GetSize(); n != 0 {
		t.Fatalf("after VM deletion: size %d", n)
	}

	// Named ports with the fingerprint; a stale one is 412.
	fp := e.getGroup("ig").GetFingerprint()
	setPorts := func(fp string) error {
		op, err := e.ig.SetNamedPorts(e.ctx, &computepb.SetNamedPortsInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig",
			InstanceGroupsSetNamedPortsRequestResource: &computepb.InstanceGroupsSetNamedPortsRequest{Fingerprint: proto.String(fp),
				NamedPorts: []*computepb.NamedPort{{Name: proto.String("http"), Port: proto.Int32(8080)}}}})
		return lbDo(e.ctx, op, err)
	}
	if err := setPorts(fp); err != nil {
		t.Fatal(err)
	}
	if np := e.getGroup("ig").GetNamedPorts(); len(np) != 1 || np[0].GetPort() != 8080 {
		t.Fatalf("named ports %v", np)
	}
	lbWantErr(t, setPorts(fp), 412, "fingerprint")

	// aggregatedList shows the group in its zone with its size.
	agg, err := e.legacy.InstanceGroups.AggregatedList(lbProject).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if items := agg.Items["zones/"+lbZone].InstanceGroups; len(items) != 1 || items[0].Name != "ig" {
		t.Fatalf("aggregated: %+v", agg.Items["zones/"+lbZone])
	}
	// list (apiv1's iterator pages through it)
	it := e.ig.List(e.ctx, &computepb.ListInstanceGroupsRequest{Project: lbProject, Zone: lbZone})
	if g, err := it.Next(); err != nil || g.GetName() != "ig" {
		t.Fatalf("list: %v %v", g, err)
	}
	e.must(e.ig.Delete(e.ctx, &computepb.DeleteInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig"}))
	_, err = e.ig.Get(e.ctx, &computepb.GetInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig"})
	lbWantErr(t, err, 404, "instanceGroups/ig")
}

func TestILBInstanceGroupErrors(t *testing.T) {
	e := newILBEnv(t)
	e.group("ig", "node-a")
	if _, err := e.ts.SeedInstances(fakecompute.InstanceSeed{Name: "node-z", Zone: "us-central1-b"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		do       func() error
		code     int
		fragment string
	}{
		{"bad name", func() error {
			return e.do(e.ig.Insert(e.ctx, &computepb.InsertInstanceGroupRequest{Project: lbProject, Zone: lbZone,
				InstanceGroupResource: &computepb.InstanceGroup{Name: proto.String("Bad")}}))
		}, 400, "resource.name"},
		{"already exists", func() error {
			return e.do(e.ig.Insert(e.ctx, &computepb.InsertInstanceGroupRequest{Project: lbProject, Zone: lbZone,
				InstanceGroupResource: &computepb.InstanceGroup{Name: proto.String("ig")}}))
		}, 409, "already exists"},
		{"bad named port", func() error {
			return e.do(e.ig.Insert(e.ctx, &computepb.InsertInstanceGroupRequest{Project: lbProject, Zone: lbZone,
				InstanceGroupResource: &computepb.InstanceGroup{Name: proto.String("np"), NamedPorts: []*computepb.NamedPort{{Name: proto.String("x"), Port: proto.Int32(0)}}}}))
		}, 400, "namedPorts[0].port"},
		{"add a member twice", func() error { return e.do(e.addToGroup("ig", "node-a")) }, 400, "already a member"},
		{"add a missing VM", func() error { return e.do(e.addToGroup("ig", "nope")) }, 404, "instances/nope"},
		{"add a VM of another zone", func() error {
			op, err := e.ig.AddInstances(e.ctx, &computepb.AddInstancesInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig",
				InstanceGroupsAddInstancesRequestResource: &computepb.InstanceGroupsAddInstancesRequest{Instances: []*computepb.InstanceReference{
					{Instance: proto.String("zones/us-central1-b/instances/node-z")}}}})
			return lbDo(e.ctx, op, err)
		}, 400, "must be in zone"},
		{"remove a non-member", func() error {
			op, err := e.ig.RemoveInstances(e.ctx, &computepb.RemoveInstancesInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig",
				InstanceGroupsRemoveInstancesRequestResource: &computepb.InstanceGroupsRemoveInstancesRequest{Instances: lbInstanceRefs("node-c")}})
			return lbDo(e.ctx, op, err)
		}, 400, "not a member"},
		{"add to a missing group", func() error { return e.do(e.addToGroup("nope", "node-a")) }, 404, "instanceGroups/nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { lbWantErr(t, tc.do(), tc.code, tc.fragment) })
	}
	if n := e.getGroup("ig").GetSize(); n != 1 {
		t.Fatalf("refused requests changed the group: size %d", n)
	}
}

// TestILBOneBalancedGroupPerVM: a VM may be in several groups, but in at
// most one that a backend service balances to; a group in use cannot be
// deleted.
func TestILBOneBalancedGroupPerVM(t *testing.T) {
	e := newILBEnv(t)
	group, check, _ := e.ilbStack() // ig: node-a, node-b behind bs
	other := e.group("other", "node-a")
	b := &computepb.BackendService{Name: proto.String("bs2"), LoadBalancingScheme: proto.String("INTERNAL"),
		HealthChecks: []string{check}, Backends: []*computepb.Backend{{Group: proto.String(other)}}}
	lbWantErr(t, e.insertBackend(b), 400, "at most one load-balanced instance group")
	// Adding a balanced VM to a balanced group is refused the same way.
	e.group("third")
	e.backend("bs3", check, lbLink("zones/"+lbZone+"/instanceGroups/third"))
	lbWantErr(t, e.do(e.addToGroup("third", "node-b")), 400, "at most one load-balanced instance group")
	// node-c is in no balanced group: fine.
	e.must(e.addToGroup("third", "node-c"))
	// The same group behind a second service is fine: still one group.
	e.backend("bs4", check, group)

	op, err := e.ig.Delete(e.ctx, &computepb.DeleteInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig"})
	lbWantErr(t, lbDo(e.ctx, op, err), 400, "backendServices/bs")
}

// TestILBGroupSizeLimit: a group never holds more than the limit; the
// request that would pass it fails whole.
func TestILBGroupSizeLimit(t *testing.T) {
	e := newILBEnv(t)
	var seeds []fakecompute.InstanceSeed
	var names []string
	for i := range fakecompute.MaxInstanceGroupSize - 2 {
		n := fmt.Sprintf("vm-%d", i)
		seeds = append(seeds, fakecompute.InstanceSeed{Name: n, Zone: lbZone})
		names = append(names, n)
	}
	if _, err := e.ts.SeedInstances(seeds...); err != nil {
		t.Fatal(err)
	}
	e.group("big", names...)
	lbWantErr(t, e.do(e.addToGroup("big", "node-a", "node-b", "node-c")), 400, "at most 1000")
	if n := e.getGroup("big").GetSize(); int(n) != len(names) {
		t.Fatalf("size %d after a refused add, want %d", n, len(names))
	}
	e.must(e.addToGroup("big", "node-a", "node-b"))
}

// TestILBListInstancesThroughAPIv1: apiv1 sends the whole request message
// as the body of listInstances; the emulator reads the resource from it,
// and counts the call as a read, as GCE does.
func TestILBListInstancesThroughAPIv1(t *testing.T) {
	e := newILBEnv(t)
	e.group("ig", "node-a", "node-b")
	if err := e.ts.SetInstanceStatus(lbZone, "node-b", "TERMINATED"); err != nil {
		t.Fatal(err)
	}
	e.ts.ResetStats()
	it := e.ig.ListInstances(e.ctx, &computepb.ListInstancesInstanceGroupsRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig",
		InstanceGroupsListInstancesRequestResource: &computepb.InstanceGroupsListInstancesRequest{InstanceState: proto.String("RUNNING")}})
	var got []string
	for {
		i, err := it.Next()
		if err != nil {
			break
		}
		got = append(got, i.GetInstance())
	}
	if want := []string{lbInstanceLink("node-a")}; !slices.Equal(got, want) {
		t.Fatalf("RUNNING members %v, want %v", got, want)
	}
	if st := e.ts.Stats(); st.Mutations != 0 || st.Calls["compute.instanceGroups.listInstances"] != 1 {
		t.Fatalf("listInstances counted as a write: %+v", st)
	}
}
