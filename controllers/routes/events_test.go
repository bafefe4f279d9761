package routes

import (
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func node(rv string, cidrs []string, addr string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv}, Spec: v1.NodeSpec{PodCIDRs: cidrs},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: addr}}}}
}

// fakeClock drives a coalescer: now is set by the test, and the one timer
// it may have scheduled is fired by the test.
type fakeClock struct {
	now   time.Time
	timer func()
	delay time.Duration
}

func (f *fakeClock) coalescer() *coalescer {
	return &coalescer{interval: reconcileInterval, now: func() time.Time { return f.now },
		after: func(d time.Duration, fn func()) { f.delay, f.timer = d, fn }}
}

func TestRouteEventsFilter(t *testing.T) {
	a := []string{"10.4.0.0/24"}
	for _, tc := range []struct {
		name     string
		old, new *v1.Node
		passed   bool
	}{
		{"addresses written by the node controller: dropped", node("1", a, ""), node("2", a, "10.0.0.2"), false},
		{"a condition written: dropped (the framework drops it too)", node("1", a, "10.0.0.2"), node("2", a, "10.0.0.2"), false},
		{"pod CIDR assigned: passed", node("1", nil, ""), node("2", a, ""), true},
		{"pod CIDR changed with the addresses: passed", node("1", a, ""), node("2", []string{"10.4.1.0/24"}, "10.0.0.2"), true},
		{"resync (same resourceVersion): passed", node("2", a, "10.0.0.2"), node("2", a, "10.0.0.2"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			updates := 0
			clock := &fakeClock{now: time.Unix(1000, 0)}
			e := routeEvents{h: cache.ResourceEventHandlerFuncs{UpdateFunc: func(_, _ interface{}) { updates++ }}, c: clock.coalescer()}
			e.OnUpdate(tc.old, tc.new)
			if (updates == 1) != tc.passed {
				t.Errorf("update passed to the framework: %v, want %v", updates == 1, tc.passed)
			}
		})
	}
}

// TestRouteEventsCoalesce: the first event passes at once; the events of
// the next 10 s (a resync of every node) pass as one when the interval
// ends; an event after a quiet interval passes at once again.
func TestRouteEventsCoalesce(t *testing.T) {
	var passed []string
	clock := &fakeClock{now: time.Unix(1000, 0)}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { passed = append(passed, "add "+obj.(*v1.Node).ResourceVersion) },
		UpdateFunc: func(_, obj interface{}) { passed = append(passed, "update "+obj.(*v1.Node).ResourceVersion) },
		DeleteFunc: func(obj interface{}) { passed = append(passed, "delete "+obj.(*v1.Node).ResourceVersion) },
	}
	e := routeEvents{h: h, c: clock.coalescer()}
	a := []string{"10.4.0.0/24"}

	e.OnAdd(node("1", a, ""), false)
	if len(passed) != 1 || clock.timer != nil {
		t.Fatalf("first event: passed %v, timer set %v; want it passed at once", passed, clock.timer != nil)
	}
	clock.now = clock.now.Add(2 * time.Second)
	for i := 0; i < 1000; i++ { // a resync of 1,000 nodes
		e.OnUpdate(node("5", a, ""), node("5", a, ""))
	}
	e.OnDelete(node("6", a, ""))
	if len(passed) != 1 || clock.timer == nil || clock.delay != 8*time.Second {
		t.Fatalf("events within 10 s: passed %v, timer in %v; want none passed, one timer in 8s", passed, clock.delay)
	}
	clock.now = clock.now.Add(8 * time.Second)
	timer := clock.timer
	clock.timer = nil
	timer()
	if want := []string{"add 1", "delete 6"}; len(passed) != 2 || passed[1] != want[1] {
		t.Fatalf("after the interval: passed %v, want %v", passed, want)
	}
	clock.now = clock.now.Add(10 * time.Second)
	e.OnAdd(node("7", a, ""), false)
	if len(passed) != 3 || passed[2] != "add 7" || clock.timer != nil {
		t.Errorf("after a quiet interval: passed %v, timer set %v; want add 7 passed at once", passed, clock.timer != nil)
	}
}
