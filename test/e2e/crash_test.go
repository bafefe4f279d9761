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
	for i := 0; i < 10; i++ {
		e.createService(fmt.Sprintf("svc-%d", i), nil)
	}
	e.eventually("routes and load balancers being created", 60*time.Second, func() (bool, string) {
		c := e.gce.Stats().Calls
		r, p := c["compute.routes.insert"], c["compute.targetPools.insert"]+c["compute.firewalls.insert"]
		return r >= 5 && p >= 3, fmt.Sprintf("%d route inserts, %d pool/firewall inserts", r, p)
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
	e.eventually("exactly 10 load balancers, nothing leaked", 120*time.Second, func() (bool, string) {
		for i := 0; i < 10; i++ {
			if e.serviceIP(fmt.Sprintf("svc-%d", i)) == "" {
				return false, fmt.Sprintf("svc-%d has no IP", i)
			}
		}
		st := e.lbState()
		// 10 pools, 10 rules, 10 service firewalls + the shared check's firewall,
		// one shared check, no reserved address left behind.
		if len(st.rules) != 10 || len(st.pools) != 10 || len(st.firewalls) != 11 || len(st.checks) != 1 || len(st.addresses) != 0 {
			return false, fmt.Sprintf("rules %d pools %d firewalls %d checks %d addresses %v", len(st.rules), len(st.pools),
				len(st.firewalls), len(st.checks), names(st.addresses))
		}
		for _, p := range st.pools {
			if len(p.Instances) != 20 {
				return false, fmt.Sprintf("pool %s has %d members", p.Name, len(p.Instances))
			}
		}
		return true, ""
	})
}
