package fakecompute_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestQuotaExceeded: quota is reported through the operation, as GCE
// does, naming the quota; the object is not created.
func TestQuotaExceeded(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.ts.SetQuota(fakecompute.QuotaRoutes, 2)
	e.insertRoute("r1", "10.0.1.0/24", "vm")
	e.insertRoute("r2", "10.0.2.0/24", "vm")
	op, err := e.routes.Insert(e.ctx, routeReq("r3", "10.0.3.0/24", "vm"))
	if err != nil {
		t.Fatalf("quota must not refuse the request itself: %v", err)
	}
	werr := op.Wait(e.ctx)
	if ge := apiErr(werr); ge == nil || ge.Code != http.StatusForbidden {
		t.Fatalf("Wait = %v, want a 403 from the failed operation", werr)
	}
	got := e.globalOp(op.Name())
	errs := got.GetError().GetErrors()
	if len(errs) != 1 || errs[0].GetCode() != "QUOTA_EXCEEDED" || !strings.Contains(errs[0].GetMessage(), "'ROUTES'") ||
		got.GetHttpErrorStatusCode() != 403 {
		t.Errorf("operation error %v, http %d; want QUOTA_EXCEEDED naming 'ROUTES' and 403", errs, got.GetHttpErrorStatusCode())
	}
	if diff := cmp.Diff([]string{"r1", "r2"}, e.userRouteNames("")); diff != "" {
		t.Errorf("routes (-want +got)\n%s", diff)
	}
	if n := e.ts.Stats().QuotaExceeded; n != 1 {
		t.Errorf("Stats().QuotaExceeded = %d, want 1", n)
	}
	if diff := cmp.Diff(map[string]float64{"ROUTES": 2}, e.ts.Quotas()); diff != "" {
		t.Errorf("Quotas (-want +got)\n%s", diff)
	}
	// Lifting the quota lets the next one in.
	e.ts.SetQuota(fakecompute.QuotaRoutes, -1)
	e.insertRoute("r3", "10.0.3.0/24", "vm")
}

// TestInstanceQuota: the INSTANCES quota is checked per region.
func TestInstanceQuota(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.ts.SetQuota(fakecompute.QuotaInstances, 1)
	if err := e.insertVM("vm-1", zoneA, &computepb.NetworkInterface{}); err != nil {
		t.Fatal(err)
	}
	err := e.insertVM("vm-2", zoneB, &computepb.NetworkInterface{})
	if ge := apiErr(err); ge == nil || ge.Code != 403 || !strings.Contains(ge.Message, "INSTANCES") {
		t.Errorf("second VM: %v, want a failed operation naming INSTANCES", err)
	}
}

// TestRateLimits: the budget refuses synchronously with 403
// rateLimitExceeded, per kind of request, and is counted.
func TestRateLimits(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.insertRoute("r", "10.0.0.0/24", "vm")
	// One request per minute: the second within the minute is refused.
	e.ts.SetRateLimits(fakecompute.RateLimits{ReadsPerMinute: 1, MutationsPerMinute: 1})
	get := func() error {
		_, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "r"})
		return err
	}
	insert := func() error {
		_, err := e.routes.Insert(e.ctx, routeReq("r2", "10.0.2.0/24", "vm"))
		return err
	}
	limited := errSummary{403, "rateLimitExceeded"}
	steps := []struct {
		name string
		call func() error
		want errSummary
	}{
		{"first read", get, errSummary{}},
		{"second read", get, limited},
		{"first mutation", insert, errSummary{}},
		{"second mutation", insert, limited},
		{"third read", get, limited},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, summarize(s.call())); diff != "" {
			t.Errorf("%s (-want +got)\n%s", s.name, diff)
		}
	}
	r := e.raw("GET", routesPath+"/r", "")
	if r.status != 403 || r.reason() != "rateLimitExceeded" || r.err.Error.Errors[0].Domain != "usageLimits" {
		t.Errorf("raw: %d %s", r.status, r.body)
	}
	if n := e.ts.Stats().RateLimited; n != 4 {
		t.Errorf("Stats().RateLimited = %d, want 4", n)
	}
	e.ts.SetRateLimits(fakecompute.RateLimits{})
	if err := get(); err != nil {
		t.Errorf("after lifting the limits: %v", err)
	}
}

