package routes

import (
	"slices"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"
)

// reconcileInterval is the framework's shortest time between two route
// reconciles in watch-based mode (KEP-5237: its queue's token bucket gives
// one token per 10 s, and it waits at most 10 s for one).
const reconcileInterval = 10 * time.Second

// routeEvents passes the framework's route controller the node events that
// can change a GCE route, at most one per reconcileInterval (the others
// folded into one, passed when the interval ends).
//
// Why: the framework turns every such event into a reconcile of the whole
// cluster, and its token bucket reserves a token per event, not per
// reconcile: the route controller's resync of 1,000 nodes (1,000 events at
// once) put it 10,000 s in debt, after which every event waited the full
// 10 s cap. A node that registered into a quiet cluster got its route 12.1 s
// later where its pools took 2.3 s (`make bench` reaction scenario, 100
// nodes). One event per interval is all the framework can use, since every
// event reconciles everything; the first after a quiet interval passes at
// once, so a node joining a quiet cluster is routed one operation later.
//
// It also drops an update that changes a node's addresses and nothing else
// the routes read, which the framework would act on: a GCE route's next hop
// is the VM, not an address (the provider never sets
// Route.EnableNodeAddresses, so the framework keeps a route whatever the
// addresses are), and the cloud node controller writes a new node's
// addresses a moment after it registers.
type routeEvents struct {
	h cache.ResourceEventHandler
	c *coalescer
}

func newRouteEvents(h cache.ResourceEventHandler) routeEvents {
	return routeEvents{h: h, c: &coalescer{interval: reconcileInterval, now: time.Now,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) }}}
}

func (e routeEvents) OnAdd(obj interface{}, initial bool) {
	e.c.pass(func() { e.h.OnAdd(obj, initial) })
}

func (e routeEvents) OnDelete(obj interface{}) { e.c.pass(func() { e.h.OnDelete(obj) }) }

func (e routeEvents) OnUpdate(oldObj, newObj interface{}) {
	o, oldOK := oldObj.(*v1.Node)
	n, newOK := newObj.(*v1.Node)
	// A resync (same resourceVersion) is the periodic reconcile; a pod CIDR
	// change is a route change; the framework ignores every other change
	// but addresses (see above).
	if oldOK && newOK && o.ResourceVersion != n.ResourceVersion && slices.Equal(o.Spec.PodCIDRs, n.Spec.PodCIDRs) {
		return
	}
	e.c.pass(func() { e.h.OnUpdate(oldObj, newObj) })
}

// coalescer passes the first event at once and the events of the next
// interval as one (the last), when the interval ends.
type coalescer struct {
	interval time.Duration
	now      func() time.Time
	after    func(time.Duration, func()) // time.AfterFunc

	mu      sync.Mutex
	last    time.Time // when an event was last passed
	pending func()    // the event to pass when the interval ends
}

func (c *coalescer) pass(event func()) {
	c.mu.Lock()
	now := c.now()
	if c.pending == nil && (c.last.IsZero() || now.Sub(c.last) >= c.interval) {
		c.last = now
		c.mu.Unlock()
		event()
		return
	}
	if c.pending == nil {
		c.after(c.last.Add(c.interval).Sub(now), c.flush)
	}
	c.pending = event
	c.mu.Unlock()
}

func (c *coalescer) flush() {
	c.mu.Lock()
	event := c.pending
	c.pending, c.last = nil, c.now()
	c.mu.Unlock()
	event()
}
