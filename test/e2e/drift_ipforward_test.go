//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
)

// TestIPForwardDriftIsRepaired: a converged node whose VM later has
// canIpForward turned off in GCE (no Node change) gets it back within the
// ipforward controller's resync period.
func TestIPForwardDriftIsRepaired(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	e.startCCM("ccm", false, "--ipforward-resync-period=5s")
	e.addNode("node-0", zones[0], true, podCIDR(0))
	e.eventually("the condition True", 60*time.Second, func() (bool, string) {
		st, reason := e.forwardingCondition("node-0")
		return st == v1.ConditionTrue, fmt.Sprintf("%s/%s", st, reason)
	})
	gcs := e.computeService()
	inst, err := gcs.Instances.Get(project, zones[0], "node-0").Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	inst.CanIpForward = false
	inst.ForceSendFields = []string{"CanIpForward"}
	op, err := gcs.Instances.Update(project, zones[0], "node-0", inst).MostDisruptiveAllowedAction("REFRESH").Context(e.ctx).Do()
	e.waitOp("turn canIpForward off", op, err)
	if e.canIPForward(zones[0], "node-0") {
		t.Fatal("canIpForward still on after the update")
	}
	start := time.Now()
	e.eventually("canIpForward turned on again", 40*time.Second, func() (bool, string) {
		return e.canIPForward(zones[0], "node-0"), "still off"
	})
	t.Logf("canIpForward back after %v", time.Since(start).Round(100*time.Millisecond))
}
