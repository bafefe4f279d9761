//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// apiPaths matches every Compute API request and nothing else (not the
// metadata server's token, not the admin API).
const apiPaths = `^/compute/v1/projects/`

// baseFaults are on for the whole run: about 10% of API calls answered with
// an error or nothing (3% 500, 2% 503, 2% 429, 2% 403 rateLimitExceeded, 1%
// a TCP reset without an answer), about 5% of accepted mutations whose
// operation then fails (3% internal error, 2% QUOTA_EXCEEDED), and 2% of
// calls delayed by 3 s. Each rule draws on its own, so the share of calls
// without a good answer is 1-(0.97·0.98·0.98·0.98·0.99) ≈ 9.6%.
func baseFaults() []fakecompute.FaultRule {
	return []fakecompute.FaultRule{
		{PathRegexp: apiPaths, Code: http.StatusInternalServerError, Probability: 0.03},
		{PathRegexp: apiPaths, Code: http.StatusServiceUnavailable, Probability: 0.02},
		{PathRegexp: apiPaths, Code: http.StatusTooManyRequests, Probability: 0.02},
		{PathRegexp: apiPaths, Code: http.StatusForbidden, Reason: "rateLimitExceeded", Probability: 0.02},
		{PathRegexp: apiPaths, Reset: true, Probability: 0.01},
		{Method: http.MethodPost, PathRegexp: apiPaths, Code: http.StatusInternalServerError, FailOperation: true, Probability: 0.03},
		{Method: http.MethodPost, PathRegexp: apiPaths, Code: http.StatusForbidden, Reason: "QUOTA_EXCEEDED", FailOperation: true, Probability: 0.02},
		{PathRegexp: apiPaths, Delay: 3 * time.Second, Probability: 0.02},
	}
}

// zoneOutage fails every instance call in one zone: GCE's "a zone is having
// a bad time" (the providerID lookups, the node lifecycle checks).
func zoneOutage(zone string) fakecompute.FaultRule {
	return fakecompute.FaultRule{PathRegexp: apiPaths + `[^/]+/zones/` + zone + `/instances`, Code: http.StatusServiceUnavailable}
}

type faultSchedule struct {
	e   *env
	cfg soakConfig
	mu  sync.Mutex
	// hits counts what rules already replaced injected; SetFaults restarts
	// the emulator's per-rule counters.
	hits   map[string]int
	outage time.Duration
}

func newFaultSchedule(e *env, cfg soakConfig) *faultSchedule {
	return &faultSchedule{e: e, cfg: cfg, hits: map[string]int{},
		// A few minutes of a 30-minute run; half a minute of the CI run.
		outage: min(3*time.Minute, cfg.Duration/6)}
}

// run sets the base faults, and one zone's instance outage for a while
// starting a third into the run.
func (f *faultSchedule) run(ctx context.Context) {
	f.set(baseFaults()...)
	select {
	case <-ctx.Done():
		return
	case <-time.After(f.cfg.Duration / 3):
	}
	zone := zones[soakRand(f.cfg.Seed, 3).Intn(len(zones))]
	f.e.t.Logf("soak: zone %s's instance calls fail for %v", zone, f.outage)
	f.set(append(baseFaults(), zoneOutage(zone))...)
	select {
	case <-ctx.Done():
		return
	case <-time.After(f.outage):
	}
	f.set(baseFaults()...)
	<-ctx.Done()
}

func (f *faultSchedule) set(rules ...fakecompute.FaultRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collect()
	if err := f.e.gce.SetFaults(rules...); err != nil {
		f.e.t.Errorf("fault rules: %v", err)
	}
}

func (f *faultSchedule) clear() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.collect()
	return f.e.gce.SetFaults()
}

func (f *faultSchedule) collect() {
	for _, r := range f.e.gce.Faults() {
		f.hits[faultKind(r)] += r.Hits
	}
}

func faultKind(r fakecompute.FaultRule) string {
	switch {
	case r.Reset:
		return "connection reset"
	case r.Delay > 0:
		return "delay"
	case r.FailOperation:
		if r.Reason == "" {
			return "failed operation"
		}
		return "failed operation " + r.Reason
	case r.Reason != "":
		return http.StatusText(r.Code) + " " + r.Reason
	case r.Method == "" && r.Probability == 0:
		return "zone outage"
	}
	return http.StatusText(r.Code)
}

func (f *faultSchedule) injected() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.hits))
	for k, v := range f.hits {
		out[k] = v
	}
	return out
}
