//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// soakReport is what the soak prints and writes to soak-report.json in the
// scenario's directory (SOAK_REPORT names another file).
type soakReport struct {
	Config       soakConfig
	Converged    bool
	ConvergeTime time.Duration
	Faults       map[string]int
	Kills        int
	BothKilled   int
	SelfExits    int
	Stats        fakecompute.Stats
	Churn        map[string]int
	// Repairs counts the CCM's repair Events by reason (RouteRepaired,
	// LoadBalancerRepaired, OrphanCollected): a process's metrics die with
	// it at each kill, the Events outlive it.
	Repairs map[string]int
	Samples []resourceSample
}

// thirds splits the samples by when they were taken, to compare the peak
// of the first third of the run with the last: growth shows there.
func (r soakReport) thirds() [3]resourceSample {
	var out [3]resourceSample
	for _, s := range r.Samples {
		i := min(2, int(3*s.At/(r.Config.Duration+r.ConvergeTime+time.Nanosecond)))
		out[i].RSS = max(out[i].RSS, s.RSS)
		out[i].Goroutines = max(out[i].Goroutines, s.Goroutines)
	}
	return out
}

func (r soakReport) log(t *testing.T) {
	total := 0
	kinds := make([]string, 0, len(r.Faults))
	for k, v := range r.Faults {
		total += v
		kinds = append(kinds, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(kinds)
	var errs int64
	for _, v := range r.Stats.Errors {
		errs += v
	}
	th := r.thirds()
	t.Logf("soak report (seed %d, %v, drift churn %v):", r.Config.Seed, r.Config.Duration, r.Config.Drift)
	t.Logf("  GCE API: %d reads, %d mutations, %d error answers", r.Stats.Reads, r.Stats.Mutations, errs)
	t.Logf("  faults injected: %d (%s)", total, strings.Join(kinds, ", "))
	t.Logf("  leader kills: %d processes SIGKILLed, %d times both replicas; %d exits on their own", r.Kills, r.BothKilled, r.SelfExits)
	t.Logf("  churn: %s", countsLine(r.Churn))
	t.Logf("  repairs (Events by reason): %s", countsLine(r.Repairs))
	t.Logf("  converged: %v, %v after the faults stopped", r.Converged, r.ConvergeTime.Round(time.Second))
	t.Logf("  CCM peak RSS by third of the run: %.0f / %.0f / %.0f MiB; peak goroutines: %.0f / %.0f / %.0f (%d samples)",
		th[0].RSS/(1<<20), th[1].RSS/(1<<20), th[2].RSS/(1<<20), th[0].Goroutines, th[1].Goroutines, th[2].Goroutines, len(r.Samples))
	path := os.Getenv("SOAK_REPORT")
	if path == "" {
		path = filepath.Join(workDir, "soak-report.json")
	}
	if b, err := json.MarshalIndent(r, "", "  "); err == nil {
		if err := os.WriteFile(path, b, 0o644); err == nil {
			t.Logf("  report: %s", path)
		}
	}
}

// countsLine prints a count per kind, sorted by kind.
func countsLine(m map[string]int) string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// repairEvents sums the CCM's repair and collection Events by reason, over
// every namespace (Node events live in "default").
func repairEvents(e *env) map[string]int {
	out := map[string]int{}
	evs, err := kube.CoreV1().Events("").List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Logf("soak: events not counted: %v", err)
		return out
	}
	for _, ev := range evs.Items {
		switch ev.Reason {
		case drift.ReasonRouteRepaired, drift.ReasonLoadBalancerRepaired, drift.ReasonOrphanCollected:
			out[ev.Reason] += int(max(1, ev.Count))
		}
	}
	return out
}
