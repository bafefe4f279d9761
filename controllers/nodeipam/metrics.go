package nodeipam

import (
	"github.com/gce-ccm/gce-ccm/providers/gce/metricset"
)

var set = metricset.New("gce_ccm", "nodeipam")

// Results of giving a node its pod CIDRs (the result label).
const (
	resultAllocated = "allocated" // the node's spec now has them
	resultExhausted = "exhausted" // a cluster CIDR has no free node CIDR
	resultFailed    = "failed"    // anything else; retried
)

var (
	allocationsTotal = set.CounterVec("allocations_total",
		"Attempts to give a node without pod CIDRs its CIDRs, by allocator (RangeAllocator, CloudAllocator) and result: allocated, exhausted (a cluster CIDR is full), failed.", "allocator", "result")
	rejectedTotal = set.CounterVec("rejected_node_cidrs_total",
		"Pod CIDRs found on a node that the controller does not accept, by reason (the Event's reason): PodCIDROutsideClusterCIDR, PodCIDRCollision, PodCIDRInvalid.", "reason")
	nodesWaiting = set.Gauge("nodes_waiting",
		"Nodes without pod CIDRs because a cluster CIDR is full; each is retried when a node CIDR is released.")
)

// RegisterMetrics adds the controller's metrics to the legacy registry,
// which the cloud-controller-manager serves on /metrics. New calls it.
// Kubernetes' CIDR set registers its own (node_ipam_controller_cidrset_*:
// allocations, releases, usage, max) there too.
func RegisterMetrics() {
	set.Register()
}
