//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// eventsFor lists the events recorded on an object.
func (e *env) eventsFor(kind, namespace, name string) []v1.Event {
	e.t.Helper()
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name}.AsSelector().String()
	l, err := kube.CoreV1().Events(namespace).List(e.ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Items
}

func hasEvent(evs []v1.Event, reason, text string) bool {
	for _, ev := range evs {
		if ev.Reason == reason && strings.Contains(ev.Message, text) {
			return true
		}
	}
	return false
}

func TestBadNodesGetEventsAndOthersConverge(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	e.startCCM("ccm", false)
	e.addNode("node-ok-1", zones[0], true, podCIDR(1))
	e.createNode("node-bad-providerid", "gce://only-two/parts", podCIDR(2))
	e.addNode("node-outside", zones[1], true, "192.168.7.0/24")
	e.addNode("node-ok-2", zones[2], true, podCIDR(3))

	e.eventually("routes for the two good nodes only", 60*time.Second, func() (bool, string) {
		got := routeSummary(e.gceRoutes())
		return fmt.Sprint(got) == fmt.Sprintf("[%s->node-ok-1 %s->node-ok-2]", podCIDR(1), podCIDR(3)), fmt.Sprint(got)
	})
	e.eventually("FailedToCreateRoute on the node with a malformed providerID", 60*time.Second, func() (bool, string) {
		evs := e.eventsFor("Node", "", "node-bad-providerid")
		return hasEvent(evs, "FailedToCreateRoute", "providerID"), fmt.Sprint(len(evs), " events")
	})
	e.eventually("FailedToCreateRoute on the node outside the cluster CIDR", 60*time.Second, func() (bool, string) {
		evs := e.eventsFor("Node", "", "node-outside")
		return hasEvent(evs, "FailedToCreateRoute", "outside the cluster CIDR"), fmt.Sprint(len(evs), " events")
	})
	// Nothing was created in GCE for them, and the CCM is still up.
	for _, r := range e.gceRoutes() {
		if r.DestRange == podCIDR(2) || r.DestRange == "192.168.7.0/24" {
			t.Errorf("route created for a bad node: %s %s", r.Name, r.DestRange)
		}
	}
}
