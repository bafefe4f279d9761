package ipforward

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const (
	namespace = "gce_ccm"
	subsystem = "ipforward"
)

// Results of an attempt to turn canIpForward on (the result label).
const (
	resultEnabled = "enabled" // the update went through
	resultRefused = "refused" // GCE's final no: IAM permission, org policy, invalid
	resultFailed  = "failed"  // anything else; retried
)

var (
	nodesNotForwarding = metrics.NewGauge(&metrics.GaugeOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "nodes_not_forwarding",
		Help:           "Nodes whose GCE VM does not have canIpForward, as last observed: pod traffic from them is dropped.",
		StabilityLevel: metrics.ALPHA,
	})
	enableTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "enable_total",
		Help:           "Attempts to turn canIpForward on for a node VM (412 re-reads included in one attempt), by result: enabled, refused (403 / org policy / 400), failed.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})
	resyncTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace: namespace, Subsystem: subsystem, Name: "resyncs_total",
		Help:           "Periodic bulk reads of the project's VMs (one instances.aggregatedList each), by result: success or error.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"result"})
)

var registerOnce sync.Once

// RegisterMetrics adds the controller's metrics to the legacy registry,
// which the cloud-controller-manager serves on /metrics. New calls it.
func RegisterMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(nodesNotForwarding, enableTotal, resyncTotal)
	})
}
