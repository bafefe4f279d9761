package gceapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func newClient(t *testing.T, ts *fakecompute.TestServer, tweak func(*gceapi.Config), extra ...option.ClientOption) *gceapi.Client {
	t.Helper()
	cfg := gceapi.Config{Project: "demo", Endpoint: ts.URL,
		ClientOptions: append([]option.ClientOption{option.WithoutAuthentication()}, extra...),
		BaseBackoff:   time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		ReadsPerSecond: 1000, MutationsPerSecond: 1000}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := gceapi.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func route(name, cidr string) *computepb.Route {
	return &computepb.Route{Name: proto.String(name), DestRange: proto.String(cidr),
		Network: proto.String("global/networks/default"), NextHopGateway: proto.String("global/gateways/default-internet-gateway")}
}

func TestRetryOnTransientErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   int
		reason string
	}{{"503", 503, ""}, {"500", 500, ""}, {"429", 429, ""}, {"403 rateLimitExceeded", 403, "rateLimitExceeded"}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := fakecompute.NewTestServer(t, fakecompute.Options{})
			c := newClient(t, ts, nil)
			if err := ts.SetFaults(fakecompute.FaultRule{Method: "POST", PathRegexp: "/global/routes$", Code: tc.code, Reason: tc.reason, Count: 2}); err != nil {
				t.Fatal(err)
			}
			if err := c.InsertRoute(context.Background(), route("r1", "10.0.0.0/24")); err != nil {
				t.Fatalf("want success after retries, got %v", err)
			}
			if n := ts.Stats().Calls["compute.routes.insert"]; n != 3 {
				t.Errorf("%d inserts, want 3", n)
			}
		})
	}
}

func TestNoRetryOnFinalErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		code int
		kind gceapi.Kind
	}{{"400", 400, gceapi.KindInvalid}, {"404", 404, gceapi.KindNotFound}, {"409", 409, gceapi.KindAlreadyExists},
		{"412", 412, gceapi.KindPreconditionFailed}, {"403 forbidden", 403, gceapi.KindForbidden}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := fakecompute.NewTestServer(t, fakecompute.Options{})
			c := newClient(t, ts, nil)
			if err := ts.SetFaults(fakecompute.FaultRule{Method: "POST", PathRegexp: "/global/routes$", Code: tc.code, Count: 5}); err != nil {
				t.Fatal(err)
			}
			err := c.InsertRoute(context.Background(), route("r1", "10.0.0.0/24"))
			if gceapi.KindOf(err) != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", gceapi.KindOf(err), tc.kind, err)
			}
			if n := ts.Stats().Calls["compute.routes.insert"]; n != 1 {
				t.Errorf("%d inserts, want 1", n)
			}
		})
	}
}

func TestRetriesGiveUpAfterMaxAttempts(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	c := newClient(t, ts, func(c *gceapi.Config) { c.MaxAttempts = 3 })
	if err := ts.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: "/global/routes/r1$", Code: 503}); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetRoute(context.Background(), "r1")
	if gceapi.KindOf(err) != gceapi.KindUnavailable {
		t.Fatalf("got %v", err)
	}
	if n := ts.Stats().Calls["compute.routes.get"]; n != 3 {
		t.Errorf("%d GETs, want 3", n)
	}
}

// lossyTransport delivers the first matching request but tells the client
// it failed: the network lost GCE's answer.
type lossyTransport struct {
	mu    sync.Mutex
	match string
	lost  int
	rids  []string
}

