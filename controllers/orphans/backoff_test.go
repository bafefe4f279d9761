package orphans_test

import (
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/controllers/orphans"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// A collection GCE refuses is said on the Service (a Warning Event), kept
// orphaned (no new grace period) and tried again at the next pass, then
// after two periods, four, ... at most an hour apart; once GCE accepts it,
// it goes.
func TestFailedCollectionIsRetriedWithBackoff(t *testing.T) {
	e := newEnv(t)
	const period = 5 * time.Minute // env's collector
	svc := service("now-clusterip")
	e.build(svc, false)
	stored := svc.DeepCopy()
	stored.Finalizers, stored.Spec.Type = nil, v1.ServiceTypeClusterIP
	if _, err := e.kube.CoreV1().Services("default").Create(e.ctx, stored, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.settled()
	lb := lbName(svc)
	if err := e.gce.SetFaults(fakecompute.FaultRule{Method: "DELETE", PathRegexp: "/forwardingRules/" + lb + "$", Code: 403,
		Reason: "forbidden", Message: "Required 'compute.forwardingRules.delete' permission"}); err != nil {
		t.Fatal(err)
	}
	tries := func() int { return e.gce.Faults()[0].Hits }
	e.pass()
	e.now = e.now.Add(grace)
	if _, err := e.c.Pass(e.ctx); err == nil || !strings.Contains(err.Error(), "compute.forwardingRules.delete") {
		t.Fatalf("the refused collection: pass error %v", err)
	}
	if tries() != 1 {
		t.Fatalf("%d deletions tried, want 1", tries())
	}
	e.waitEvent(stored.Name, orphans.ReasonOrphanCollectionFailed)

	// step: the clock moves on by d; want says whether the pass tries again.
	for i, step := range []struct {
		d   time.Duration
		try bool
	}{
		{0, false},          // the same pass time: backing off
		{period, true},      // the next pass (fails: 2 in a row)
		{period, false},     // 2 periods after the second failure
		{period, true},      // (3 in a row)
		{3 * period, false}, // 4 periods
		{period, true},
	} {
		before := tries()
		e.now = e.now.Add(step.d)
		_, err := e.c.Pass(e.ctx)
		if got := tries() - before; (got == 1) != step.try || got > 1 {
			t.Fatalf("step %d (+%v): %d deletion(s) tried, want a try: %v", i, step.d, got, step.try)
		}
		if step.try != (err != nil) {
			t.Fatalf("step %d: pass error %v", i, err)
		}
	}
	if got := e.pass(); !contains(got, "collect lb "+lb) {
		t.Fatalf("the group is no longer to collect (a new grace period?):\n%s", strings.Join(got, "\n"))
	}

	// GCE accepts the deletion again: gone at the next try (8 periods on).
	if err := e.gce.SetFaults(); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(8 * period)
	e.pass()
	if left := e.names(); len(left["forwardingRules"]) > 0 || len(left["targetPools"]) > 0 {
		t.Fatalf("left after the fault was put right: %v", left)
	}
	e.waitEvent(stored.Name, orphans.ReasonOrphanCollected)
}
