package fakecompute_test

import (
	"context"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestSmokeRoutesAndInstances(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", OperationLatency: 50 * time.Millisecond})
	ctx := context.Background()
	if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: "node-a", Zone: "us-central1-a"}); err != nil {
		t.Fatal(err)
	}
	rc, err := compute.NewRoutesRESTClient(ctx, ts.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	op, err := rc.Insert(ctx, &computepb.InsertRouteRequest{Project: "demo", RouteResource: &computepb.Route{
		Name: proto.String("r1"), Network: proto.String("global/networks/default"), DestRange: proto.String("10.4.0.0/24"),
		NextHopInstance: proto.String("zones/us-central1-a/instances/node-a"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := rc.Get(ctx, &computepb.GetRouteRequest{Project: "demo", Route: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if r.GetPriority() != 1000 || len(r.GetWarnings()) != 1 || r.GetWarnings()[0].GetCode() != "NEXT_HOP_CANNOT_IP_FORWARD" {
		t.Fatalf("route: %v", r)
	}
	it := rc.List(ctx, &computepb.ListRoutesRequest{Project: "demo", Filter: proto.String(`name eq "r.*"`)})
	n := 0
	for {
		_, err := it.Next()
		if err == iterator.Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("listed %d routes", n)
	}
	ic, err := compute.NewInstancesRESTClient(ctx, ts.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	inst, err := ic.Get(ctx, &computepb.GetInstanceRequest{Project: "demo", Zone: "us-central1-a", Instance: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	inst.CanIpForward = proto.Bool(true)
	op, err = ic.Update(ctx, &computepb.UpdateInstanceRequest{Project: "demo", Zone: "us-central1-a", Instance: "node-a",
		InstanceResource: inst, MostDisruptiveAllowedAction: proto.String("REFRESH")})
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	op, err = ic.Update(ctx, &computepb.UpdateInstanceRequest{Project: "demo", Zone: "us-central1-a", Instance: "node-a",
		InstanceResource: inst, MostDisruptiveAllowedAction: proto.String("REFRESH")})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err == nil {
		t.Fatal("stale fingerprint accepted")
	}
	t.Logf("stale fingerprint: %v", err)
	t.Logf("stats: %+v", ts.Stats())
}