// TestFaults covers the fault rules: a counted error, a failed operation,
// a delay, and a probabilistic rule that the seed makes reproducible.
func TestFaults(t *testing.T) {
	t.Run("503 twice then success", func(t *testing.T) {
		e := newEnv(t, fakecompute.Options{})
		e.insertRoute("r", "10.0.0.0/24", "vm")
		if err := e.ts.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: `/global/routes/r$`, Code: 503, Count: 2}); err != nil {
			t.Fatal(err)
		}
		var got []int
		for range 3 {
			got = append(got, e.raw("GET", routesPath+"/r", "").status)
		}
		if diff := cmp.Diff([]int{503, 503, 200}, got); diff != "" {
			t.Errorf("statuses (-want +got)\n%s", diff)
		}
		// apiv1 retries 503 on reads: two injected failures are invisible to it.
		if err := e.ts.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: `/global/routes/r$`, Code: 503, Count: 2}); err != nil {
			t.Fatal(err)
		}
		e.ts.ResetStats()
		if _, err := e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "r"}); err != nil {
			t.Fatalf("apiv1 get through two 503s: %v", err)
		}
		st := e.ts.Stats()
		if st.Calls["compute.routes.get"] != 3 || st.Errors["compute.routes.get"] != 2 {
			t.Errorf("calls %d errors %d, want 3 and 2", st.Calls["compute.routes.get"], st.Errors["compute.routes.get"])
		}
		if hits := e.ts.Faults()[0].Hits; hits != 2 {
			t.Errorf("rule hits = %d, want 2", hits)
		}
	})

	t.Run("failed operation", func(t *testing.T) {
		e := newEnv(t, fakecompute.Options{})
		if err := e.ts.AddFault(fakecompute.FaultRule{Method: "POST", PathRegexp: `/routes$`, Code: 403,
			Reason: "quotaExceeded", Message: "Quota 'ROUTES' exceeded.", FailOperation: true}); err != nil {
			t.Fatal(err)
		}
		op, err := e.routes.Insert(e.ctx, routeReq("r", "10.0.0.0/24", "vm"))
		if err != nil {
			t.Fatal(err)
		}
		if ge := apiErr(op.Wait(e.ctx)); ge == nil || ge.Code != 403 {
			t.Errorf("Wait: %v", ge)
		}
		if code := e.globalOp(op.Name()).GetError().GetErrors()[0].GetCode(); code != "QUOTA_EXCEEDED" {
			t.Errorf("operation error code %s", code)
		}
		if n := e.ts.Stats().QuotaExceeded; n != 1 {
			t.Errorf("QuotaExceeded = %d", n)
		}
	})

	t.Run("delay", func(t *testing.T) {
		e := newEnv(t, fakecompute.Options{})
		const delay = 400 * time.Millisecond
		if err := e.ts.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: `/global/networks/default$`, Delay: delay}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := e.networks.Get(e.ctx, &computepb.GetNetworkRequest{Project: project, Network: "default"}); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed < delay {
			t.Errorf("delayed get took %v, want at least %v", elapsed, delay)
		}
		start = time.Now()
		if _, err := e.legacy.Routes.List(project).Do(); err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed >= delay {
			t.Errorf("an unmatched request took %v", elapsed)
		}
	})

	t.Run("reset closes the connection unanswered and serves nothing", func(t *testing.T) {
		e := newEnv(t, fakecompute.Options{})
		if err := e.ts.SetFaults(fakecompute.FaultRule{Method: "POST", PathRegexp: `/global/routes$`, Reset: true, Count: 1}); err != nil {
			t.Fatal(err)
		}
		body := `{"name":"r","destRange":"10.0.0.0/24","network":"global/networks/default","nextHopGateway":"global/gateways/default-internet-gateway"}`
		req, _ := http.NewRequestWithContext(e.ctx, "POST", e.ts.URL+routesPath, strings.NewReader(body))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("want a broken connection, got HTTP %d", resp.StatusCode)
		}
		if r := e.raw("GET", routesPath+"/r", ""); r.status != http.StatusNotFound {
			t.Errorf("the reset insert created the route: %d", r.status)
		}
		if log := e.ts.RequestLog(); len(log) != 2 || log[0].Status != 0 {
			t.Errorf("request log: %+v, want the reset request logged with status 0", log)
		}
		if r := e.raw("POST", routesPath, body); r.status != http.StatusOK {
			t.Errorf("after the rule's count: %d %s", r.status, r.body)
		}
	})

	t.Run("probability is reproducible under a seed", func(t *testing.T) {
		pattern := func(seed int64) string {
			e := newEnv(t, fakecompute.Options{Seed: seed})
			if err := e.ts.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: `/global/routes$`, Code: 500, Probability: 0.5}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for range 64 {
				if e.raw("GET", routesPath, "").status == 500 {
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			return b.String()
		}
		a, b := pattern(42), pattern(42)
		if a != b {
			t.Errorf("same seed, different faults:\n%s\n%s", a, b)
		}
		if n := strings.Count(a, "x"); n < 10 || n > 54 {
			t.Errorf("probability 0.5 hit %d of 64 requests: %s", n, a)
		}
		if c := pattern(43); c == a {
			t.Errorf("seeds 42 and 43 gave the same 64 draws: %s", c)
		}
	})

	t.Run("invalid rules are refused", func(t *testing.T) {
		e := newEnv(t, fakecompute.Options{})
		for _, r := range []fakecompute.FaultRule{
			{Code: 200},
			{},
			{Code: 500, PathRegexp: "("},
			{Code: 500, Probability: 2},
			{Delay: -time.Second},
			{Reset: true, Code: 503},
			{Reset: true, FailOperation: true},
		} {
			if err := e.ts.AddFault(r); err == nil {
				t.Errorf("rule %+v accepted", r)
			}
		}
		if n := len(e.ts.Faults()); n != 0 {
			t.Errorf("%d rules stored", n)
		}
	})
}

