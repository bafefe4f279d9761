package ipforward

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/component-base/metrics/testutil"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func counter(result string) float64 {
	v, _ := testutil.GetCounterMetricValue(enableTotal.WithLabelValues(result))
	return v
}

func gauge(t *testing.T) float64 {
	t.Helper()
	v, err := testutil.GetGaugeMetricValue(nodesNotForwarding)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEnforceTurnsForwardingOn(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.vm("node-b", true)
	e.vmWith(fakecompute.InstanceSeed{Name: "node-stopped", Zone: "us-central1-a", Status: "TERMINATED"})
	e.gceNode("node-a")
	e.gceNode("node-b")
	e.gceNode("node-stopped")
	enabled, repairs := counter(resultEnabled), drift.Repairs(drift.IPForward)
	e.start(ModeEnforce, nil)

	for _, n := range []string{"node-a", "node-b", "node-stopped"} {
		c := e.waitCondition(n, v1.ConditionTrue, ReasonCanIPForward)
		if !strings.Contains(c.Message, "demo/us-central1-a/"+n) {
			t.Errorf("%s: message does not name the VM: %q", n, c.Message)
		}
	}
	ev := e.waitEvent("node-a", EventEnabled)
	if ev.Type != v1.EventTypeNormal {
		t.Errorf("event %s is %s, want Normal", ev.Reason, ev.Type)
	}
	e.waitEvent("node-stopped", EventEnabled)
	if got := e.events("node-b"); len(got) != 0 {
		t.Errorf("node-b already forwarded, yet got events %v", got)
	}
	if got := e.calls("update"); got != 2 {
		t.Errorf("instances.update calls = %d, want 2 (node-a, node-stopped)", got)
	}
	if got := e.calls("get"); got != 0 {
		t.Errorf("instances.get calls = %d, want 0: the bulk read covers every node and carries the fingerprint", got)
	}
	for _, q := range e.updateQueries() {
		if q.Get("mostDisruptiveAllowedAction") != "REFRESH" || q.Get("requestId") == "" {
			t.Errorf("update query %v: want mostDisruptiveAllowedAction=REFRESH and a requestId", q)
		}
	}
	if !e.vmForwards("node-a") || !e.vmForwards("node-stopped") {
		t.Error("VMs do not forward after enforce")
	}
	inst, err := e.api.GetInstance(context.Background(), project, "us-central1-a", "node-stopped")
	if err != nil || inst.GetStatus() != "TERMINATED" {
		t.Errorf("stopped VM: status %q, %v; want it left TERMINATED", inst.GetStatus(), err)
	}
	if got := counter(resultEnabled) - enabled; got != 2 {
		t.Errorf("enable_total{result=enabled} grew by %v, want 2", got)
	}
	if got := drift.Repairs(drift.IPForward) - repairs; got != 2 {
		t.Errorf("gce_ccm_drift_repairs_total{kind=ipforward} grew by %v, want 2", got)
	}
	eventually(t, "gauge at 0", func() bool { return gauge(t) == 0 })
}

func TestAuditOnlyReports(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.vm("node-b", true)
	e.gceNode("node-a")
	e.gceNode("node-b")
	e.start(ModeAudit, nil)

	c := e.waitCondition("node-a", v1.ConditionFalse, ReasonCannotIPForward)
	ev := e.waitEvent("node-a", EventCannotForward)
	if ev.Type != v1.EventTypeWarning || ev.Message != c.Message {
		t.Errorf("event %s/%s %q; want a Warning with the condition's message", ev.Type, ev.Reason, ev.Message)
	}
	for _, w := range []string{"demo/us-central1-a/node-a", "compute.instances.update", "enforce"} {
		if !strings.Contains(ev.Message, w) {
			t.Errorf("message lacks %q: %s", w, ev.Message)
		}
	}
	e.waitCondition("node-b", v1.ConditionTrue, ReasonCanIPForward)
	if got := gauge(t); got != 1 {
		t.Errorf("nodes_not_forwarding = %v, want 1", got)
	}

	// Someone turns it on by hand: the next resync sees it.
	inst, err := e.api.GetInstance(context.Background(), project, "us-central1-a", "node-a")
	if err != nil {
		t.Fatal(err)
	}
	inst.CanIpForward = proto.Bool(true)
	if err := e.api.UpdateInstance(context.Background(), "us-central1-a", inst, "REFRESH"); err != nil {
		t.Fatal(err)
	}
	e.ctrl.resync(e.ctx)
	e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
	eventually(t, "gauge at 0", func() bool { return gauge(t) == 0 })
	if got := e.calls("update"); got != 1 {
		t.Errorf("instances.update calls = %d, want only the one made by hand", got)
	}
}

func TestOffDoesNothing(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.gceNode("node-a")
	done := make(chan struct{})
	c, err := New(e.api, inventory.New(e.api), e.kube, informers.NewSharedInformerFactory(e.kube, 0).Core().V1().Nodes(), Options{Mode: ModeOff})
	if err != nil {
		t.Fatal(err)
	}
	go func() { defer close(done); c.Run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run in mode off did not return")
	}
	if st := e.gce.Stats(); st.Reads+st.Mutations != 0 {
		t.Errorf("mode off made GCE calls: %v", st.Calls)
	}
	if c := e.condition("node-a"); c != nil {
		t.Errorf("mode off wrote a condition: %+v", c)
	}
}

// A stale fingerprint (someone changed the VM since it was read) is read
// again and retried.
func TestStaleFingerprint(t *testing.T) {
	t.Run("412 once", func(t *testing.T) {
		e := newEnv(t)
		e.vm("node-a", false)
		e.gceNode("node-a")
		if err := e.gce.SetFaults(fakecompute.FaultRule{Method: "PUT", PathRegexp: `/instances/node-a$`,
			Code: 412, Reason: "conditionNotMet", Message: "Supplied fingerprint does not match current fingerprint.", Count: 1}); err != nil {
			t.Fatal(err)
		}
		e.start(ModeEnforce, nil)
		e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
		if u, g := e.calls("update"), e.calls("get"); u != 2 || g != 1 {
			t.Errorf("update, get calls = %d, %d; want 2 (412, then ok), 1 (the re-read)", u, g)
		}
	})
	t.Run("changed after the bulk read", func(t *testing.T) {
		e := newEnv(t)
		e.vm("node-a", false)
		e.start(ModeEnforce, nil)
		eventually(t, "the first bulk read", func() bool { return e.calls("aggregatedList") == 1 })
		// Out of band: a description change moves the fingerprint.
		inst, err := e.api.GetInstance(context.Background(), project, "us-central1-a", "node-a")
		if err != nil {
			t.Fatal(err)
		}
		inst.Description = proto.String("changed by someone else")
		if err := e.api.UpdateInstance(context.Background(), "us-central1-a", inst, "NO_EFFECT"); err != nil {
			t.Fatal(err)
		}
		e.gceNode("node-a") // its sync works from the stale bulk copy
		e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
		inst, err = e.api.GetInstance(context.Background(), project, "us-central1-a", "node-a")
		if err != nil || !inst.GetCanIpForward() || inst.GetDescription() != "changed by someone else" {
			t.Errorf("VM after the race: canIpForward %v, description %q, %v; want true and the other writer's description kept",
				inst.GetCanIpForward(), inst.GetDescription(), err)
		}
		if got := e.gce.Stats().Errors["compute.instances.update"]; got != 1 {
			t.Errorf("failed updates = %d, want 1 (the stale fingerprint)", got)
		}
	})
}

// GCE's refusals (a missing IAM permission, an org policy) are reported
// and not retried before the next resync, however often the node is synced.
func TestRefusedIsReportedWithoutStorm(t *testing.T) {
	for _, tt := range []struct {
		name string
		rule fakecompute.FaultRule
		want []string
	}{
		{"IAM 403", fakecompute.FaultRule{Code: 403, Reason: "forbidden",
			Message: "Required 'compute.instances.update' permission for 'projects/demo/zones/us-central1-a/instances/node-a'"},
			[]string{"HTTP 403", "compute.instances.update", "constraints/compute.vmCanIpForward"}},
		{"org policy 412", fakecompute.FaultRule{Code: 412, Reason: "conditionNotMet",
			Message: "Constraint constraints/compute.vmCanIpForward violated for projects/demo. Enabling IP forwarding is not allowed for projects/demo/zones/us-central1-a/instances/node-a."},
			[]string{"HTTP 412", "Constraint constraints/compute.vmCanIpForward violated"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.vm("node-a", false)
			e.gceNode("node-a")
			tt.rule.Method, tt.rule.PathRegexp = "PUT", `/instances/node-a$`
			if err := e.gce.SetFaults(tt.rule); err != nil {
				t.Fatal(err)
			}
			refused := counter(resultRefused)
			e.start(ModeEnforce, nil)

			c := e.waitCondition("node-a", v1.ConditionFalse, ReasonEnableForbidden)
			ev := e.waitEvent("node-a", EventEnableForbidden)
			for _, w := range tt.want {
				if !strings.Contains(ev.Message, w) {
					t.Errorf("event message lacks %q: %s", w, ev.Message)
				}
			}
			if ev.Type != v1.EventTypeWarning || ev.Message != c.Message {
				t.Errorf("event %s %q; want a Warning with the condition's message", ev.Type, ev.Message)
			}
			if got := e.calls("update"); got != 1 {
				t.Fatalf("instances.update calls = %d, want 1", got)
			}
			// Node changes (here: syncs) do not retry within the epoch.
			for range 5 {
				if err := e.ctrl.sync(e.ctx, "node-a"); err != nil {
					t.Fatalf("sync after a refusal: %v (a refusal must not requeue)", err)
				}
			}
			if got := e.calls("update"); got != 1 {
				t.Errorf("instances.update calls after 5 more syncs = %d, want still 1", got)
			}
			// A resync tries once more.
			e.ctrl.resync(e.ctx)
			eventually(t, "one retry after the resync", func() bool {
				f := e.ctrl.lastFailure("node-a")
				return e.calls("update") == 2 && f != nil && f.Epoch == e.ctrl.currentEpoch()
			})
			for range 3 {
				if err := e.ctrl.sync(e.ctx, "node-a"); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.calls("update"); got != 2 {
				t.Errorf("instances.update calls = %d, want 2 (one per epoch)", got)
			}
			if got := e.calls("get"); got != 0 {
				t.Errorf("instances.get calls = %d, want 0 (a refusal is no stale fingerprint)", got)
			}
			if got := counter(resultRefused) - refused; got != 2 {
				t.Errorf("enable_total{result=refused} grew by %v, want 2", got)
			}
			if got := gauge(t); got != 1 {
				t.Errorf("nodes_not_forwarding = %v, want 1", got)
			}
			if c := e.condition("node-a"); c.Reason != ReasonEnableForbidden {
				t.Errorf("condition after the retry: %s", c.Reason)
			}
		})
	}
}

func TestTransientFailureRetried(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.gceNode("node-a")
	// The API layer tries twice (MaxAttempts 2), so the first sync fails.
	if err := e.gce.SetFaults(fakecompute.FaultRule{Method: "PUT", PathRegexp: `/instances/node-a$`, Code: 503, Count: 2}); err != nil {
		t.Fatal(err)
	}
	e.start(ModeEnforce, nil)
	e.waitEvent("node-a", EventEnableFailed)
	e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
	e.waitEvent("node-a", EventEnabled)
	if got := e.calls("update"); got != 3 {
		t.Errorf("instances.update calls = %d, want 3 (two 503s, then ok)", got)
	}
}

func TestMissingVM(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.vm("node-late", false)
	e.gceNode("node-a")
	e.gceNode("ghost")                                                        // old node, no VM: the bulk read proves it gone
	e.node("ghost-new", providerID("us-central1-a", "ghost-new"), time.Now()) // too new for that: one GET
	e.start(ModeEnforce, nil)
	e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
	eventually(t, "the GET of ghost-new", func() bool { return e.calls("get") == 1 && e.absent("ghost-new") })

	// node-late's VM is deleted after the bulk read, before its node syncs.
	if err := e.gce.DeleteInstanceNow("us-central1-a", "node-late"); err != nil {
		t.Fatal(err)
	}
	e.gceNode("node-late")
	eventually(t, "the update of node-late (404)", func() bool { return e.calls("update") == 2 && e.absent("node-late") })

	// No error loop: syncing them again is quiet and costs nothing.
	before := e.gce.Stats()
	for _, n := range []string{"ghost", "ghost-new", "node-late"} {
		if err := e.ctrl.sync(e.ctx, n); err != nil {
			t.Errorf("sync %s: %v, want nil (skipped)", n, err)
		}
		if c := e.condition(n); c != nil {
			t.Errorf("%s: condition %+v written for a missing VM", n, c)
		}
		if evs := e.events(n); len(evs) != 0 {
			t.Errorf("%s: events %v for a missing VM", n, evs)
		}
	}
	if after := e.gce.Stats(); after.Reads+after.Mutations != before.Reads+before.Mutations {
		t.Errorf("re-syncing nodes without VMs called GCE: %v -> %v", before.Calls, after.Calls)
	}
}

func TestNodesThatAreNotOurs(t *testing.T) {
	e := newEnv(t)
	e.vm("bare", false)
	e.node("aws", "aws:///us-east-1a/i-0123456789abcdef0", time.Now())
	e.node("bare", "", time.Now()) // the cloud-node controller has not set it yet
	e.node("elsewhere", "gce://other-project/us-central1-a/x", time.Now())
	e.start(ModeEnforce, nil)
	eventually(t, "the first bulk read", func() bool { return e.calls("aggregatedList") == 1 })
	for _, n := range []string{"aws", "bare", "elsewhere"} {
		if err := e.ctrl.sync(e.ctx, n); err != nil {
			t.Errorf("sync %s: %v, want nil (skipped)", n, err)
		}
		if c := e.condition(n); c != nil {
			t.Errorf("%s: condition written: %+v", n, c)
		}
	}
	if st := e.gce.Stats(); st.Reads+st.Mutations != 1 {
		t.Errorf("GCE calls = %v, want the bulk read only", st.Calls)
	}

	// Once the providerID is set, the node is handled.
	n, err := e.kube.CoreV1().Nodes().Get(context.Background(), "bare", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.ProviderID = providerID("us-central1-a", "bare")
	if _, err := e.kube.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitCondition("bare", v1.ConditionTrue, ReasonCanIPForward)
}

// At scale the controller reads the project once per resync, never a VM
// per node.
func TestManyNodesOneBulkReadPerResync(t *testing.T) {
	const n = 200
	e := newEnv(t)
	zones := []string{"us-central1-a", "us-central1-b", "us-central1-c"}
	var seeds []fakecompute.InstanceSeed
	for i := range n {
		seeds = append(seeds, fakecompute.InstanceSeed{Name: fmt.Sprintf("node-%03d", i), Zone: zones[i%3], CanIPForward: i%2 == 0})
	}
	e.vmWith(seeds...)
	for _, s := range seeds {
		e.node(s.Name, providerID(s.Zone, s.Name), time.Now().Add(-time.Hour))
	}
	enabled := counter(resultEnabled)
	e.start(ModeEnforce, nil)

	eventually(t, "every node's condition True", func() bool {
		list, err := e.kube.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, node := range list.Items {
			if c := conditionOf(&node); c == nil || c.Status != v1.ConditionTrue {
				return false
			}
		}
		return len(list.Items) == n
	})
	check := func(lists, updates int64) {
		t.Helper()
		st := e.gce.Stats().Calls
		if st["compute.instances.aggregatedList"] != lists || st["compute.instances.get"] != 0 || st["compute.instances.update"] != updates {
			t.Errorf("calls: aggregatedList %d, get %d, update %d; want %d, 0, %d",
				st["compute.instances.aggregatedList"], st["compute.instances.get"], st["compute.instances.update"], lists, updates)
		}
	}
	check(1, n/2)
	if got := counter(resultEnabled) - enabled; got != n/2 {
		t.Errorf("enable_total{result=enabled} grew by %v, want %d", got, n/2)
	}
	eventually(t, "gauge at 0", func() bool { return gauge(t) == 0 })

	eventually(t, "the node cache to see every condition", func() bool {
		nodes, _ := e.ctrl.nodes.List(everything())
		for _, node := range nodes {
			if !settled(node, true) {
				return false
			}
		}
		return len(nodes) == n
	})
	e.ctrl.resync(e.ctx)
	e.ctrl.resync(e.ctx)
	eventually(t, "an empty queue", func() bool { return e.ctrl.queue.Len() == 0 })
	check(3, n/2)
}

// Without the bulk read (say compute.instances.list is not granted) the
// controller still works, one GET per node.
func TestBulkReadFailsFallsBackToGet(t *testing.T) {
	e := newEnv(t)
	e.vm("node-a", false)
	e.vm("node-b", true)
	e.gceNode("node-a")
	e.gceNode("node-b")
	if err := e.gce.SetFaults(fakecompute.FaultRule{Method: "GET", PathRegexp: `/aggregated/instances$`, Code: 403, Reason: "forbidden",
		Message: "Required 'compute.instances.list' permission for 'projects/demo'"}); err != nil {
		t.Fatal(err)
	}
	e.start(ModeEnforce, nil)
	e.waitCondition("node-a", v1.ConditionTrue, ReasonCanIPForward)
	e.waitCondition("node-b", v1.ConditionTrue, ReasonCanIPForward)
	if g, u := e.calls("get"), e.calls("update"); g != 2 || u != 1 {
		t.Errorf("get, update calls = %d, %d; want 2, 1", g, u)
	}
}
