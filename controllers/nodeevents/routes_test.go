package nodeevents

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	testingclock "k8s.io/utils/clock/testing"
)

func routeNode(rv string, cidrs []string, addr string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv}, Spec: v1.NodeSpec{PodCIDRs: cidrs},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: addr}}}}
}

// routeGate is a gate with the route controller's policy on a fake clock.
func routeGate(h cache.ResourceEventHandler) (*gate, *testingclock.FakeClock) {
	clk := testingclock.NewFakeClock(time.Unix(1000, 0))
	return newGate(h, Routes(time.Hour), clk), clk
}

func TestRouteEventsFilter(t *testing.T) {
	a := []string{"10.4.0.0/24"}
	for _, tc := range []struct {
		name     string
		old, new *v1.Node
		passed   bool
	}{
		{"addresses written by the node controller: dropped", routeNode("1", a, ""), routeNode("2", a, "10.0.0.2"), false},
		{"a condition written: dropped (the framework drops it too)", routeNode("1", a, "10.0.0.2"), routeNode("2", a, "10.0.0.2"), false},
		{"pod CIDR assigned: passed", routeNode("1", nil, ""), routeNode("2", a, ""), true},
		{"pod CIDR changed with the addresses: passed", routeNode("1", a, ""), routeNode("2", []string{"10.4.1.0/24"}, "10.0.0.2"), true},
		{"resync (same resourceVersion): passed", routeNode("2", a, "10.0.0.2"), routeNode("2", a, "10.0.0.2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			updates := 0
			g, clk := routeGate(cache.ResourceEventHandlerFuncs{UpdateFunc: func(_, _ interface{}) { updates++ }})
			g.OnUpdate(tc.old, tc.new)
			clk.Step(Window)
			if (updates == 1) != tc.passed {
				t.Errorf("update passed to the framework: %v, want %v", updates == 1, tc.passed)
			}
		})
	}
}

// TestRouteEventsCoalesce: the first event passes once quiet for the
// window; the events of the next 10 s (a resync of every node) pass as one
// when the interval ends; an event after a quiet interval passes once
// quiet for the window again.
func TestRouteEventsCoalesce(t *testing.T) {
	var passed []string
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { passed = append(passed, "add "+obj.(*v1.Node).ResourceVersion) },
		UpdateFunc: func(_, obj interface{}) { passed = append(passed, "update "+obj.(*v1.Node).ResourceVersion) },
		DeleteFunc: func(obj interface{}) { passed = append(passed, "delete "+obj.(*v1.Node).ResourceVersion) },
	}
	e, clock := routeGate(h)
	a := []string{"10.4.0.0/24"}

	e.OnAdd(routeNode("1", a, ""), false)
	clock.Step(Window - time.Nanosecond)
	if len(passed) != 0 {
		t.Fatalf("first event: passed %v before the window; want it held", passed)
	}
	clock.Step(time.Nanosecond)
	if len(passed) != 1 || clock.HasWaiters() {
		t.Fatalf("first event: passed %v, timer set %v; want it passed once the window was quiet", passed, clock.HasWaiters())
	}
	clock.Step(2 * time.Second)
	for i := 0; i < 1000; i++ { // a resync of 1,000 nodes
		e.OnUpdate(routeNode("5", a, ""), routeNode("5", a, ""))
	}
	e.OnDelete(routeNode("6", a, ""))
	clock.Step(8*time.Second - time.Nanosecond)
	if len(passed) != 1 || clock.Waiters() != 1 {
		t.Fatalf("events within 10 s: passed %v, %d timers; want none passed, one timer in 8s", passed, clock.Waiters())
	}
	clock.Step(time.Nanosecond)
	if want := []string{"add 1", "delete 6"}; len(passed) != 2 || passed[1] != want[1] {
		t.Fatalf("after the interval: passed %v, want %v", passed, want)
	}
	clock.Step(10 * time.Second)
	e.OnAdd(routeNode("7", a, ""), false)
	clock.Step(Window)
	if len(passed) != 3 || passed[2] != "add 7" || clock.HasWaiters() {
		t.Errorf("after a quiet interval: passed %v, timer set %v; want add 7 passed after the window", passed, clock.HasWaiters())
	}
}

