package gceapi

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

const subsystem = "gce_api"

var (
	callDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem: subsystem, Name: "request_duration_seconds",
		Help:           "Latency of GCE API calls by call and result (success or the error kind), retries included.",
		Buckets:        []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		StabilityLevel: metrics.ALPHA,
	}, []string{"call", "result"})
	attempts = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem: subsystem, Name: "requests_total",
		Help:           "HTTP requests sent to GCE by call and result; retries count separately.",
		StabilityLevel: metrics.ALPHA,
	}, []string{"call", "result"})
	opWait = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem: subsystem, Name: "operation_wait_seconds",
		Help:           "Time from submitting a GCE mutation to its operation being DONE, by call and result (operation_timeout: the wait's bound passed).",
		Buckets:        []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300},
		StabilityLevel: metrics.ALPHA,
	}, []string{"call", "result"})
	limiterWait = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Subsystem: subsystem, Name: "rate_limiter_wait_seconds",
		Help:           "Time calls spent waiting on the client-side rate limiter, by budget (read or mutation).",
		Buckets:        []float64{0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60},
		StabilityLevel: metrics.ALPHA,
	}, []string{"budget"})
	retries = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem: subsystem, Name: "retries_total",
		Help: "GCE API calls sent again, by call and reason: a transport failure (attempt_timeout, connection_reset, " +
			"connection_refused, broken_pipe, eof, net_timeout, http2, network) or an error kind (rate_limited, unavailable).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"call", "reason"})
	opPolls = metrics.NewCounterVec(&metrics.CounterOpts{
		Subsystem: subsystem, Name: "operation_polls_total",
		Help:           "Reads spent waiting on operations, by method (wait or list).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"method"})
)

var registerOnce sync.Once

// RegisterMetrics adds the API layer's metrics to the legacy registry, which
// the cloud-controller-manager serves on /metrics.
func RegisterMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(callDuration, attempts, opWait, limiterWait, retries, opPolls)
	})
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
