// Package nodesettle hands the framework's service controller its node
// additions and deletions coalesced over a short settle window.
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
// Handing the controller one addition or deletion per settled burst gives
// it the same outcome (each sync reads the whole current node set) in one
// sync. Updates pass through at once: the controller acts on few of them
// (a providerID set, the exclusion label changed) and decides which itself.
package nodesettle

import (
	"sync"
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Window and MaxDelay are the defaults. A wave of nodes (an instance
// group resized, a node pool created) registers within about a second
// (50 nodes took 0.3-0.8 s in make bench); 500 ms of quiet ends a burst.
// MaxDelay bounds what a node waits behind a steady stream of others: 2 s
// is the order of one GCE operation, which its pool write waits anyway.
const (
	Window   = 500 * time.Millisecond
	MaxDelay = 2 * time.Second
)

// Informer wraps a node informer: handlers added through it receive
// additions and deletions coalesced (see the package comment); listing and
// everything else is the wrapped informer's.
func Informer(inner coreinformers.NodeInformer, window, maxDelay time.Duration, clk clock.WithDelayedExecution) coreinformers.NodeInformer {
	return nodeInformer{NodeInformer: inner, shared: sharedInformer{SharedIndexInformer: inner.Informer(),
		window: window, maxDelay: maxDelay, clock: clk}}
}

type nodeInformer struct {
	coreinformers.NodeInformer
	shared sharedInformer
}

func (n nodeInformer) Informer() cache.SharedIndexInformer { return n.shared }

type sharedInformer struct {
	cache.SharedIndexInformer
	window, maxDelay time.Duration
	clock            clock.WithDelayedExecution
}

func (s sharedInformer) settled(h cache.ResourceEventHandler) cache.ResourceEventHandler {
	return &coalescer{next: h, window: s.window, maxDelay: s.maxDelay, clock: s.clock}
}

func (s sharedInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandler(s.settled(h))
}

func (s sharedInformer) AddEventHandlerWithResyncPeriod(h cache.ResourceEventHandler, resync time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithResyncPeriod(s.settled(h), resync)
}

func (s sharedInformer) AddEventHandlerWithOptions(h cache.ResourceEventHandler, o cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithOptions(s.settled(h), o)
}

// coalescer keeps the last addition or deletion of a burst and delivers it
// once the burst has been quiet for window, or maxDelay after its first.
type coalescer struct {
	next             cache.ResourceEventHandler
	window, maxDelay time.Duration
	clock            clock.WithDelayedExecution

	mu      sync.Mutex
	pending func()      // the burst's last addition or deletion
	first   time.Time   // when the burst began
	timer   clock.Timer // fires the delivery
	gen     uint64      // the timer's; an older timer's firing is void
	deliver sync.Mutex  // one delivery to next at a time, as an informer does
}

func (c *coalescer) OnAdd(obj any, initial bool) {
	c.hold(func() { c.next.OnAdd(obj, initial) })
}

func (c *coalescer) OnDelete(obj any) {
	c.hold(func() { c.next.OnDelete(obj) })
}

func (c *coalescer) OnUpdate(old, cur any) {
	c.deliver.Lock()
	defer c.deliver.Unlock()
	c.next.OnUpdate(old, cur)
}

func (c *coalescer) hold(event func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if c.pending == nil {
		c.first = now
	}
	c.pending = event
	if c.timer != nil {
		c.timer.Stop()
	}
	wait := min(c.window, c.first.Add(c.maxDelay).Sub(now))
	c.gen++
	gen := c.gen
	c.timer = c.clock.AfterFunc(max(wait, 0), func() { c.fire(gen) })
}

// fire delivers the burst's event. It calls no clock method: a fake
// clock runs it while holding its own lock.
func (c *coalescer) fire(gen uint64) {
	c.mu.Lock()
	if gen != c.gen || c.pending == nil {
		c.mu.Unlock()
		return
	}
	event := c.pending
	c.pending, c.timer = nil, nil
	c.deliver.Lock()
	c.mu.Unlock()
	defer c.deliver.Unlock()
	event()
}
