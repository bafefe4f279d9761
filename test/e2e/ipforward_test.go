//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func (e *env) canIPForward(zone, name string) bool {
	e.t.Helper()
	inst, err := e.computeService().Instances.Get(project, zone, name).Context(e.ctx).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	return inst.CanIpForward
}

func (e *env) forwardingCondition(name string) (v1.ConditionStatus, string) {
	n, err := kube.CoreV1().Nodes().Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", err.Error()
	}
	for _, c := range n.Status.Conditions {
		if c.Type == "GCEIPForwarding" {
			return c.Status, c.Reason
		}
	}
	return "", "no condition"
}

func TestIPForwardingEnforce(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	e.startCCM("ccm", false)
	e.addNode("node-ok", zones[0], true, podCIDR(0))
	e.addNode("node-noforward", zones[1], false, podCIDR(1))
	e.eventually("canIpForward turned on and the condition True", 60*time.Second, func() (bool, string) {
		st, reason := e.forwardingCondition("node-noforward")
		return e.canIPForward(zones[1], "node-noforward") && st == v1.ConditionTrue, fmt.Sprintf("%s/%s", st, reason)
	})
	if st, _ := e.forwardingCondition("node-ok"); st != v1.ConditionTrue {
		t.Errorf("node-ok condition %s", st)
	}
	e.eventually("an event saying the controller enabled it", 30*time.Second, func() (bool, string) {
		return hasEvent(e.eventsFor("Node", "", "node-noforward"), "IPForwardingEnabled", "node-noforward"), ""
	})
}

func TestIPForwardingAudit(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	e.startCCM("ccm", false, "--ipforward-mode=audit")
	e.addNode("node-noforward", zones[1], false, podCIDR(1))
	e.eventually("condition False with a Warning event", 60*time.Second, func() (bool, string) {
		st, reason := e.forwardingCondition("node-noforward")
		ev := hasEvent(e.eventsFor("Node", "", "node-noforward"), "VMCannotIPForward", "node-noforward")
		return st == v1.ConditionFalse && reason == "VMCannotIPForward" && ev, fmt.Sprintf("%s/%s event=%v", st, reason, ev)
	})
	if e.canIPForward(zones[1], "node-noforward") {
		t.Errorf("audit mode changed the VM")
	}
	if n := e.gce.Stats().Calls["compute.instances.update"]; n != 0 {
		t.Errorf("%d instances.update calls in audit mode", n)
	}
}
