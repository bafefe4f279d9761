package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const project = "demo"

// emulated is the real API layer over HTTP on the emulator.
func emulated(t testing.TB) (*fakecompute.Server, *gceapi.Client) {
	t.Helper()
	gce := fakecompute.New(fakecompute.Options{Project: project})
	hs := httptest.NewServer(gce)
	t.Cleanup(hs.Close)
	api, err := gceapi.New(context.Background(), gceapi.Config{Project: project, Endpoint: hs.URL,
		ClientOptions:  []option.ClientOption{option.WithoutAuthentication()},
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, MaxAttempts: 2,
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	return gce, api
}

func seed(t testing.TB, gce *fakecompute.Server, seeds ...fakecompute.InstanceSeed) {
	t.Helper()
	if _, err := gce.SeedInstances(seeds...); err != nil {
		t.Fatal(err)
	}
}

func TestLookup(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := gceref.Instance("demo", "us-central1-a", "a")
	b := gceref.Instance("demo", "us-central1-b", "b")
	inst := func(vm gceref.Key, fwd bool) *computepb.Instance {
		return &computepb.Instance{Name: proto.String(vm.Name), SelfLink: proto.String(vm.SelfLink()), CanIpForward: proto.Bool(fwd)}
	}
	oldNode, newNode := t0.Add(-time.Hour), t0.Add(-10*time.Second)
	margin := time.Minute // the ipforward controller's: a node that new may run on a VM the list missed

	inv := New(nil)
	at := func(now time.Time) *Inventory { inv.now = func() time.Time { return now }; return inv }
	if _, res := at(t0).Lookup(a, oldNode); res != Miss {
		t.Fatalf("empty inventory: %v, want a miss", res)
	}
	inv.install([]*computepb.Instance{inst(a, false)}, t0)
	for _, tt := range []struct {
		name    string
		vm      gceref.Key
		existed time.Time
		now     time.Time
		want    Result
	}{
		{"listed, fresh", a, oldNode, t0.Add(time.Minute), Hit},
		{"listed, too old", a, oldNode, t0.Add(MaxAge), Miss},
		{"not listed, VM older than the list: gone", b, oldNode.Add(margin), t0.Add(time.Minute), Absent},
		{"not listed, VM about as new as the list: read it", b, newNode.Add(margin), t0.Add(time.Minute), Miss},
		{"not listed, nothing known of when the VM was made: read it", b, time.Time{}, t0.Add(time.Minute), Miss},
		{"not listed, list too old: read it", b, oldNode.Add(margin), t0.Add(MaxAge), Miss},
	} {
		if _, res := at(tt.now).Lookup(tt.vm, tt.existed); res != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, res, tt.want)
		}
	}

	// A read made while the next list ran is newer than what that list
	// returned, and survives it.
	inv.Put(a, inst(a, true), t0.Add(2*time.Minute))
	inv.Put(b, nil, t0.Add(2*time.Minute))
	inv.install([]*computepb.Instance{inst(a, false), inst(b, false)}, t0.Add(time.Minute))
	if got, res := at(t0.Add(3*time.Minute)).Lookup(a, oldNode); res != Hit || !got.CanIPForward {
		t.Errorf("a after an older list: %v %v, want the newer copy (forwarding)", res, got)
	}
	if _, res := at(t0.Add(3*time.Minute)).Lookup(b, oldNode); res != Absent {
		t.Errorf("b after an older list: %v, want absent (a newer GET said 404)", res)
	}
}

// One list serves every caller within MaxAge; Relist always lists anew.
func TestListsShared(t *testing.T) {
	gce, api := emulated(t)
	seed(t, gce, fakecompute.InstanceSeed{Name: "a", Zone: "us-central1-a"}, fakecompute.InstanceSeed{Name: "b", Zone: "us-central1-b"})
	inv := New(api)
	ctx := t.Context()
	for range 3 {
		if err := inv.Current(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := gce.Stats().Calls["compute.instances.aggregatedList"]; n != 1 {
		t.Errorf("%d lists for three questions within MaxAge, want 1", n)
	}
	seed(t, gce, fakecompute.InstanceSeed{Name: "late", Zone: "us-central1-c"})
	late := gceref.Instance(project, "us-central1-c", "late")
	if _, res := inv.Lookup(late, time.Time{}); res != Miss {
		t.Fatalf("a VM made after the list: %v, want a miss", res)
	}
	if n, err := inv.Relist(ctx); err != nil || n != 3 {
		t.Fatalf("relist: %d VMs, %v; want 3", n, err)
	}
	if _, res := inv.Lookup(late, time.Time{}); res != Hit {
		t.Errorf("after a relist: %v, want a hit", res)
	}
	if n := gce.Stats().Calls["compute.instances.aggregatedList"]; n != 2 {
		t.Errorf("%d lists, want 2", n)
	}
}

// A caller that gives up does not fail the list for the others: the
// second caller of a list whose first caller was cancelled is answered.
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	gce, api := emulated(t)
	seed(t, gce, fakecompute.InstanceSeed{Name: "a", Zone: "us-central1-a"})
	gate := &gated{Lister: api, entered: make(chan struct{}), release: make(chan struct{})}
	inv := New(gate)
	first, cancel := context.WithCancel(t.Context())
	firstErr := make(chan error, 1)
	go func() { firstErr <- inv.Current(first) }()
	<-gate.entered // the list is in flight, started by the first caller
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("the first caller: %v, want context.Canceled", err)
	}
	// The first caller has gone: the list it started ran on its own
	// context, and a caller now starts it anew or joins it; either way it
	// is answered.
	close(gate.release)
	if err := inv.Current(t.Context()); err != nil {
		t.Fatalf("the second caller: %v, want the VMs", err)
	}
	if _, res := inv.Lookup(gceref.Instance(project, "us-central1-a", "a"), time.Time{}); res != Hit {
		t.Errorf("after the second caller's list: %v, want a hit", res)
	}
}

