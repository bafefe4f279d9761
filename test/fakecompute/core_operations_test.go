package fakecompute_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// opView is what a client reads from an operation to find and judge it.
type opView struct {
	Status, OperationType, TargetLink, Zone, Region, SelfLinkScope string
	HTTPError                                                      int32
	ErrorCode                                                      string
}

func viewOp(op *computepb.Operation) opView {
	v := opView{Status: op.GetStatus().String(), OperationType: op.GetOperationType(), TargetLink: op.GetTargetLink(),
		Zone: op.GetZone(), Region: op.GetRegion(), HTTPError: op.GetHttpErrorStatusCode()}
	if l := op.GetSelfLink(); strings.HasPrefix(l, base) {
		v.SelfLinkScope = strings.TrimPrefix(l[:strings.LastIndex(l, "/")], base)
	}
	if errs := op.GetError().GetErrors(); len(errs) > 0 {
		v.ErrorCode = errs[0].GetCode()
	}
	return v
}

// TestOperationScopes: an operation lives in the scope of its target and
// answers get and wait there, through both clients.
func TestOperationScopes(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	routeOp, err := e.routes.Insert(e.ctx, routeReq("r", "10.0.0.0/24", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	subOp, err := e.subnets.Insert(e.ctx, &computepb.InsertSubnetworkRequest{Project: project, Region: region,
		SubnetworkResource: &computepb.Subnetwork{Name: proto.String("s"), Network: proto.String("global/networks/default"), IpCidrRange: proto.String("10.1.0.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	vmOp, err := e.instances.Insert(e.ctx, &computepb.InsertInstanceRequest{Project: project, Zone: zoneC, InstanceResource: &computepb.Instance{
		Name: proto.String("vm"), MachineType: proto.String("e2-small"), NetworkInterfaces: []*computepb.NetworkInterface{{}}}})
	if err != nil {
		t.Fatal(err)
	}
	regionLink, zoneLink := base+"projects/demo/regions/us-central1", base+"projects/demo/zones/us-central1-c"
	cases := []struct {
		name   string
		op     string
		get    func(name string) (*computepb.Operation, error)
		wait   func(name string) (*computepb.Operation, error)
		legacy func(name string) (string, string, error)
		want   opView
	}{
		{
			name: "global", op: routeOp.Name(),
			get: func(n string) (*computepb.Operation, error) {
				return e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: n})
			},
			wait: func(n string) (*computepb.Operation, error) {
				return e.gops.Wait(e.ctx, &computepb.WaitGlobalOperationRequest{Project: project, Operation: n})
			},
			legacy: func(n string) (string, string, error) {
				g, err := e.legacy.GlobalOperations.Get(project, n).Do()
				if err != nil {
					return "", "", err
				}
				w, err := e.legacy.GlobalOperations.Wait(project, n).Do()
				if err != nil {
					return "", "", err
				}
				return g.Status, w.Status, nil
			},
			want: opView{Status: "DONE", OperationType: "insert", TargetLink: base + "projects/demo/global/routes/r",
				SelfLinkScope: "projects/demo/global/operations"},
		},
		{
			name: "regional", op: subOp.Name(),
			get: func(n string) (*computepb.Operation, error) {
				return e.rops.Get(e.ctx, &computepb.GetRegionOperationRequest{Project: project, Region: region, Operation: n})
			},
			wait: func(n string) (*computepb.Operation, error) {
				return e.rops.Wait(e.ctx, &computepb.WaitRegionOperationRequest{Project: project, Region: region, Operation: n})
			},
			legacy: func(n string) (string, string, error) {
				g, err := e.legacy.RegionOperations.Get(project, region, n).Do()
				if err != nil {
					return "", "", err
				}
				w, err := e.legacy.RegionOperations.Wait(project, region, n).Do()
				if err != nil {
					return "", "", err
				}
				return g.Status, w.Status, nil
			},
			want: opView{Status: "DONE", OperationType: "insert", TargetLink: regionLink + "/subnetworks/s", Region: regionLink,
				SelfLinkScope: "projects/demo/regions/us-central1/operations"},
		},
		{
			name: "zonal", op: vmOp.Name(),
			get: func(n string) (*computepb.Operation, error) {
				return e.zops.Get(e.ctx, &computepb.GetZoneOperationRequest{Project: project, Zone: zoneC, Operation: n})
			},
			wait: func(n string) (*computepb.Operation, error) {
				return e.zops.Wait(e.ctx, &computepb.WaitZoneOperationRequest{Project: project, Zone: zoneC, Operation: n})
			},
			legacy: func(n string) (string, string, error) {
				g, err := e.legacy.ZoneOperations.Get(project, zoneC, n).Do()
				if err != nil {
					return "", "", err
				}
				w, err := e.legacy.ZoneOperations.Wait(project, zoneC, n).Do()
				if err != nil {
					return "", "", err
				}
				return g.Status, w.Status, nil
			},
			want: opView{Status: "DONE", OperationType: "insert", TargetLink: zoneLink + "/instances/vm", Zone: zoneLink,
				SelfLinkScope: "projects/demo/zones/us-central1-c/operations"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for verb, call := range map[string]func(string) (*computepb.Operation, error){"get": tc.get, "wait": tc.wait} {
				op, err := call(tc.op)
				if err != nil {
					t.Fatalf("%s: %v", verb, err)
				}
				if diff := cmp.Diff(tc.want, viewOp(op)); diff != "" {
					t.Errorf("%s (-want +got)\n%s", verb, diff)
				}
				if op.GetName() != tc.op || op.GetTargetId() == 0 || op.GetInsertTime() == "" || op.GetEndTime() == "" || op.GetProgress() != 100 {
					t.Errorf("%s: name %s targetId %d insertTime %q endTime %q progress %d", verb, op.GetName(), op.GetTargetId(),
						op.GetInsertTime(), op.GetEndTime(), op.GetProgress())
				}
			}
			g, w, err := tc.legacy(tc.op)
			if err != nil || g != "DONE" || w != "DONE" {
				t.Errorf("legacy get/wait: %s %s %v", g, w, err)
			}
			// An operation is only found in its own scope.
			if _, err := e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: tc.op + "x"}); summarize(err) != (errSummary{404, "notFound"}) {
				t.Errorf("unknown operation: %v", err)
			}
		})
	}
	if _, err := e.zops.Get(e.ctx, &computepb.GetZoneOperationRequest{Project: project, Zone: zoneA, Operation: vmOp.Name()}); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("zonal operation read in another zone: %v", err)
	}
}

