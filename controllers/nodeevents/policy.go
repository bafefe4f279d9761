package nodeevents

import (
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
)

// Policy says when a gate hands on what it holds: once no event came for
// Quiet, or MaxDelay after the first held one, and never sooner than
// Interval after the last delivery.
type Policy struct {
	Quiet    time.Duration
	MaxDelay time.Duration // 0: no cap
	Interval time.Duration
	// ResyncPeriod is the resync handlers added without one get (0: the
	// informer's).
	ResyncPeriod time.Duration
	// Update classes an update (nil: every update is handed on at once).
	Update func(old, cur *v1.Node) Class
}

// Class is what a gate does with an update.
type Class int

const (
	// Hold: held with additions and deletions.
	Hold Class = iota
	// Pass: handed on at once.
	Pass
	// Drop: never handed on.
	Drop
	// Resync: the informer's periodic resync, which asks for a run and
	// says nothing changed. Held as Hold is, but dropped when an event is
	// already held (its delivery comes later) or resyncs were handed on
	// within Interval (this one is of the same burst).
	Resync
)

// due is when the held events are handed on.
func (p Policy) due(first, latest, delivered time.Time) time.Time {
	t := latest.Add(p.Quiet)
	if p.MaxDelay > 0 {
		t = minTime(t, first.Add(p.MaxDelay))
	}
	if !delivered.IsZero() {
		t = maxTime(t, delivered.Add(p.Interval))
	}
	return t
}

func (p Policy) class(old, cur any) Class {
	o, oldOK := old.(*v1.Node)
	n, newOK := cur.(*v1.Node)
	if p.Update == nil || !oldOK || !newOK {
		return Pass
	}
	return p.Update(o, n)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Window and MaxDelay are the service controller's settle window. A wave
// of nodes (an instance group resized, a node pool created) registers
// within about a second (50 nodes took 0.3-0.8 s in make bench); 500 ms of
// quiet ends a burst. MaxDelay bounds what a node waits behind a steady
// stream of others: 2 s is the order of one GCE operation, which its pool
// write waits anyway.
const (
	Window   = 500 * time.Millisecond
	MaxDelay = 2 * time.Second
)

// Services is the framework's service controller's policy: additions and
// deletions settled over Window (at most MaxDelay), updates at once.
//
// Why: the service controller (k8s.io/cloud-provider controllers/service,
// v0.36) queues every node event under the node's name, and every queued
// name runs one whole node sync: each LoadBalancer Service lists every node
// again, compares it with the set of its last sync, and calls
// UpdateLoadBalancer if it differs. The name itself is never read. So
//   - 50 nodes registering over a second made two node syncs, each a write
//     to every pool (200 pool writes for 100 load balancers instead of 100);
//   - the informer's initial list at start (5,000 Add events at 5,000
//     nodes) ran 5,000 node syncs of 500 Services each, every one building
//     two maps of every node: half of the controller's CPU for minutes,
//     and most of its allocations.
//
// Updates pass through at once: the controller acts on few of them (a
// providerID set, the exclusion label changed) and decides which itself.
var Services = Policy{Quiet: Window, MaxDelay: MaxDelay}

// ReconcileInterval is the framework's shortest time between two route
// reconciles in watch-based mode (KEP-5237: its queue's token bucket gives
// one token per 10 s, and it waits at most 10 s for one).
const ReconcileInterval = 10 * time.Second

// Routes is the framework's route controller's policy: events settled as
// Services' additions are (a burst is one event, once quiet for Window, at
// most MaxDelay after its first), and at most one event per
// ReconcileInterval (what comes within the interval after a delivery is
// folded into one, handed on when the interval ends); handlers added
// without a resync period get resync (the periodic reconcile); updates
// that cannot change a route are dropped.
//
// Why one per interval: the framework turns every such event into a
// reconcile of the whole cluster, and its token bucket reserves a token per
// event, not per reconcile: the route controller's resync of 1,000 nodes
// (1,000 events at once) put it 10,000 s in debt, after which every event
// waited the full 10 s cap. A node that registered into a quiet cluster got
// its route 12.1 s later where its pools took 2.3 s (`make bench` reaction
// scenario, 100 nodes). One event per interval is all the framework can
// use, since every event reconciles everything.
//
// Why settled: the framework cannot reconcile again within 10 s of a
// reconcile, so handing on a burst's first event at once routed that node
// alone and left the rest of the burst 10 s behind (make bench, 50 nodes
// added to 100 load balancers: routes done after 13.6 s, settled 5.5 s,
// against an 8 s bound for routes and pools together), and a node
// registered without a pod CIDR was reconciled before the IPAM controller
// gave it one, its route 10 s later. The cost: a node joining a quiet
// cluster waits Window before the reconcile that routes it.
//
// The periodic resync asks for one reconcile and says nothing changed: a
// resync is dropped when an event is already held (its delivery comes
// later) or resyncs were handed on within the interval (the rest of a
// burst that outlasted MaxDelay), and it never extends a held event's
// quiet window. So a resync of every node spends the framework's interval
// once, not twice; a node that joins within 10 s of that reconcile still
// waits for the interval's end (the framework's bucket holds no token for
// it, whatever is handed on).
//
// It also drops an update that changes a node's addresses and nothing else
// the routes read, which the framework would act on: a GCE route's next hop
// is the VM, not an address (the provider never sets
// Route.EnableNodeAddresses, so the framework keeps a route whatever the
// addresses are), and the cloud node controller writes a new node's
// addresses a moment after it registers.
func Routes(resync time.Duration) Policy {
	return Policy{Quiet: Window, MaxDelay: MaxDelay, Interval: ReconcileInterval, ResyncPeriod: resync, Update: routeUpdate}
}

// routeUpdate: a resync (same resourceVersion) is the periodic reconcile;
// a pod CIDR change is a route change; the framework ignores every other
// change but addresses (see Routes).
func routeUpdate(old, cur *v1.Node) Class {
	switch {
	case old.ResourceVersion == cur.ResourceVersion:
		return Resync
	case slices.Equal(old.Spec.PodCIDRs, cur.Spec.PodCIDRs):
		return Drop
	}
	return Hold
}
