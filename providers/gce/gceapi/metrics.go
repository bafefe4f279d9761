package gceapi

import (
	"context"
	"errors"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/metricset"
)

var set = metricset.New("", "gce_api")

var (
	callDuration = set.HistogramVec("request_duration_seconds",
		"Latency of GCE API calls by call and result (success or the error kind), retries included.",
		[]float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}, "call", "result")
	attempts = set.CounterVec("requests_total",
		"HTTP requests sent to GCE by call and result; retries count separately.", "call", "result")
	opWait = set.HistogramVec("operation_wait_seconds",
		"Time from submitting a GCE mutation to its operation being DONE, by call and result (operation_timeout: the wait's bound passed).",
		[]float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}, "call", "result")
	limiterWait = set.HistogramVec("rate_limiter_wait_seconds",
		"Time calls spent waiting on the client-side rate limiter, by budget (read or mutation).",
		[]float64{0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60}, "budget")
	retries = set.CounterVec("retries_total",
		"GCE API calls sent again, by call and reason: a transport failure (attempt_timeout, connection_reset, "+
			"connection_refused, connection_closed, broken_pipe, eof, net_timeout, http2, network) or an error kind (rate_limited, unavailable).", "call", "reason")
	budgetPerSecond = set.GaugeVec("budget_per_second",
		"The client-side budget of calls per second, by budget (read or mutation): the configured ceiling, "+
			"lowered when GCE answers rateLimitExceeded (the project's quota is shared) and raised slowly while calls succeed.", "budget")
	budgetDecreases = set.CounterVec("budget_decreases_total",
		"Times a client-side budget was lowered after GCE answered rateLimitExceeded, by budget (read or mutation).", "budget")
	opPolls = set.CounterVec("operation_polls_total",
		"Reads spent waiting on operations, by method (wait or list).", "method")
)

// RegisterMetrics adds the API layer's metrics to the legacy registry, which
// the cloud-controller-manager serves on /metrics.
func RegisterMetrics() {
	set.Register()
}

func resultLabel(err error) string {
	if err == nil {
		return "success"
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind.String()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return "canceled" // the caller's context ended
	}
	return "other"
}

func observe(call string, start time.Time, err error) error {
	callDuration.WithLabelValues(call, resultLabel(err)).Observe(time.Since(start).Seconds())
	return err
}
