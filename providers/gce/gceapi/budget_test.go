package gceapi_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
	"github.com/gce-ccm/gce-ccm/test/quotashare"
)

// TestBudgetSharesTheQuota: the project's mutation quota is GCE's default
// (1,500 a minute: 25/s, a burst of 25) and another client spends half of
// it for the whole test. The CCM's client, with its default ceiling of
// 24/s and 200 callers (the route controller's concurrency), inserts 600
// routes: its budget settles near the 12.5/s left to it, at most 1% of its
// inserts are refused, and at most 5% of the other client's.
func TestBudgetSharesTheQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("50 s of calls at the quota's rate")
	}
	const (
		quotaPerSecond = 25.0
		otherPerSecond = 12.5
		routes         = 600
	)
	ts := fakecompute.NewTestServer(t, fakecompute.Options{OperationLatency: 200 * time.Millisecond})
	ts.SetRateLimits(fakecompute.RateLimits{MutationsPerMinute: int(quotaPerSecond * 60)})
	c := newClient(t, ts, func(c *gceapi.Config) {
		c.MutationsPerSecond = gceapi.DefaultMutationsPerSecond
		c.BaseBackoff, c.MaxBackoff, c.MaxAttempts = gceapi.DefaultBaseBackoff, gceapi.DefaultMaxBackoff, 20
	})
	ctx := context.Background()
	var done atomic.Int64
	decreases := func() float64 {
		return metricValue(t, "gce_api_budget_decreases_total", map[string]string{"budget": "mutation"})
	}
	decreasesBefore := decreases()
	other, err := quotashare.Start(ctx, quotashare.Options{Endpoint: ts.URL, Project: "demo", Network: "default", Prefix: "other",
		MutationsPerSecond: otherPerSecond, Keep: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 200; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := c.InsertRoute(ctx, route(fmt.Sprintf("r%d", i), fmt.Sprintf("10.%d.%d.0/24", i/256, i%256))); err != nil {
					t.Error(err)
				}
				done.Add(1)
			}
		}()
	}
	go func() {
		for i := 0; i < routes; i++ {
			work <- i
		}
		close(work)
	}()
	// The budget's gauge, sampled every 100 ms once half the routes exist.
	var samples []float64
	for done.Load() < routes {
		if done.Load() >= routes/2 {
			samples = append(samples, metricValue(t, "gce_api_budget_per_second", map[string]string{"budget": "mutation"}))
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	wall := time.Since(start)
	theirs := other.Stop()

	st := ts.Stats()
	ourWrites := st.Calls["compute.routes.insert"]
	ourRefused := st.RateLimited - theirs.MutationsRefused
	left := quotaPerSecond - theirs.MutationsPerSecond()
	var mean float64
	for _, s := range samples {
		mean += s
	}
	mean /= float64(max(len(samples), 1))
	t.Logf("%d routes in %v (%.1f/s; %.1f/s left by the other client, which got %.2f/s of %.1f/s offered, %d refused); "+
		"other errors %d; our inserts %d, refused %d; budget over the second half %.1f/s (%d samples)",
		routes, wall.Round(time.Millisecond), routes/wall.Seconds(), left, theirs.MutationsPerSecond(), otherPerSecond,
		theirs.MutationsRefused, theirs.OtherErrors, ourWrites, ourRefused, mean, len(samples))
	if float64(ourRefused) > 0.01*float64(ourWrites) {
		t.Errorf("%d of our %d inserts refused for the rate quota; want at most 1%%", ourRefused, ourWrites)
	}
	// Near what is left: not above it by more than the probe that finds
	// the limit, not so far under it that the share goes unused.
	if mean < 0.6*left || mean > 1.3*left {
		t.Errorf("budget %.1f/s over the second half; want near the %.1f/s left (0.6x-1.3x)", mean, left)
	}
	// Not starved: GCE refuses few of the other client's calls. (Its
	// achieved rate is logged, not asserted: on a loaded machine its own
	// pacing falls behind its offer whoever holds the quota.)
	if float64(theirs.MutationsRefused) > 0.05*float64(theirs.Mutations) {
		t.Errorf("%d of the other client's %d mutations refused; want at most 5%%", theirs.MutationsRefused, theirs.Mutations)
	}
	if decreases() == decreasesBefore {
		t.Errorf("no budget decrease counted; the budget did not adapt")
	}
}
