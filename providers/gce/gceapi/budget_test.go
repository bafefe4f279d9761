package gceapi_test

import (
	"context"
	"math"
	"testing"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestBudgetLowersOnRefusal: over HTTP, GCE's 403 rateLimitExceeded to a
// route insert (the emulator answers the first one so) lowers the mutation
// budget from its ceiling of 24/s to 16.8/s, counted once in
// gce_api_budget_decreases_total and shown in gce_api_budget_per_second,
// and the insert succeeds on its retry; reads keep their budget. How the
// budget then settles on a shared quota is TestBudgetSettlesOnTheShare
// (simulated clock); the whole binary beside another client is the
// benchmark's quota scenario.
func TestBudgetLowersOnRefusal(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	if err := ts.AddFault(fakecompute.FaultRule{Method: "POST", PathRegexp: `/global/routes$`, Code: 403, Reason: "rateLimitExceeded", Count: 1}); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, ts, func(c *gceapi.Config) {
		c.MutationsPerSecond, c.ReadsPerSecond = gceapi.DefaultMutationsPerSecond, gceapi.DefaultReadsPerSecond
	})
	gauge := func(class string) float64 {
		return metricValue(t, "gce_api_budget_per_second", map[string]string{"budget": class})
	}
	decreases := func() float64 {
		return metricValue(t, "gce_api_budget_decreases_total", map[string]string{"budget": "mutation"})
	}
	before := decreases()
	if err := c.InsertRoute(context.Background(), route("r1", "10.0.1.0/24")); err != nil {
		t.Fatal(err)
	}
	if f := ts.Faults(); len(f) != 1 || f[0].Hits != 1 {
		t.Fatalf("faults %+v; want the one 403 injected, hit once", f)
	}
	// The retry's answer raises it again only if the retry waited for a
	// token, which it does not (a fifth of a second's burst is there).
	if got := gauge("mutation"); math.Abs(got-16.8) > 1e-9 {
		t.Errorf("mutation budget %v/s after one refusal; want 16.8 (24 x 0.7)", got)
	}
	if got := decreases() - before; got != 1 {
		t.Errorf("%v decreases counted; want 1", got)
	}
	if got := gauge("read"); got != gceapi.DefaultReadsPerSecond {
		t.Errorf("read budget %v/s; want its ceiling %v", got, gceapi.DefaultReadsPerSecond)
	}
}