// gated holds the first list until released.
type gated struct {
	Lister
	entered, release chan struct{}
	once             bool
}

func (g *gated) AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error) {
	if !g.once {
		g.once = true
		close(g.entered)
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Lister.AggregatedListInstances(ctx, filter)
}

// The record keeps what its readers use, in GCE's order.
func TestRecord(t *testing.T) {
	gce, api := emulated(t)
	seed(t, gce,
		fakecompute.InstanceSeed{Name: "fwd", Zone: "us-central1-a", CanIPForward: true, Tags: []string{"fwd", "web"},
			MachineType: "n2-standard-8", ExternalIP: true, IPv6: true, Status: "TERMINATED"},
		fakecompute.InstanceSeed{Name: "nofwd", Zone: "us-central1-a"})
	inv := New(api)
	if _, err := inv.Relist(t.Context()); err != nil {
		t.Fatal(err)
	}
	fwd, _ := inv.Lookup(gceref.Instance(project, "us-central1-a", "fwd"), time.Time{})
	full, err := api.GetInstance(t.Context(), project, "us-central1-a", "fwd")
	if err != nil {
		t.Fatal(err)
	}
	ni := full.GetNetworkInterfaces()[0]
	want := &VM{Status: "TERMINATED", MachineType: "n2-standard-8", CanIPForward: true, Tags: []string{"fwd", "web"},
		Addresses: Addresses{Internal: []string{ni.GetNetworkIP()}, IPv6: []string{ni.GetIpv6AccessConfigs()[0].GetExternalIpv6()},
			External: []string{ni.GetAccessConfigs()[0].GetNatIP()}}}
	if diff := cmp.Diff(want, fwd); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	nofwd, _ := inv.Lookup(gceref.Instance(project, "us-central1-a", "nofwd"), time.Time{})
	if nofwd.Full != nil {
		t.Errorf("a VM that does not forward keeps its whole resource unasked")
	}
	inv.KeepFullWhenNotForwarding()
	if _, err := inv.Relist(t.Context()); err != nil {
		t.Fatal(err)
	}
	nofwd, _ = inv.Lookup(gceref.Instance(project, "us-central1-a", "nofwd"), time.Time{})
	fwd, _ = inv.Lookup(gceref.Instance(project, "us-central1-a", "fwd"), time.Time{})
	if nofwd.Full.GetFingerprint() == "" || fwd.Full != nil {
		t.Errorf("asked to keep the whole resource of VMs that do not forward: nofwd %v, fwd %v", nofwd.Full, fwd.Full)
	}
}

// TestMemoryPerVM reports what the inventory costs per VM: the figure the
// memory budget at 5,000 nodes is planned with. It asserts only that the
// record stays well under a whole resource.
func TestMemoryPerVM(t *testing.T) {
	const n = 5000
	before := heap()
	inv := New(nil)
	inv.install(listOf(n), time.Now())
	after := heap()
	runtime.KeepAlive(inv)
	per := float64(after-before) / n
	t.Logf("inventory: %.0f bytes per VM (%d VMs, %.1f MiB)", per, n, float64(after-before)/(1<<20))
	if per > 1024 {
		t.Errorf("%.0f bytes per VM; a record should stay under 1 KiB", per)
	}
}

// listOf is what a list of n node VMs of one GKE-like cluster returns
// (the fields the record reads; a real resource has many more).
func listOf(n int) []*computepb.Instance {
	insts := make([]*computepb.Instance, n)
	for i := range insts {
		zone := fmt.Sprintf("us-central1-%c", 'a'+i%3)
		name := fmt.Sprintf("gke-cluster-default-pool-%08x-%04d", i*7919, i)
		insts[i] = &computepb.Instance{Name: proto.String(name),
			SelfLink:     proto.String(gceref.Instance(project, zone, name).SelfLink()),
			MachineType:  proto.String("https://www.googleapis.com/compute/v1/projects/demo/zones/" + zone + "/machineTypes/e2-standard-4"),
			Status:       proto.String("RUNNING"),
			CanIpForward: proto.Bool(true),
			Fingerprint:  proto.String("q3KjQmD5_tA="),
			Tags:         &computepb.Tags{Items: []string{"gke-cluster-node"}},
			NetworkInterfaces: []*computepb.NetworkInterface{{NetworkIP: proto.String(fmt.Sprintf("10.0.%d.%d", i/250, i%250+2)),
				AccessConfigs: []*computepb.AccessConfig{{NatIP: proto.String(fmt.Sprintf("34.1.%d.%d", i/250, i%250+2))}}}},
		}
	}
	return insts
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
