package nodeevents

import (
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// recorder is a handler that keeps what it was handed.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}
func (r *recorder) OnAdd(obj any, _ bool) { r.add("add " + obj.(*v1.Node).Name) }
func (r *recorder) OnUpdate(_, cur any)   { r.add("update " + cur.(*v1.Node).Name) }
func (r *recorder) OnDelete(obj any)      { r.add("delete " + obj.(*v1.Node).Name) }
func node(name string) *v1.Node           { return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}} }
func equal(a []string, b ...string) bool  { return fmt.Sprint(a) == fmt.Sprint(b) }

// newCoalescer is a gate with the service controller's policy.
func newCoalescer() (*gate, *recorder, *testingclock.FakeClock) {
	clk := testingclock.NewFakeClock(time.Unix(0, 0))
	r := &recorder{}
	return newGate(r, Services, clk), r, clk
}

// A burst of additions and deletions is one event, the burst's last,
// handed on once the burst has been quiet for the window, not before.
func TestBurstIsOneEventAfterTheWindow(t *testing.T) {
	c, r, clk := newCoalescer()
	for i := range 50 {
		c.OnAdd(node(fmt.Sprintf("n%d", i)), false)
		clk.Step(10 * time.Millisecond)
	}
	c.OnDelete(node("gone"))
	clk.Step(Window - time.Millisecond)
	if got := r.got(); len(got) != 0 {
		t.Fatalf("handed on %v before the burst was quiet for %v", got, Window)
	}
	clk.Step(time.Millisecond)
	if got := r.got(); !equal(got, "delete gone") {
		t.Fatalf("handed on %v, want the burst's last event only", got)
	}
	clk.Step(time.Minute)
	if got := r.got(); len(got) != 1 {
		t.Fatalf("handed on %v, want one event for the burst", got)
	}
}

// One node alone waits the window only.
func TestSingleAdditionWaitsTheWindow(t *testing.T) {
	c, r, clk := newCoalescer()
	c.OnAdd(node("a"), false)
	clk.Step(Window)
	if got := r.got(); !equal(got, "add a") {
		t.Fatalf("handed on %v after %v, want the addition", got, Window)
	}
	c.OnAdd(node("b"), false)
	clk.Step(Window)
	if got := r.got(); !equal(got, "add a", "add b") {
		t.Fatalf("a later burst: handed on %v, want its addition too", got)
	}
}

// A steady stream (one node every 400 ms, never quiet for the window) is
// handed on MaxDelay after its first event, then again for what follows.
func TestStreamIsHandedOnAtMaxDelay(t *testing.T) {
	c, r, clk := newCoalescer()
	step := 400 * time.Millisecond
	for i := 0; time.Duration(i)*step < MaxDelay; i++ {
		c.OnAdd(node(fmt.Sprintf("n%d", i)), false)
		clk.Step(step)
	}
	if got := r.got(); !equal(got, "add n4") {
		t.Fatalf("after %v of a stream: handed on %v, want its last addition", MaxDelay, got)
	}
	c.OnAdd(node("n5"), false)
	clk.Step(Window)
	if got := r.got(); !equal(got, "add n4", "add n5") {
		t.Fatalf("handed on %v, want the next burst's addition", got)
	}
}

// Updates are the controller's to judge: handed on at once, in order.
func TestUpdatesPassAtOnce(t *testing.T) {
	c, r, _ := newCoalescer()
	c.OnAdd(node("a"), false)
	c.OnUpdate(node("b"), node("b"))
	if got := r.got(); !equal(got, "update b") {
		t.Fatalf("handed on %v, want the update at once and the addition held", got)
	}
}
