package ipforward

import (
	"github.com/gce-ccm/gce-ccm/providers/gce/metricset"
)

var set = metricset.New("gce_ccm", "ipforward")

// Results of an attempt to turn canIpForward on (the result label).
const (
	resultEnabled = "enabled" // the update went through
	resultRefused = "refused" // GCE's final no: IAM permission, org policy, invalid
	resultFailed  = "failed"  // anything else; retried
)

var (
	nodesNotForwarding = set.Gauge("nodes_not_forwarding",
		"Nodes whose GCE VM does not have canIpForward, as last observed: pod traffic from them is dropped.")
	enableTotal = set.CounterVec("enable_total",
		"Attempts to turn canIpForward on for a node VM (412 re-reads included in one attempt), by result: enabled, refused (403 / org policy / 400), failed.", "result")
	resyncTotal = set.CounterVec("resyncs_total",
		"Periodic bulk reads of the project's VMs (one instances.aggregatedList each), by result: success or error.", "result")
)

// RegisterMetrics adds the controller's metrics to the legacy registry,
// which the cloud-controller-manager serves on /metrics. New calls it.
func RegisterMetrics() {
	set.Register()
}