// TestRouteEventsSettleABurst: 50 nodes registering over half a second,
// and a node whose pod CIDR the IPAM controller writes a moment after it
// registered, are one reconcile each, with the whole burst: handed on at
// once, the first node's event would spend the framework's interval on a
// reconcile without the others (or without the pod CIDR).
func TestRouteEventsSettleABurst(t *testing.T) {
	var passed []*v1.Node
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { passed = append(passed, obj.(*v1.Node)) },
		UpdateFunc: func(_, obj interface{}) { passed = append(passed, obj.(*v1.Node)) },
	}
	e, clock := routeGate(h)
	for i := range 50 {
		e.OnAdd(routeNode(fmt.Sprint(i), []string{fmt.Sprintf("10.4.%d.0/24", i)}, ""), false)
		clock.Step(10 * time.Millisecond)
	}
	clock.Step(Window)
	if len(passed) != 1 || passed[0].ResourceVersion != "49" {
		t.Fatalf("a burst of 50 additions: passed %d events, want one, the last", len(passed))
	}

	clock.Step(ReconcileInterval)
	passed = nil
	e.OnAdd(routeNode("100", nil, ""), false)
	clock.Step(50 * time.Millisecond)
	e.OnUpdate(routeNode("100", nil, ""), routeNode("101", []string{"10.4.100.0/24"}, ""))
	clock.Step(Window)
	if len(passed) != 1 || len(passed[0].Spec.PodCIDRs) != 1 {
		t.Fatalf("a node and its pod CIDR: passed %v, want one event, the pod CIDR's", passed)
	}
}

// TestRouteEventsResyncs: the periodic resync asks for one reconcile, and
// never spends the framework's interval twice or holds a real change back.
func TestRouteEventsResyncs(t *testing.T) {
	var passed []string
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { passed = append(passed, "add "+obj.(*v1.Node).Name) },
		UpdateFunc: func(_, obj interface{}) { passed = append(passed, "resync "+obj.(*v1.Node).Name) },
	}
	resync := func(e *gate, name string) {
		n := routeNode("7", []string{"10.4.0.0/24"}, "")
		n.Name = name
		e.OnUpdate(n, n)
	}
	t.Run("a resync burst longer than MaxDelay is one event", func(t *testing.T) {
		passed = nil
		e, clock := routeGate(h)
		for i := range 1000 { // 3 s of resyncs
			resync(e, fmt.Sprint(i))
			clock.Step(3 * time.Millisecond)
		}
		clock.Step(time.Minute)
		if len(passed) != 1 || passed[0] != "resync 0" {
			t.Fatalf("passed %v, want the burst's first resync only (handed on once the window was quiet)", passed)
		}
	})
	t.Run("resyncs do not push a held addition back", func(t *testing.T) {
		passed = nil
		e, clock := routeGate(h)
		e.OnAdd(routeNode("1", nil, ""), false)
		clock.Step(400 * time.Millisecond)
		resync(e, "n2")
		clock.Step(100 * time.Millisecond)
		if len(passed) != 1 || passed[0] != "add n1" {
			t.Fatalf("passed %v, want the addition after its window, the resync dropped", passed)
		}
	})
	t.Run("a resync after a real change's reconcile still gets one", func(t *testing.T) {
		passed = nil
		e, clock := routeGate(h)
		e.OnAdd(routeNode("1", nil, ""), false)
		clock.Step(Window + 3*time.Second)
		resync(e, "n2")
		clock.Step(ReconcileInterval)
		if len(passed) != 2 || passed[1] != "resync n2" {
			t.Fatalf("passed %v, want the addition, then the resync at the interval's end", passed)
		}
		clock.Step(time.Minute)
		resync(e, "n3") // the next period's
		clock.Step(Window)
		if len(passed) != 3 || passed[2] != "resync n3" {
			t.Fatalf("passed %v, want the next period's resync too", passed)
		}
	})
}
