package ipforward

import (
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

func TestInventoryLookup(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ttl := 7*time.Minute + 30*time.Second
	a := gceref.Instance("demo", "us-central1-a", "a")
	b := gceref.Instance("demo", "us-central1-b", "b")
	inst := func(vm gceref.Key, fwd bool) *computepb.Instance {
		return &computepb.Instance{Name: proto.String(vm.Name), SelfLink: proto.String(vm.SelfLink()), CanIpForward: proto.Bool(fwd)}
	}
	oldNode, newNode := t0.Add(-time.Hour), t0.Add(-10*time.Second)

	inv := newInventory()
	if _, res := inv.lookup(a, oldNode, t0, ttl); res != cacheMiss {
		t.Fatalf("empty inventory: %v, want a miss", res)
	}
	inv.replace([]*computepb.Instance{inst(a, false)}, t0)
	for _, tt := range []struct {
		name    string
		vm      gceref.Key
		created time.Time
		now     time.Time
		want    lookupResult
	}{
		{"listed, fresh", a, oldNode, t0.Add(time.Minute), cacheHit},
		{"listed, too old", a, oldNode, t0.Add(ttl), cacheMiss},
		{"not listed, node older than the read: gone", b, oldNode, t0.Add(time.Minute), cacheAbsent},
		{"not listed, node about as new as the read: read it", b, newNode, t0.Add(time.Minute), cacheMiss},
		{"not listed, read too old: read it", b, oldNode, t0.Add(ttl), cacheMiss},
	} {
		if _, res := inv.lookup(tt.vm, tt.created, tt.now, ttl); res != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, res, tt.want)
		}
	}

	// A read made while the next bulk read ran is newer than what that
	// bulk read returned, and survives it.
	inv.put(a, inst(a, true), t0.Add(2*time.Minute))
	inv.put(b, nil, t0.Add(2*time.Minute))
	inv.replace([]*computepb.Instance{inst(a, false), inst(b, false)}, t0.Add(time.Minute))
	if got, res := inv.lookup(a, oldNode, t0.Add(3*time.Minute), ttl); res != cacheHit || !got.GetCanIpForward() {
		t.Errorf("a after an older bulk read: %v %v, want the newer copy (forwarding)", res, got)
	}
	if _, res := inv.lookup(b, oldNode, t0.Add(3*time.Minute), ttl); res != cacheAbsent {
		t.Errorf("b after an older bulk read: %v, want absent (a newer GET said 404)", res)
	}
}
