package nodeipam

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const (
	namespace = "gce_ccm"
	subsystem = "nodeipam"
)

// Results of giving a node its pod CIDRs (the result label).
const (
	resultAllocated = "allocated" // the node's spec now has them
	resultExhausted = "exhausted" // a cluster CIDR has no free node CIDR
	resultFailed    = "failed"    // anything else; retried
)

var (
	allocationsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "allocations_total",
		Help:           "Attempts to give a node without pod CIDRs its CIDRs, by allocator (RangeAllocator, CloudAllocator) and result: allocated, exhausted (a cluster CIDR is full), failed.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"allocator", "result"})
	rejectedTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "rejected_node_cidrs_total",
		Help:           "Pod CIDRs found on a node that the controller does not accept, by reason (the Event's reason): PodCIDROutsideClusterCIDR, PodCIDRCollision, PodCIDRInvalid.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"reason"})
	nodesWaiting = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "nodes_waiting",
		Help:           "Nodes without pod CIDRs because a cluster CIDR is full; each is retried when a node CIDR is released.",
		StabilityLevel: metrics.ALPHA,
	})
)

var registerOnce sync.Once

// RegisterMetrics adds the controller's metrics to the legacy registry,
// which the cloud-controller-manager serves on /metrics. New calls it.
// Kubernetes' CIDR set registers its own (node_ipam_controller_cidrset_*:
// allocations, releases, usage, max) there too.
func RegisterMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(allocationsTotal, rejectedTotal, nodesWaiting)
	})
}