func (l *lossyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, l.match) {
		l.mu.Lock()
		l.rids = append(l.rids, r.URL.Query().Get("requestId"))
		first := l.lost == 0
		l.lost++
		l.mu.Unlock()
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil || !first {
			return resp, err
		}
		resp.Body.Close()
		return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{"Content-Type": {"application/json"}},
			Body: http.NoBody, Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetryReusesRequestID(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	lt := &lossyTransport{match: "/global/routes"}
	c := newClient(t, ts, nil, option.WithHTTPClient(&http.Client{Transport: lt}))
	if err := c.InsertRoute(context.Background(), route("r1", "10.0.0.0/24")); err != nil {
		t.Fatalf("the retry must find the first attempt's operation, not a conflict: %v", err)
	}
	if len(lt.rids) != 2 || lt.rids[0] == "" || lt.rids[0] != lt.rids[1] {
		t.Fatalf("requestIds %q: want the same non-empty id twice", lt.rids)
	}
	routes, err := c.ListRoutes(context.Background(), `name eq "r1"`)
	if err != nil || len(routes) != 1 {
		t.Fatalf("routes %v, %v", routes, err)
	}
}

// TestServerRateLimitIsRetried: the emulator allows 600 mutations/min (10/s,
// burst 10); 60 concurrent inserts with no client budget to speak of are
// refused in part (403 rateLimitExceeded) and every one still succeeds on
// its retries. (That the client's budget keeps under the server's is a
// property of its sends, TestBudgetPacesEveryWindow: over HTTP the emulator
// measures at arrival, where a loaded machine bunches them.)
func TestServerRateLimitIsRetried(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	ts.SetRateLimits(fakecompute.RateLimits{MutationsPerMinute: 600})
	c := newClient(t, ts, func(c *gceapi.Config) {
		c.MutationsPerSecond = 10000
		c.MaxAttempts, c.BaseBackoff, c.MaxBackoff = 30, 100*time.Millisecond, 2*time.Second
	})
	var wg sync.WaitGroup
	errs := make(chan error, 60)
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- c.InsertRoute(context.Background(), route(fmt.Sprintf("r%d", i), fmt.Sprintf("10.0.%d.0/24", i)))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ts.Stats().RateLimited == 0 {
		t.Errorf("no rate-limited answer to 60 concurrent inserts against a burst of 10")
	}
}

func TestSharedOperationWaiting(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{OperationLatency: 300 * time.Millisecond})
	c := newClient(t, ts, func(c *gceapi.Config) { c.PollInterval = 100 * time.Millisecond })
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := c.InsertRoute(context.Background(), route(fmt.Sprintf("r%d", i), fmt.Sprintf("10.1.%d.0/24", i))); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	st := ts.Stats()
	polls := st.Calls["compute.globalOperations.get"] + st.Calls["compute.globalOperations.wait"] + st.Calls["compute.globalOperations.list"]
	if polls >= 20 {
		t.Errorf("%d operation reads for 40 operations; want far fewer than one per operation (%v)", polls, st.Calls)
	}
	// Every route exists once the calls have returned.
	routes, err := c.ListRoutes(context.Background(), `name ne "default-route-.*"`) // without the network's own
	if err != nil || len(routes) != 40 {
		t.Fatalf("%d routes, %v", len(routes), err)
	}
}

func TestFailedOperationIsClassified(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{OperationLatency: 50 * time.Millisecond})
	c := newClient(t, ts, nil)
	ts.SetQuota(fakecompute.QuotaRoutes, 0)
	err := c.InsertRoute(context.Background(), route("r1", "10.0.0.0/24"))
	var ge *gceapi.Error
	if !gceapi.IsQuotaExceeded(err) || !asErr(err, &ge) || ge.Quota != "ROUTES" {
		t.Fatalf("want QUOTA_EXCEEDED on ROUTES, got %v", err)
	}
	// In use: the default network has a route on it.
	ts.SetQuota(fakecompute.QuotaRoutes, -1)
	if err := c.InsertRoute(context.Background(), route("r2", "10.0.1.0/24")); err != nil {
		t.Fatal(err)
	}
	err = deleteNetwork(t, ts, "default")
	if err == nil || !strings.Contains(err.Error(), "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE") {
		t.Fatalf("network delete: %v", err)
	}
}

func TestMetricsAreRecorded(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	c := newClient(t, ts, nil)
	if err := c.InsertRoute(context.Background(), route("r1", "10.0.0.0/24")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetRoute(context.Background(), "missing"); !gceapi.IsNotFound(err) {
		t.Fatalf("got %v", err)
	}
	for _, k := range []struct{ call, result string }{{"routes.insert", "success"}, {"routes.get", "not_found"}} {
		if metricValue(t, "gce_api_requests_total", map[string]string{"call": k.call, "result": k.result}) == 0 {
			t.Errorf("no gce_api_requests_total sample for %s/%s", k.call, k.result)
		}
	}
}

// TestOperationPollsSpacedByLatency: a stream of inserts (one every 50 ms
// for 2 s) at an operation latency of 1 s, with a poll interval of 50 ms:
// the scope's operations.list polls are at least one latency apart (GCE's
// own insert-to-end time, learnt from the operations), so there are at most
// one per second of the stream plus one, not one per new operation.
func TestOperationPollsSpacedByLatency(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{OperationLatency: time.Second})
	c := newClient(t, ts, func(c *gceapi.Config) { c.PollInterval = 50 * time.Millisecond })
	// One operation first, so the waiter has learnt the latency.
	if err := c.InsertRoute(context.Background(), route("r-first", "10.2.255.0/24")); err != nil {
		t.Fatal(err)
	}
	ts.ResetStats()
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := c.InsertRoute(context.Background(), route(fmt.Sprintf("r%d", i), fmt.Sprintf("10.2.%d.0/24", i))); err != nil {
				t.Error(err)
			}
		}(i)
		time.Sleep(50 * time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(start)
	st := ts.Stats()
	lists := st.Calls["compute.globalOperations.list"]
	// The bound is a count over the time the stream took, whatever the
	// machine's load made of it: polls one latency apart.
	if max := int64(elapsed/time.Second) + 1; lists > max {
		t.Errorf("%d operations.list polls in %v at a latency of 1 s; want at most %d (%v)", lists, elapsed, max, st.Calls)
	}
}