// TestOperationLatency: with latency, an operation is RUNNING (progress 0,
// targetId set) until it is DONE, its change is invisible until it is DONE
// and visible after.
func TestOperationLatency(t *testing.T) {
	const latency = 600 * time.Millisecond
	e := newEnv(t, fakecompute.Options{OperationLatency: latency})
	start := time.Now()
	op, err := e.routes.Insert(e.ctx, routeReq("slow", "10.0.0.0/24", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	if got := op.Proto(); got.GetStatus() != computepb.Operation_RUNNING || got.Progress == nil || got.GetProgress() != 0 || got.GetTargetId() == 0 {
		t.Fatalf("first answer: status %v progress %v targetId %d; want RUNNING, 0, set", got.GetStatus(), got.Progress, got.GetTargetId())
	}
	seen := map[string]bool{}
	eventually(t, 10*time.Second, "the operation to be DONE", func() bool {
		_, getErr := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "slow"})
		status := e.globalOp(op.Name()).GetStatus()
		seen[status.String()] = true
		// Completion is atomic: once the route was seen, the operation
		// read afterwards is DONE; an operation not yet DONE means the
		// route could not have been visible before.
		if status != computepb.Operation_DONE && getErr == nil {
			t.Fatalf("route visible while its operation is %v", status)
		}
		if status != computepb.Operation_DONE && summarize(getErr) != (errSummary{404, "notFound"}) {
			t.Fatalf("route before DONE: %v", getErr)
		}
		return status == computepb.Operation_DONE
	})
	if elapsed := time.Since(start); elapsed < latency {
		t.Errorf("DONE after %v, before the latency of %v", elapsed, latency)
	}
	if diff := cmp.Diff(map[string]bool{"RUNNING": true, "DONE": true}, seen); diff != "" {
		t.Errorf("statuses seen while polling (-want +got)\n%s", diff)
	}
	if _, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "slow"}); err != nil {
		t.Errorf("route after DONE: %v", err)
	}

	// apiv1's Wait copes with an operation that is not DONE at the first poll.
	e.ts.SetOperationLatency(100 * time.Millisecond)
	del, err := e.routes.Delete(e.ctx, &computepb.DeleteRouteRequest{Project: project, Route: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	if del.Done() {
		t.Fatalf("delete operation DONE at once despite latency")
	}
	if err := del.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "slow"}); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("route after the delete is DONE: %v", err)
	}
}

