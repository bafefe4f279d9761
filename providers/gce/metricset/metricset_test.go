package metricset

import (
	"testing"

	"k8s.io/component-base/metrics/legacyregistry"
)

// TestRegisterOnceWithFullNames: metrics are named namespace_subsystem_name
// (subsystem_name without a namespace), keep their help and labels, and a
// second Register is a no-op (MustRegister would panic on a duplicate).
func TestRegisterOnceWithFullNames(t *testing.T) {
	s := New("test_ns", "metricset")
	c := s.CounterVec("things_total", "Things.", "result")
	g := s.Gauge("level", "Level.")
	h := New("", "metricset_bare").HistogramVec("wait_seconds", "Waits.", []float64{1, 2}, "call")
	s.Register()
	s.Register()
	c.WithLabelValues("ok").Inc()
	g.Set(3)
	h.WithLabelValues("x").Observe(1) // not registered: a no-op
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		got[f.GetName()] = f.GetHelp()
	}
	for name, help := range map[string]string{"test_ns_metricset_things_total": "[ALPHA] Things.", "test_ns_metricset_level": "[ALPHA] Level."} {
		if got[name] != help {
			t.Errorf("%s: help %q, want %q (registered: %v)", name, got[name], help, got)
		}
	}
	if _, ok := got["metricset_bare_wait_seconds"]; ok {
		t.Error("a set that was not registered is served")
	}
}
