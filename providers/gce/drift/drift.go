// Package drift counts the repairs of what changed in GCE behind the
// controller's back and the orphans it collected, and names the Events that
// report them. Every reconciler that compares GCE with what should exist
// (routes, load balancers, node VMs) reports here, so one pair of metrics
// on /metrics shows all drift.
package drift

import (
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/gce-ccm/gce-ccm/providers/gce/metricset"
)

// Kind is what was repaired or collected.
type Kind string

// The kinds of drift, one per object (or part of one) that can change in GCE.
const (
	Route          Kind = "route"
	Rule           Kind = "rule"         // a forwarding rule, external or internal
	PoolMembers    Kind = "pool-members" // a target pool's instances
	PoolCheck      Kind = "pool-check"   // a target pool's health check
	BackendService Kind = "backend-service"
	GroupMembers   Kind = "group-members" // a zone's instance group (internal load balancers) or its instances
	Firewall       Kind = "firewall"
	Check          Kind = "check" // a health check, legacy (external) or not (internal)
	Address        Kind = "address"
	IPForward      Kind = "ipforward" // a node VM's canIpForward
)

// Event reasons.
const (
	ReasonRouteRepaired        = "RouteRepaired"
	ReasonLoadBalancerRepaired = "LoadBalancerRepaired"
	ReasonOrphanCollected      = "OrphanCollected"
)

var set = metricset.New("", "gce_ccm")

var (
	repairs = set.CounterVec("drift_repairs_total",
		"Objects found changed or missing in GCE and repaired, by kind (route, rule, pool-members, pool-check, backend-service, group-members, firewall, check, address, ipforward).", "kind")
	orphans = set.CounterVec("orphans_collected_total",
		"GCE objects of this cluster whose owner no longer wants them, deleted by the collector, by kind.", "kind")
)

// Register adds the metrics to the legacy registry (the CCM's /metrics);
// counting registers them too.
func Register() { set.Register() }

// Repaired counts one repair.
func Repaired(k Kind) {
	Register()
	repairs.WithLabelValues(string(k)).Inc()
}

// Collected counts one orphan deleted.
func Collected(k Kind) {
	Register()
	orphans.WithLabelValues(string(k)).Inc()
}

// Repairs reads the repair counter of one kind (tests and benchmarks
// compare it before and after).
func Repairs(k Kind) float64 { return read("gce_ccm_drift_repairs_total", k) }

// Collections reads the orphan counter of one kind.
func Collections(k Kind) float64 { return read("gce_ccm_orphans_collected_total", k) }

func read(name string, k Kind) float64 {
	Register()
	mfs, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == string(k) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// Finding is one thing found wrong in GCE and put right.
type Finding struct {
	Kind Kind
	What string // for the Event and the log: the object and what was wrong
}