// TestOperationWait: wait blocks until DONE, and gives up after the
// server's wait timeout with the operation as it stands.
func TestOperationWait(t *testing.T) {
	t.Run("returns when DONE", func(t *testing.T) {
		const latency = 300 * time.Millisecond
		e := newEnv(t, fakecompute.Options{OperationLatency: latency, WaitTimeout: time.Minute})
		start := time.Now()
		op, err := e.routes.Insert(e.ctx, routeReq("r", "10.0.0.0/24", "vm"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.gops.Wait(e.ctx, &computepb.WaitGlobalOperationRequest{Project: project, Operation: op.Name()})
		if err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); got.GetStatus() != computepb.Operation_DONE || elapsed < latency || elapsed > 30*time.Second {
			t.Errorf("wait returned %v after %v; want DONE after the %v latency, well before the wait timeout", got.GetStatus(), elapsed, latency)
		}
		// The legacy client's Wait (gcloud's verb) on a DONE operation.
		lw, err := e.legacy.GlobalOperations.Wait(project, op.Name()).Do()
		if err != nil || lw.Status != "DONE" {
			t.Errorf("legacy wait: %v %v", lw, err)
		}
	})
	t.Run("times out", func(t *testing.T) {
		const waitTimeout = 150 * time.Millisecond
		e := newEnv(t, fakecompute.Options{OperationLatency: time.Hour, WaitTimeout: waitTimeout})
		op, err := e.routes.Insert(e.ctx, routeReq("r", "10.0.0.0/24", "vm"))
		if err != nil {
			t.Fatal(err)
		}
		for client, wait := range map[string]func() (string, error){
			"apiv1": func() (string, error) {
				got, err := e.gops.Wait(e.ctx, &computepb.WaitGlobalOperationRequest{Project: project, Operation: op.Name()})
				return got.GetStatus().String(), err
			},
			"legacy": func() (string, error) {
				got, err := e.legacy.GlobalOperations.Wait(project, op.Name()).Do()
				if err != nil {
					return "", err
				}
				return got.Status, nil
			},
		} {
			start := time.Now()
			status, err := wait()
			if elapsed := time.Since(start); err != nil || status != "RUNNING" || elapsed < waitTimeout {
				t.Errorf("%s: wait returned %q, %v after %v; want the RUNNING operation after the %v wait timeout",
					client, status, err, elapsed, waitTimeout)
			}
		}
	})
}

// TestFailedOperation: an operation that fails carries error.errors[] and
// httpErrorStatusCode, apiv1's Wait returns an error, and nothing changes.
func TestFailedOperation(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.ts.SetFaults(fakecompute.FaultRule{Method: http.MethodPost, PathRegexp: `/global/routes$`,
		Code: http.StatusConflict, Reason: "alreadyExists", Message: "injected conflict", FailOperation: true, Count: 1}); err != nil {
		t.Fatal(err)
	}
	op, err := e.routes.Insert(e.ctx, routeReq("r", "10.0.0.0/24", "vm"))
	if err != nil {
		t.Fatalf("a failing operation is still accepted: %v", err)
	}
	werr := op.Wait(e.ctx)
	if werr == nil {
		t.Fatal("Wait on a failed operation returned nil")
	}
	if ge := apiErr(werr); ge == nil || ge.Code != http.StatusConflict || !strings.Contains(ge.Message, "injected conflict") {
		t.Errorf("Wait error = %v, want a googleapi.Error 409 naming the cause", werr)
	}
	want := opView{Status: "DONE", OperationType: "insert", TargetLink: base + "projects/demo/global/routes/r",
		SelfLinkScope: "projects/demo/global/operations", HTTPError: 409, ErrorCode: "ALREADY_EXISTS"}
	got := e.globalOp(op.Name())
	if diff := cmp.Diff(want, viewOp(got)); diff != "" {
		t.Errorf("failed operation (-want +got)\n%s", diff)
	}
	if got.GetHttpErrorMessage() != "CONFLICT" || got.GetError().GetErrors()[0].GetMessage() != "injected conflict" {
		t.Errorf("httpErrorMessage %q, error message %q", got.GetHttpErrorMessage(), got.GetError().GetErrors()[0].GetMessage())
	}
	// The legacy client reads the same failure, as k8s-cloud-provider does.
	lop, err := e.legacy.GlobalOperations.Get(project, op.Name()).Do()
	if err != nil || lop.Error == nil || lop.Error.Errors[0].Code != "ALREADY_EXISTS" || lop.HttpErrorStatusCode != 409 {
		t.Errorf("legacy view of the failed operation: %+v %v", lop, err)
	}
	if names := e.userRouteNames(""); len(names) != 0 {
		t.Errorf("a failed insert created %v", names)
	}
	// The rule fired once: the retry succeeds.
	e.insertRoute("r", "10.0.0.0/24", "vm")
}

// TestOperationsListAndDelete covers operations.list (oldest first, paged)
// and operations.delete.
func TestOperationsListAndDelete(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	var names []string
	for _, r := range []string{"a", "b", "c", "d"} {
		op, err := e.routes.Insert(e.ctx, routeReq(r, "10.0.0.0/24", "vm"))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, op.Name())
	}
	list := func(pageSize int32) []string {
		t.Helper()
		var got []string
		it := e.gops.List(e.ctx, &computepb.ListGlobalOperationsRequest{Project: project, MaxResults: proto.Uint32(uint32(pageSize))})
		for {
			op, err := it.Next()
			if err != nil {
				if errors.Is(err, errDone) {
					return got
				}
				t.Fatal(err)
			}
			got = append(got, op.GetName())
		}
	}
	if diff := cmp.Diff(names, list(3)); diff != "" {
		t.Errorf("operations.list (-want +got)\n%s", diff)
	}
	if _, err := e.gops.Delete(e.ctx, &computepb.DeleteGlobalOperationRequest{Project: project, Operation: names[1]}); err != nil {
		t.Fatalf("delete operation: %v", err)
	}
	want := []string{names[0], names[2], names[3]}
	if diff := cmp.Diff(want, list(2)); diff != "" {
		t.Errorf("operations.list after delete (-want +got)\n%s", diff)
	}
	for what, err := range map[string]error{
		"get deleted": func() error {
			_, err := e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: names[1]})
			return err
		}(),
		"delete deleted": func() error {
			_, err := e.gops.Delete(e.ctx, &computepb.DeleteGlobalOperationRequest{Project: project, Operation: names[1]})
			return err
		}(),
	} {
		if diff := cmp.Diff(errSummary{404, "notFound"}, summarize(err)); diff != "" {
			t.Errorf("%s (-want +got)\n%s", what, diff)
		}
	}
	// Other scopes have their own lists.
	l, err := e.legacy.ZoneOperations.List(project, zoneA).Do()
	if err != nil || len(l.Items) != 0 {
		t.Errorf("zone operations: %v %v", l, err)
	}
}

