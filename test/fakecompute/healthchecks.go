package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
	"slices"
)

// Legacy HTTP health checks (httpHealthChecks), the only kind a target pool
// accepts. Global.

// httpHealthCheckFields are the tunables with GCE's defaults and bounds.
var httpHealthCheckFields = []struct {
	json     string
	def      int64
	min, max int64
	get      func(*compute.HttpHealthCheck) *int64
}{
	{"port", 80, 1, 65535, func(h *compute.HttpHealthCheck) *int64 { return &h.Port }},
	{"checkIntervalSec", 5, 1, 300, func(h *compute.HttpHealthCheck) *int64 { return &h.CheckIntervalSec }},
	{"timeoutSec", 5, 1, 300, func(h *compute.HttpHealthCheck) *int64 { return &h.TimeoutSec }},
	{"healthyThreshold", 2, 1, 10, func(h *compute.HttpHealthCheck) *int64 { return &h.HealthyThreshold }},
	{"unhealthyThreshold", 2, 1, 10, func(h *compute.HttpHealthCheck) *int64 { return &h.UnhealthyThreshold }},
}

// normaliseHTTPHealthCheck fills absent fields with GCE's defaults and checks
// the result. A zero the body states explicitly is an error, not a default.
func normaliseHTTPHealthCheck(hc *compute.HttpHealthCheck, body []byte) error {
	if err := checkName(hc.Name); err != nil {
		return err
	}
	for _, f := range httpHealthCheckFields {
		v := f.get(hc)
		if *v == 0 && !containsField(body, f.json) {
			*v = f.def
		}
		if *v < f.min || *v > f.max {
			return errInvalid("Invalid value for field 'resource.%s': '%d'. Must be greater than or equal to %d and less than or equal to %d.", f.json, *v, f.min, f.max)
		}
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
	var in compute.HttpHealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := normaliseHTTPHealthCheck(&in, c.body); err != nil {
		return nil, err
	}
	k := GlobalKey(c.project, "httpHealthChecks", in.Name)
	return submitInsert(c, k, func(t *tx) error {
		if err := t.chargeQuota(c.s, QuotaHealthChecks, t.count(c.project, "httpHealthChecks", Global, ""), ""); err != nil {
			return err
		}
		hc := clone(&in)
		hc.Kind, hc.Id, hc.SelfLink, hc.CreationTimestamp = "compute#httpHealthCheck", t.newID(), k.SelfLink(), nowStamp()
		t.put(k, hc)
		return nil
	})
}

// updateHTTPHealthCheck is a PUT: absent fields go back to their defaults.
func updateHTTPHealthCheck(c *call) (any, error) {
	var in compute.HttpHealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = c.name
	}
	if err := normaliseHTTPHealthCheck(&in, c.body); err != nil {
		return nil, err
	}
	k := c.key()
	return c.s.ops.submit(c, k, "update", func(t *tx) error {
		cur, err := getAs[compute.HttpHealthCheck](t, k)
		if err != nil {
			return err
		}
		return replaceHTTPHealthCheck(t, k, cur, clone(&in))
	})
}

// patchHTTPHealthCheck merges the body into the stored check.
func patchHTTPHealthCheck(c *call) (any, error) {
	var in compute.HttpHealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	k := c.key()
	return c.s.ops.submit(c, k, "patch", func(t *tx) error {
		cur, err := getAs[compute.HttpHealthCheck](t, k)
		if err != nil {
			return err
		}
		next, err := mergePatch(cur, c.body)
		if err != nil {
			return err
		}
		if err := normaliseHTTPHealthCheck(next, c.body); err != nil {
			return err
		}
		return replaceHTTPHealthCheck(t, k, cur, next)
	})
}

func replaceHTTPHealthCheck(t *tx, k Key, cur, next *compute.HttpHealthCheck) error {
	if next.Name != cur.Name {
		return errInvalid("Invalid value for field 'resource.name': '%s'. The name of a health check cannot be changed.", next.Name)
	}
	next.Kind, next.Id, next.SelfLink, next.CreationTimestamp = cur.Kind, cur.Id, cur.SelfLink, cur.CreationTimestamp
	t.put(k, next)
	return nil
}

func getHTTPHealthCheck(c *call) (any, error) { return getResource[compute.HttpHealthCheck](c, nil) }

func listHTTPHealthChecks(c *call) (any, error) {
	return c.listTable("compute#httpHealthCheckList", c.key().Table())
}

// deleteHTTPHealthCheck refuses while a target pool uses the check: the
// upstream provider relies on that 400 to keep a shared check alive.
var deleteHTTPHealthCheck = deleteUnlessUsed(healthCheckUser)

func healthCheckUser(t *tx, k Key) string {
	var by string
	t.scan(k.Project, "targetPools", func(pk Key, o any) {
		if tp, ok := o.(*compute.TargetPool); ok && by == "" && slices.Contains(tp.HealthChecks, k.SelfLink()) {
			by = pk.Path()
		}
	})
	return by
}
