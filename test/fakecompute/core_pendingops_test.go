package fakecompute_test

import (
	"time"

	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestFinishPending: with a latency longer than the test, mutations stay
// pending (and their changes invisible) until FinishPending completes them;
// a waiting client then sees them DONE.
func TestFinishPending(t *testing.T) {
	e := newEnv(t, fakecompute.Options{OperationLatency: time.Hour})
	var ops []string
	for _, r := range []*computepb.InsertRouteRequest{routeReq("a", "10.0.0.0/24", "vm"), routeReq("b", "10.0.1.0/24", "vm")} {
		op, err := e.routes.Insert(e.ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op.Name())
	}
	want := []fakecompute.PendingOperation{
		{Type: "insert", Target: fakecompute.GlobalKey(project, "routes", "a")},
		{Type: "insert", Target: fakecompute.GlobalKey(project, "routes", "b")},
	}
	if d := cmp.Diff(want, e.ts.PendingOperations()); d != "" {
		t.Fatalf("pending (-want +got)\n%s", d)
	}
	if _, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "a"}); summarize(err) != (errSummary{404, "notFound"}) {
		t.Fatalf("route of a pending insert: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := e.gops.Wait(e.ctx, &computepb.WaitGlobalOperationRequest{Project: project, Operation: ops[0]})
		done <- err
	}()
	if n := e.ts.FinishPending(); n != 2 {
		t.Errorf("FinishPending completed %d, want 2", n)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, name := range ops {
		if st := e.globalOp(name).GetStatus(); st != computepb.Operation_DONE {
			t.Errorf("%s: %v after FinishPending", name, st)
		}
	}
	if got := e.ts.PendingOperations(); len(got) != 0 || e.ts.FinishPending() != 0 {
		t.Errorf("pending after FinishPending: %v", got)
	}
	if _, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "b"}); err != nil {
		t.Errorf("route after FinishPending: %v", err)
	}
}
