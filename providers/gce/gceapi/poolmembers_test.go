package gceapi_test

import (
	"context"
	"fmt"
	"testing"
	"unsafe"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestListTargetPoolsSharesMemberships: pools with the same members share
// one slice of one string per VM, within a listing and with the listing
// before (the snapshot replaced and its successor are alive together); a
// pool with other members keeps its own; the members are as GCE has them.
func TestListTargetPoolsSharesMemberships(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	c := newClient(t, ts, nil)
	ctx := context.Background()
	var all []string
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("vm-%d", i)
		if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: "us-central1-a"}); err != nil {
			t.Fatal(err)
		}
		all = append(all, "https://www.googleapis.com/compute/v1/projects/demo/zones/us-central1-a/instances/"+name)
	}
	pools := map[string][]string{"a": all, "b": all, "c": all, "d": all[:2]}
	for _, name := range []string{"a", "b", "c", "d"} {
		tp := &computepb.TargetPool{Name: proto.String(name), Instances: pools[name]}
		if err := c.InsertTargetPool(ctx, "us-central1", tp); err != nil {
			t.Fatal(err)
		}
	}
	list := func() map[string][]string {
		t.Helper()
		got, err := c.ListTargetPools(ctx, "us-central1", "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, tp := range got {
			out[tp.GetName()] = tp.GetInstances()
		}
		return out
	}
	first, second := list(), list()
	for name, want := range pools {
		if fmt.Sprint(first[name]) != fmt.Sprint(want) || fmt.Sprint(second[name]) != fmt.Sprint(want) {
			t.Errorf("pool %s: members %v then %v, want %v", name, first[name], second[name], want)
		}
	}
	same := func(x, y []string) bool { return len(x) > 0 && len(y) > 0 && &x[0] == &y[0] }
	if !same(first["a"], first["b"]) || !same(first["a"], first["c"]) {
		t.Error("pools a, b and c have the same members but not one shared slice")
	}
	if same(first["a"], first["d"]) {
		t.Error("pool d has other members but shares a's slice")
	}
	if !same(first["a"], second["a"]) || !same(first["d"], second["d"]) {
		t.Error("the second listing does not reuse the first one's memberships")
	}
	// One string per VM: d's members are a's strings.
	if unsafe.StringData(first["d"][0]) != unsafe.StringData(first["a"][0]) {
		t.Error("pool d's first member is not the string a's pools hold")
	}
}
