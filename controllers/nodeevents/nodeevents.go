// Package nodeevents hands the framework's controllers their node events
// through a gate (one per handler) that holds and coalesces them by a
// Policy: the service controller's (Services) and the route controller's
// (Routes) are the two there are, and policy.go says why each is what it is.
//
// The framework's controllers (k8s.io/cloud-provider v0.36) do not read
// which node an event is about: the service controller runs a whole node
// sync of every LoadBalancer Service per queued node, the route controller
// a reconcile of the whole cluster per event. Handing either one event
// for a burst gives the same outcome (each run reads the whole current
// node set) in one run.
//
// A gate hands on the last event it holds: additions and deletions are
// held, updates as the policy classes them (held, handed on at once,
// dropped, or held as a resync that another delivery covers). Deliveries
// to one handler never overlap and keep their order, as an informer's do.
package nodeevents

import (
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Informer wraps a node informer: every handler added through it receives
// its events through its own gate with policy p; listing and everything
// else is the wrapped informer's.
func Informer(inner coreinformers.NodeInformer, p Policy, clk clock.WithDelayedExecution) coreinformers.NodeInformer {
	return nodeInformer{NodeInformer: inner, shared: sharedInformer{SharedIndexInformer: inner.Informer(), policy: p, clock: clk}}
}

type nodeInformer struct {
	coreinformers.NodeInformer
	shared sharedInformer
}

func (n nodeInformer) Informer() cache.SharedIndexInformer { return n.shared }

type sharedInformer struct {
	cache.SharedIndexInformer
	policy Policy
	clock  clock.WithDelayedExecution
}

func (s sharedInformer) gate(h cache.ResourceEventHandler) cache.ResourceEventHandler {
	return newGate(h, s.policy, s.clock)
}

// AddEventHandler adds h with the policy's resync period, if it has one.
func (s sharedInformer) AddEventHandler(h cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	if s.policy.ResyncPeriod > 0 {
		return s.SharedIndexInformer.AddEventHandlerWithResyncPeriod(s.gate(h), s.policy.ResyncPeriod)
	}
	return s.SharedIndexInformer.AddEventHandler(s.gate(h))
}

func (s sharedInformer) AddEventHandlerWithResyncPeriod(h cache.ResourceEventHandler, resync time.Duration) (cache.ResourceEventHandlerRegistration, error) {
	return s.SharedIndexInformer.AddEventHandlerWithResyncPeriod(s.gate(h), resync)
}

// AddEventHandlerWithOptions adds h with the policy's resync period when
// o names none.
func (s sharedInformer) AddEventHandlerWithOptions(h cache.ResourceEventHandler, o cache.HandlerOptions) (cache.ResourceEventHandlerRegistration, error) {
	if o.ResyncPeriod == nil && s.policy.ResyncPeriod > 0 {
		period := s.policy.ResyncPeriod
		o.ResyncPeriod = &period
	}
	return s.SharedIndexInformer.AddEventHandlerWithOptions(s.gate(h), o)
}
