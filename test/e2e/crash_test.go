//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestCCMKilledMidSyncConverges kills the controller with SIGKILL while it
// is creating routes (and, once the load-balancer scenarios run, Services),
// restarts it, and checks the end state is exact: nothing missing,
// duplicated or leaked.
func TestCCMKilledMidSyncConverges(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	// Slow operations so the kill lands mid-flight.
	e.gce.SetOperationLatency(1500 * time.Millisecond)
	first := e.startCCM("ccm-1", false)
	for i := 0; i < 20; i++ {
		e.addNode(fmt.Sprintf("node-%02d", i), zones[i%3], true, podCIDR(i))
	}
	e.eventually("some routes being created", 60*time.Second, func() (bool, string) {
		n := e.gce.Stats().Calls["compute.routes.insert"]
		return n >= 5, fmt.Sprintf("%d inserts", n)
	})
	first.Kill()
	t.Logf("killed ccm-1 (pid %d) after %d route inserts", first.PID(), e.gce.Stats().Calls["compute.routes.insert"])
	e.gce.SetOperationLatency(200 * time.Millisecond)
	e.startCCM("ccm-2", false)
	e.eventually("exactly 20 routes after restart", 120*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		seen := map[string]int{}
		for _, r := range rs {
			seen[r.DestRange]++
		}
		if len(rs) != 20 || len(seen) != 20 {
			return false, fmt.Sprintf("%d routes over %d CIDRs", len(rs), len(seen))
		}
		return true, ""
	})
}
