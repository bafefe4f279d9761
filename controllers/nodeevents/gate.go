package nodeevents

import (
	"sync"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// gate stands between an informer and one handler: it holds additions,
// deletions and the updates its policy holds, and hands the last held one
// on when the policy says (Policy.due); one delivery at a time, in order.
//
// Clock calls (Now, AfterFunc, Stop) are made without mu held: a fake
// clock runs a timer's function under its own lock, and that function
// (fire) takes mu.
type gate struct {
	next   cache.ResourceEventHandler
	policy Policy
	clock  clock.WithDelayedExecution

	mu            sync.Mutex
	pending       func()      // the last held event
	pendingResync bool        // every held event was a resync
	first, latest time.Time   // when the first and the last held event came
	delivered     time.Time   // when an event was last handed on
	lastResync    bool        // it stood for resyncs only
	armed         bool        // a timer is (being) armed for due
	timer         clock.Timer // that timer, once AfterFunc returned it
	due           time.Time
	gen           uint64     // the armed timer's; an older timer's firing is void
	deliver       sync.Mutex // held while the handler runs: one delivery at a time
}

func newGate(next cache.ResourceEventHandler, p Policy, clk clock.WithDelayedExecution) *gate {
	return &gate{next: next, policy: p, clock: clk}
}

func (g *gate) OnAdd(obj any, initial bool) { g.hold(func() { g.next.OnAdd(obj, initial) }, false) }

func (g *gate) OnDelete(obj any) { g.hold(func() { g.next.OnDelete(obj) }, false) }

func (g *gate) OnUpdate(old, cur any) {
	event := func() { g.next.OnUpdate(old, cur) }
	switch g.policy.class(old, cur) {
	case Drop:
	case Pass:
		g.deliver.Lock()
		defer g.deliver.Unlock()
		event()
	case Resync:
		g.hold(event, true)
	default:
		g.hold(event, false)
	}
}

// hold makes event the one to hand on, and hands it on now if it is due.
func (g *gate) hold(event func(), resync bool) {
	now := g.clock.Now()
	g.mu.Lock()
	if resync && g.covered(now) {
		g.mu.Unlock()
		return
	}
	if g.pending == nil {
		g.first, g.pendingResync = now, true
	}
	g.pending, g.latest = event, now
	g.pendingResync = g.pendingResync && resync
	due := g.policy.due(g.first, g.latest, g.delivered)
	if !due.After(now) {
		if old := g.handOn(now); old != nil { // unlocks mu
			old.Stop()
		}
		return
	}
	if g.armed && due.Equal(g.due) {
		g.mu.Unlock()
		return
	}
	g.gen++
	gen, old := g.gen, g.timer
	g.armed, g.timer, g.due = true, nil, due
	g.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	t := g.clock.AfterFunc(due.Sub(now), func() { g.fire(gen) })
	g.mu.Lock()
	keep := g.gen == gen
	if keep {
		g.timer = t
	}
	g.mu.Unlock()
	if !keep {
		t.Stop()
	}
}

// covered says whether a resync needs no delivery of its own: an event is
// held, which will be handed on after it, or resyncs were handed on within
// the interval (this one is of the same burst).
func (g *gate) covered(now time.Time) bool {
	if g.pending != nil {
		return true
	}
	return g.lastResync && now.Sub(g.delivered) < g.policy.Interval
}

// fire hands on the held event when its timer is still the armed one. It
// calls no clock method (see gate); the delivery time is the due time.
func (g *gate) fire(gen uint64) {
	g.mu.Lock()
	if gen != g.gen || g.pending == nil {
		g.mu.Unlock()
		return
	}
	g.handOn(g.due) // the timer returned is this one
}

// handOn delivers the held event and returns the timer that was armed
// for it (void now; the caller may stop it). mu is held, and released once
// the delivery has its turn, so deliveries keep the order they were
// decided in.
func (g *gate) handOn(at time.Time) clock.Timer {
	event, armed := g.pending, g.timer
	g.delivered, g.lastResync = at, g.pendingResync
	g.pending, g.armed, g.timer = nil, false, nil
	g.gen++
	g.deliver.Lock()
	g.mu.Unlock()
	defer g.deliver.Unlock()
	event()
	return armed
}
