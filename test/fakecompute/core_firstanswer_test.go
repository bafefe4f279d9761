package fakecompute_test

import (
	"encoding/json"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestFirstAnswerOfAMutation: GCE answers a mutation with its operation
// RUNNING, progress 0 (on the wire) and targetId already set, even when
// it completes at once (here: no latency); the resource an insert creates
// has the id the first answer named, and a delete's names the resource it
// removes. setLabels is the exception GCE finishes before answering: DONE,
// progress 100, endTime, an operation of the resource's region.
func TestFirstAnswerOfAMutation(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "vm", Zone: zoneA, CanIPForward: true})

	// The wire: progress 0 is sent, not left out.
	r := e.raw("POST", "/compute/v1/projects/demo/global/routes",
		`{"name":"wire","network":"global/networks/default","destRange":"10.1.0.0/24","nextHopIp":"10.128.0.9"}`)
	var wire map[string]any
	if err := json.Unmarshal(r.body, &wire); err != nil || r.status != 200 {
		t.Fatalf("insert: %d %s", r.status, r.body)
	}
	if wire["status"] != "RUNNING" || wire["progress"] != 0.0 || wire["targetId"] == nil || wire["endTime"] != nil {
		t.Errorf("first answer on the wire: %s; want RUNNING, progress 0, a targetId and no endTime", r.body)
	}

	// apiv1: the insert's targetId is the new route's id.
	op, err := e.routes.Insert(e.ctx, routeReq("ins", "10.2.0.0/24", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	first := op.Proto()
	if first.GetStatus() != computepb.Operation_RUNNING || first.Progress == nil || first.GetProgress() != 0 || first.GetTargetId() == 0 {
		t.Errorf("apiv1 insert: status %v progress %v targetId %d; want RUNNING, 0, set", first.GetStatus(), first.Progress, first.GetTargetId())
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	route, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "ins"})
	if err != nil {
		t.Fatal(err)
	}
	if route.GetId() != first.GetTargetId() {
		t.Errorf("route id %d, the insert's first answer named %d", route.GetId(), first.GetTargetId())
	}
	if done := e.globalOp(op.Name()); done.GetStatus() != computepb.Operation_DONE || done.GetProgress() != 100 || done.GetTargetId() != route.GetId() {
		t.Errorf("the operation read after: %v progress %d targetId %d", done.GetStatus(), done.GetProgress(), done.GetTargetId())
	}

	// The legacy client: a delete names the route it removes.
	del, err := e.legacy.Routes.Delete(project, "ins").Do()
	if err != nil {
		t.Fatal(err)
	}
	if del.Status != "RUNNING" || del.TargetId != route.GetId() {
		t.Errorf("legacy delete: status %s targetId %d; want RUNNING and %d", del.Status, del.TargetId, route.GetId())
	}

	// setLabels: DONE at once, in the address's region.
	aop, err := e.legacy.Addresses.Insert(project, region, &gce.Address{Name: "vip"}).Do()
	if err == nil {
		aop, err = e.legacy.RegionOperations.Wait(project, region, aop.Name).Do()
	}
	if err != nil || aop.Error != nil {
		t.Fatalf("insert address: %+v %v", aop, err)
	}
	addr, err := e.legacy.Addresses.Get(project, region, "vip").Do()
	if err != nil {
		t.Fatal(err)
	}
	lop, err := e.legacy.Addresses.SetLabels(project, region, "vip", &gce.RegionSetLabelsRequest{
		Labels: map[string]string{"k": "v"}, LabelFingerprint: addr.LabelFingerprint}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if lop.Status != "DONE" || lop.Progress != 100 || lop.EndTime == "" || lop.OperationType != "setLabels" ||
		lop.Region != base+"projects/demo/regions/"+region || lop.TargetId != addr.Id {
		t.Errorf("setLabels: %s progress %d end %q type %s region %s targetId %d; want DONE, 100, an end, setLabels, %s, %d",
			lop.Status, lop.Progress, lop.EndTime, lop.OperationType, lop.Region, lop.TargetId, region, addr.Id)
	}
}
