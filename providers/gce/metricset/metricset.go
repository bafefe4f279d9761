// Package metricset declares a component's metrics under one namespace
// and subsystem and registers them, once, in the legacy registry that the
// cloud-controller-manager serves on /metrics. The API layer, the load
// balancers, drift (repairs and orphans) and each controller of gce-ccm
// have one set.
package metricset

import (
	"sync"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// Set is the metrics of one component. Its metrics are ALPHA: their names
// and labels may still change between releases.
type Set struct {
	namespace, subsystem string
	all                  []metrics.Registerable
	once                 sync.Once
}

// New is an empty set whose metrics are named namespace_subsystem_<name>
// (an empty namespace is left out).
func New(namespace, subsystem string) *Set { return &Set{namespace: namespace, subsystem: subsystem} }

func add[M metrics.Registerable](s *Set, m M) M {
	s.all = append(s.all, m)
	return m
}

// CounterVec declares a counter with labels.
func (s *Set) CounterVec(name, help string, labels ...string) *metrics.CounterVec {
	return add(s, metrics.NewCounterVec(&metrics.CounterOpts{Namespace: s.namespace, Subsystem: s.subsystem, Name: name,
		Help: help, StabilityLevel: metrics.ALPHA}, labels))
}

// Gauge declares a gauge.
func (s *Set) Gauge(name, help string) *metrics.Gauge {
	return add(s, metrics.NewGauge(&metrics.GaugeOpts{Namespace: s.namespace, Subsystem: s.subsystem, Name: name,
		Help: help, StabilityLevel: metrics.ALPHA}))
}

// GaugeVec declares a gauge with labels.
func (s *Set) GaugeVec(name, help string, labels ...string) *metrics.GaugeVec {
	return add(s, metrics.NewGaugeVec(&metrics.GaugeOpts{Namespace: s.namespace, Subsystem: s.subsystem, Name: name,
		Help: help, StabilityLevel: metrics.ALPHA}, labels))
}

// HistogramVec declares a histogram with labels.
func (s *Set) HistogramVec(name, help string, buckets []float64, labels ...string) *metrics.HistogramVec {
	return add(s, metrics.NewHistogramVec(&metrics.HistogramOpts{Namespace: s.namespace, Subsystem: s.subsystem, Name: name,
		Help: help, Buckets: buckets, StabilityLevel: metrics.ALPHA}, labels))
}

// Register adds every metric of the set to the legacy registry; calls
// after the first do nothing.
func (s *Set) Register() {
	s.once.Do(func() { legacyregistry.MustRegister(s.all...) })
}
