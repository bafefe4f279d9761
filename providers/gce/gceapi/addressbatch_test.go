package gceapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// A wave of address reads (load balancers reading the IPs they just
// reserved) is one or two lists, not a GET each; each read gets its own
// address, and a name that does not exist is NotFound as a GET's 404.
func TestGetAddressWaveSharesOneList(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	c := newClient(t, ts, nil)
	ctx := context.Background()
	const n = 30
	for i := range n {
		if err := c.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String(fmt.Sprintf("a%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	ts.ResetStats()
	var wg sync.WaitGroup
	ips := make([]string, n)
	errs := make([]error, n+1)
	for i := range n + 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := c.GetAddress(ctx, "us-central1", fmt.Sprintf("a%02d", i))
			errs[i] = err
			if err == nil {
				ips[i] = a.GetAddress()
				if a.GetName() != fmt.Sprintf("a%02d", i) {
					errs[i] = fmt.Errorf("read %s for a%02d", a.GetName(), i)
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ips[i] == "" {
			t.Errorf("a%02d: ip %q, err %v", i, ips[i], errs[i])
		}
	}
	if !gceapi.IsNotFound(errs[n]) {
		t.Errorf("a name that does not exist: %v, want NotFound", errs[n])
	}
	st := ts.Stats()
	if gets, lists := st.Calls["compute.addresses.get"], st.Calls["compute.addresses.list"]; gets != 0 || lists < 1 || lists > 2 {
		t.Errorf("%d reads made %d addresses.get and %d addresses.list, want no GET and one or two lists", n+1, gets, lists)
	}
}

// A read sees what was reserved before it began, though a batch's list
// was in flight then (that list may have begun before the reservation).
func TestGetAddressAfterAReservationSeesIt(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	c := newClient(t, ts, nil)
	ctx := context.Background()
	for i := range 20 {
		name := fmt.Sprintf("b%02d", i)
		done := make(chan error, 1)
		go func() { _, err := c.GetAddress(ctx, "us-central1", "absent"); done <- err }()
		if err := c.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String(name)}); err != nil {
			t.Fatal(err)
		}
		if a, err := c.GetAddress(ctx, "us-central1", name); err != nil || a.GetAddress() == "" {
			t.Fatalf("%s read right after its reservation: %v, %v", name, a, err)
		}
		<-done
	}
}
