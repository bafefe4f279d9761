package lb

import (
	"errors"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/metricset"
)

// Load-balancer metrics, one set for both kinds (label kind: external or
// internal), beside the API layer's per-call gce_api_* metrics (which
// count every GCE read and write by call): how many syncs of each entry
// point ended how, and how long they took.

var set = metricset.New("gce_ccm", "loadbalancer")

// Results of a sync (the result label).
const (
	resultSuccess  = "success"
	resultInvalid  = "invalid"  // a Service field refused (LoadBalancerInvalid)
	resultConflict = "conflict" // a name held by someone else (LoadBalancerConflict)
	resultError    = "error"    // anything else: GCE, quota, a transient; retried
)

var (
	syncsTotal = set.CounterVec("syncs_total",
		"Load-balancer syncs by kind (external, internal), call (ensure, update, delete, repair: a periodic pass) and result (success, invalid, conflict, error).",
		"kind", "call", "result")
	// A sync that writes waits for 1-4 operations of ~1-10 s each.
	syncDuration = set.HistogramVec("sync_duration_seconds", "Duration of load-balancer syncs by kind and call, operation waits included.",
		[]float64{0.05, 0.25, 1, 2.5, 5, 10, 20, 40, 80, 160}, "kind", "call")
)

// RegisterMetrics adds the load balancer's metrics to the legacy registry,
// which the cloud-controller-manager serves on /metrics. New calls it.
func RegisterMetrics() {
	set.Register()
}

const (
	kindExternal = "external"
	kindInternal = "internal"
)

// kindOf is the kind of load balancer the Service asks for; a type value
// we do not serve is refused by the external path's checks, and counted
// there.
func kindOf(svc *v1.Service) string {
	if internal, err := plan.TypeOf(svc); err == nil && internal {
		return kindInternal
	}
	return kindExternal
}

// observeSync records one entry point's sync; a Service of another
// controller (ImplementedElsewhere) is not a sync.
func observeSync(kind, call string, start time.Time, err error) {
	if errors.Is(err, cloudprovider.ImplementedElsewhere) {
		return
	}
	syncDuration.WithLabelValues(kind, call).Observe(time.Since(start).Seconds())
	syncsTotal.WithLabelValues(kind, call, resultOf(err)).Inc()
}

func resultOf(err error) string {
	if err == nil {
		return resultSuccess
	}
	if r := refusalOf(err); r != "" {
		return r
	}
	return resultError
}
