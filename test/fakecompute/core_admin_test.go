package fakecompute_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestAdminAPI drives the emulator's own HTTP surface under /_internal/
// the way the standalone binary's users and e2e scripts do.
func TestAdminAPI(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})

	var health map[string]string
	e.rawJSON("GET", "/_internal/healthz", "", &health)
	if health["status"] != "ok" {
		t.Errorf("healthz: %v", health)
	}

	// Seed VMs; the API then serves them.
	var seeded []*gce.Instance
	e.rawJSON("POST", "/_internal/instances",
		`[{"name":"node-a","zone":"us-central1-a","canIpForward":true,"externalIP":true,"tags":["k8s"]},{"name":"node-b","zone":"us-central1-b"}]`, &seeded)
	if len(seeded) != 2 || seeded[0].NetworkInterfaces[0].AccessConfigs[0].NatIP == "" || !seeded[0].CanIpForward {
		t.Fatalf("seeded: %+v", seeded)
	}
	inst, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneA, Instance: "node-a"})
	if err != nil || inst.GetId() != seeded[0].Id {
		t.Fatalf("get seeded VM: %v %v", inst, err)
	}
	if r := e.raw("POST", "/_internal/instances", `[{"name":"Bad","zone":"us-central1-a"}]`); r.status != 400 {
		t.Errorf("bad seed: %d %s", r.status, r.body)
	}
	if r := e.raw("POST", "/_internal/instances", `[{"name":"x","zone":"us-central1-a","color":"red"}]`); r.status != 400 || r.reason() != "parseError" {
		t.Errorf("seed with an unknown field: %d %s", r.status, r.body)
	}

	// Status change and out-of-band delete.
	e.rawJSON("POST", "/_internal/instances/status", `{"zone":"us-central1-b","name":"node-b","status":"TERMINATED"}`, nil)
	if i, err := e.legacy.Instances.Get(project, zoneB, "node-b").Do(); err != nil || i.Status != "TERMINATED" {
		t.Errorf("after status change: %v %v", i, err)
	}
	e.rawJSON("POST", "/_internal/instances/delete", `{"zone":"us-central1-b","name":"node-b"}`, nil)
	if _, err := e.legacy.Instances.Get(project, zoneB, "node-b").Do(); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("after delete: %v", err)
	}
	if r := e.raw("POST", "/_internal/instances/delete", `{"zone":"us-central1-b","name":"node-b"}`); r.status != 404 {
		t.Errorf("second delete: %d", r.status)
	}

	// Settings: latency, rate limits and quotas, read back and in effect.
	var st fakecompute.Settings
	e.rawJSON("PUT", "/_internal/settings",
		`{"operationLatency":"300ms","rateLimits":{"readsPerMinute":6000},"quotas":{"ROUTES":5}}`, &st)
	want := fakecompute.Settings{OperationLatency: fakecompute.Duration(300 * time.Millisecond),
		RateLimits: fakecompute.RateLimits{ReadsPerMinute: 6000}, Quotas: map[string]float64{"ROUTES": 5}}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("PUT settings (-want +got)\n%s", diff)
	}
	st = fakecompute.Settings{}
	e.rawJSON("GET", "/_internal/settings", "", &st)
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("GET settings (-want +got)\n%s", diff)
	}
	op, err := e.routes.Insert(e.ctx, routeReq("slow", "10.0.0.0/24", "node-a"))
	if err != nil {
		t.Fatal(err)
	}
	if op.Done() {
		t.Errorf("operation DONE at once with a 300ms latency")
	}
	if r := e.raw("PUT", "/_internal/settings", `{"operationLatency":"-1s"}`); r.status != 400 {
		t.Errorf("negative latency: %d", r.status)
	}
	var cleared fakecompute.Settings // JSON decoding merges into maps: decode into a fresh value
	e.rawJSON("PUT", "/_internal/settings", `{"operationLatency":"0s"}`, &cleared)
	if len(cleared.Quotas) != 0 || cleared.RateLimits != (fakecompute.RateLimits{}) {
		t.Errorf("PUT settings replaces everything: %+v", cleared)
	}

	// Faults: PUT replaces, POST appends, GET shows hits.
	var rules []fakecompute.FaultRule
	e.rawJSON("PUT", "/_internal/faults", `[{"method":"GET","pathRegexp":"/global/routes/x$","code":503,"count":1}]`, &rules)
	e.rawJSON("POST", "/_internal/faults", `{"method":"GET","pathRegexp":"/global/networks/default$","delay":"1ms"}`, &rules)
	if len(rules) != 2 || rules[1].Delay != time.Millisecond {
		t.Fatalf("faults: %+v", rules)
	}
	if r := e.raw("GET", routesPath+"/x", ""); r.status != 503 {
		t.Errorf("injected fault: %d", r.status)
	}
	e.rawJSON("GET", "/_internal/faults", "", &rules)
	if rules[0].Hits != 1 {
		t.Errorf("hits = %d, want 1", rules[0].Hits)
	}
	if r := e.raw("PUT", "/_internal/faults", `[{"code":200}]`); r.status != 400 {
		t.Errorf("invalid fault: %d", r.status)
	}
	if r := e.raw("POST", "/_internal/faults", `{"code":500,"delay":"soon"}`); r.status != 400 {
		t.Errorf("fault with a bad delay: %d", r.status)
	}

	// Stats and the request log.
	var stats fakecompute.Stats
	e.rawJSON("GET", "/_internal/stats", "", &stats)
	if stats.Calls["compute.instances.get"] != 3 || stats.Errors["compute.routes.get"] != 1 {
		t.Errorf("stats: %+v", stats)
	}
	var log []fakecompute.LogEntry
	e.rawJSON("GET", "/_internal/log", "", &log)
	if len(log) == 0 || log[len(log)-1].MethodID != "compute.routes.get" || log[len(log)-1].Status != 503 {
		t.Errorf("log tail: %+v", log[len(log)-1])
	}
	var zeroed fakecompute.Stats
	e.rawJSON("POST", "/_internal/stats/reset", "", &zeroed)
	if zeroed.Reads != 0 || len(zeroed.Calls) != 0 {
		t.Errorf("after reset: %+v", zeroed)
	}

	// State: every collection by path.
	var state map[string][]json.RawMessage
	e.rawJSON("GET", "/_internal/state", "", &state)
	for _, path := range []string{"projects/demo/global/networks", "projects/demo/regions/us-central1/subnetworks",
		"projects/demo/zones/us-central1-a/instances", "projects/demo/zones/us-central1-a/disks"} {
		if len(state[path]) != 1 {
			t.Errorf("state[%s] has %d objects", path, len(state[path]))
		}
	}

	// Reset: back to a fresh project.
	e.rawJSON("POST", "/_internal/reset", "", nil)
	var fresh map[string][]json.RawMessage
	e.rawJSON("GET", "/_internal/state", "", &fresh)
	// The default network, its system routes and its subnets.
	wantFresh := []string{"projects/demo/global/networks", "projects/demo/global/routes"}
	for _, r := range e.regionNames() {
		wantFresh = append(wantFresh, "projects/demo/regions/"+r+"/subnetworks")
	}
	if diff := cmp.Diff(wantFresh, sortedKeys(fresh)); diff != "" {
		t.Errorf("state after reset (-want +got)\n%s", diff)
	}
	if n := len(fresh["projects/demo/global/routes"]); n != len(e.regionNames())+1 {
		t.Errorf("%d routes after reset, want the default network's %d system routes", n, len(e.regionNames())+1)
	}
	if len(e.ts.Faults()) != 0 {
		t.Errorf("faults survive a reset")
	}
	if _, err := e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: op.Name()}); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("operations survive a reset: %v", err)
	}

	for _, c := range []struct{ method, path string }{{"GET", "/_internal/nope"}, {"DELETE", "/_internal/state"}} {
		if r := e.raw(c.method, c.path, ""); r.status != http.StatusNotFound {
			t.Errorf("%s %s: %d", c.method, c.path, r.status)
		}
	}
}

// TestResetDropsRunningOperations: an operation still running when the
// emulator is reset must not land in the fresh state.
func TestResetDropsRunningOperations(t *testing.T) {
	e := newEnv(t, fakecompute.Options{OperationLatency: 50 * time.Millisecond})
	op, err := e.routes.Insert(e.ctx, routeReq("ghost", "10.0.0.0/24", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	e.ts.Reset()
	if _, err := e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: op.Name()}); summarize(err) != (errSummary{404, "notFound"}) {
		t.Errorf("the dropped operation is still served: %v", err)
	}
	// Wait for the timer of the dropped operation through a marker
	// operation started after the reset with the same latency.
	marker, err := e.routes.Insert(e.ctx, routeReq("marker", "10.0.1.0/24", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the marker operation", func() bool { return e.globalOp(marker.Name()).GetStatus() == computepb.Operation_DONE })
	if diff := cmp.Diff([]string{"marker"}, e.userRouteNames("")); diff != "" {
		t.Errorf("routes after reset (-want +got)\n%s", diff)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