// TestRequestID: a retried mutation with the same requestId gets the
// first operation back and changes nothing, also when the retries race.
func TestRequestID(t *testing.T) {
	cases := []struct {
		name    string
		latency time.Duration
	}{{"done at once", 0}, {"still running", 200 * time.Millisecond}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, fakecompute.Options{OperationLatency: tc.latency})
			const rid = "6f1c0f7c-2a2b-4f5e-9a55-0d1b2c3d4e5f"
			const racers = 10
			ops := make([]*compute.Operation, racers)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req := routeReq("once", "10.0.0.0/24", "vm")
					req.RequestId = proto.String(rid)
					ops[i], errs[i] = e.routes.Insert(e.ctx, req)
				}()
			}
			wg.Wait()
			names := map[string]bool{}
			for i := range racers {
				if errs[i] != nil {
					t.Fatalf("insert %d: %v", i, errs[i])
				}
				names[ops[i].Name()] = true
			}
			if len(names) != 1 {
				t.Fatalf("%d racing inserts with one requestId made %d operations", racers, len(names))
			}
			if err := ops[0].Wait(e.ctx); err != nil {
				t.Fatal(err)
			}
			// A retry after completion gets the DONE operation back.
			req := routeReq("once", "10.0.0.0/24", "vm")
			req.RequestId = proto.String(rid)
			again, err := e.routes.Insert(e.ctx, req)
			if err != nil {
				t.Fatalf("retry after DONE: %v", err)
			}
			if again.Name() != ops[0].Name() || !again.Done() || again.Proto().GetError() != nil {
				t.Errorf("retry after DONE: operation %s done %v error %v, want %s DONE without error",
					again.Name(), again.Done(), again.Proto().GetError(), ops[0].Name())
			}
			if diff := cmp.Diff([]string{"once"}, e.userRouteNames("")); diff != "" {
				t.Errorf("routes (-want +got)\n%s", diff)
			}
			l, err := e.legacy.GlobalOperations.List(project).Do()
			if err != nil || len(l.Items) != 1 {
				t.Errorf("operations: %d, want 1 (%v)", len(l.Items), err)
			}
			// Without a requestId the same insert is a new request: 409.
			_, err = e.routes.Insert(e.ctx, routeReq("once", "10.0.0.0/24", "vm"))
			if diff := cmp.Diff(errSummary{409, "alreadyExists"}, summarize(err)); diff != "" {
				t.Errorf("insert without requestId (-want +got)\n%s", diff)
			}
		})
	}
}

// TestRequestIDAfterRefusal: a request refused synchronously does not
// burn its requestId; the corrected retry is carried out.
func TestRequestIDAfterRefusal(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	req := routeReq("Bad", "10.0.0.0/24", "vm")
	req.RequestId = proto.String("rid-1")
	if _, err := e.routes.Insert(e.ctx, req); summarize(err) != (errSummary{400, "invalid"}) {
		t.Fatalf("bad name: %v", err)
	}
	req.RouteResource.Name = proto.String("good")
	op, err := e.routes.Insert(e.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"good"}, e.userRouteNames("")); diff != "" {
		t.Errorf("routes (-want +got)\n%s", diff)
	}
}