// TestStatsCounters: every request is counted by method id and kind.
func TestStatsCounters(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.insertRoute("r", "10.0.0.0/24", "vm") // insert + operation poll
	_, _ = e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "r"})
	_, _ = e.routes.Get(e.ctx, &computepb.GetRouteRequest{Project: project, Route: "missing"})
	_, _ = e.legacy.GlobalOperations.Wait(project, "operation-none").Do()
	st := e.ts.Stats()
	want := fakecompute.Stats{
		Calls: map[string]int64{"compute.routes.insert": 1, "compute.globalOperations.get": 1, "compute.routes.get": 2,
			"compute.globalOperations.wait": 1},
		Errors:    map[string]int64{"compute.routes.get": 1, "compute.globalOperations.wait": 1},
		Statuses:  map[int]int64{200: 3, 404: 2},
		Reads:     4,
		Mutations: 1,
	}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("stats (-want +got)\n%s", diff)
	}
	if diff := cmp.Diff([]string{"compute.globalOperations.get", "compute.globalOperations.wait", "compute.routes.get", "compute.routes.insert"},
		st.MethodIDs()); diff != "" {
		t.Errorf("MethodIDs (-want +got)\n%s", diff)
	}
	log := e.ts.RequestLog()
	if len(log) != 5 || log[0].MethodID != "compute.routes.insert" || log[4].Status != 404 {
		t.Errorf("request log: %+v", log)
	}
}
