package fakecompute

// What the two kinds of health check share: legacy httpHealthChecks (target
// pools) and healthChecks (backend services).

// checkTiming is a health check tunable with GCE's default and bounds.
type checkTiming[T any] struct {
	json     string
	def      int64
	min, max int64
	get      func(*T) *int64
}

// timings are the tunables every kind of check has, with GCE's defaults
// and bounds, given where a kind keeps each.
func timings[T any](interval, timeout, healthy, unhealthy func(*T) *int64) []checkTiming[T] {
	return []checkTiming[T]{
		{"checkIntervalSec", 5, 1, 300, interval},
		{"timeoutSec", 5, 1, 300, timeout},
		{"healthyThreshold", 2, 1, 10, healthy},
		{"unhealthyThreshold", 2, 1, 10, unhealthy},
	}
}

// normaliseTimings checks a check's name and fills its absent tunables
// with their defaults, then checks their bounds. A zero the body states
// explicitly is an error, not a default.
func normaliseTimings[T any](hc *T, name string, fields []checkTiming[T], body []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	for _, f := range fields {
		v := f.get(hc)
		if *v == 0 && !containsField(body, f.json) {
			*v = f.def
		}
		if *v < f.min || *v > f.max {
			return errInvalid("Invalid value for field 'resource.%s': '%d'. Must be greater than or equal to %d and less than or equal to %d.", f.json, *v, f.min, f.max)
		}
	}
	return nil
}

// insertCheck is the insert of either kind: normalised, charged to the one
// health check quota (used: how many checks the project has), stamped and
// stored.
func insertCheck[T any](c *call, normalise func(hc *T, body []byte) error, used func(t *tx) int) (any, error) {
	prepare := func(hc *T) (struct{}, error) { return struct{}{}, normalise(hc, c.body) }
	return insertAs(c, prepare, func(t *tx, k Key, hc *T, _ struct{}) error {
		if err := t.chargeQuota(c.s, QuotaHealthChecks, used(t), ""); err != nil {
			return err
		}
		c.s.stamp(t, k, hc)
		t.put(k, hc)
		return nil
	})
}
