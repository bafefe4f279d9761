package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// Legacy HTTP health checks (httpHealthChecks), the only kind a target pool
// accepts. Global.

// httpHealthCheckFields are the tunables with GCE's defaults and bounds.
var httpHealthCheckFields = append([]checkTiming[compute.HttpHealthCheck]{
	{"port", 80, 1, 65535, func(h *compute.HttpHealthCheck) *int64 { return &h.Port }}},
	timings(func(h *compute.HttpHealthCheck) *int64 { return &h.CheckIntervalSec },
		func(h *compute.HttpHealthCheck) *int64 { return &h.TimeoutSec },
		func(h *compute.HttpHealthCheck) *int64 { return &h.HealthyThreshold },
		func(h *compute.HttpHealthCheck) *int64 { return &h.UnhealthyThreshold })...)

// normaliseHTTPHealthCheck fills absent fields with GCE's defaults and checks
// the result. A zero the body states explicitly is an error, not a default.
func normaliseHTTPHealthCheck(hc *compute.HttpHealthCheck, body []byte) error {
	if err := normaliseTimings(hc, hc.Name, httpHealthCheckFields, body); err != nil {
		return err
	}
	if hc.RequestPath == "" {
		hc.RequestPath = "/"
	}
	if hc.RequestPath[0] != '/' {
		return errInvalid("Invalid value for field 'resource.requestPath': '%s'. The request path must start with '/'.", hc.RequestPath)
	}
	if hc.TimeoutSec > hc.CheckIntervalSec {
		return errInvalid("Invalid value for field 'resource.timeoutSec': '%d'. TimeoutSec should be less than or equal to checkIntervalSec (%d).", hc.TimeoutSec, hc.CheckIntervalSec)
	}
	return nil
}

func insertHTTPHealthCheck(c *call) (any, error) {
	return insertCheck(c, normaliseHTTPHealthCheck, func(t *tx) int { return t.count(c.project, "httpHealthChecks", Global, "") })
}

// normaliseHTTPHealthCheckWrite checks a check written by update (absent
// fields go back to their defaults) or patch.
func normaliseHTTPHealthCheckWrite(c *call, _ *tx, _, next any, _ bool) error {
	return normaliseHTTPHealthCheck(next.(*compute.HttpHealthCheck), c.body)
}
