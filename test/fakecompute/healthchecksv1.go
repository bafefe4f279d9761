package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// Health checks of the current kind (healthChecks, global, and
// regionHealthChecks, which share the collection name "healthChecks" in a
// region), the only kind a backend service accepts. The emulator serves
// the TCP, HTTP and HTTPS types.

// healthCheckTimings are the tunables shared by every type, with GCE's
// defaults and bounds.
var healthCheckTimings = []struct {
	json     string
	def      int64
	min, max int64
	get      func(*compute.HealthCheck) *int64
}{
	{"checkIntervalSec", 5, 1, 300, func(h *compute.HealthCheck) *int64 { return &h.CheckIntervalSec }},
	{"timeoutSec", 5, 1, 300, func(h *compute.HealthCheck) *int64 { return &h.TimeoutSec }},
	{"healthyThreshold", 2, 1, 10, func(h *compute.HealthCheck) *int64 { return &h.HealthyThreshold }},
	{"unhealthyThreshold", 2, 1, 10, func(h *compute.HealthCheck) *int64 { return &h.UnhealthyThreshold }},
}

// normaliseHealthCheck fills absent fields with GCE's defaults and checks
// the result: the type's own block (and no other) with its default port.
func normaliseHealthCheck(hc *compute.HealthCheck, body []byte) error {
	if err := checkName(hc.Name); err != nil {
		return err
	}
	for _, f := range healthCheckTimings {
		v := f.get(hc)
		if *v == 0 && !containsField(body, f.json) {
			*v = f.def
		}
		if *v < f.min || *v > f.max {
			return errInvalid("Invalid value for field 'resource.%s': '%d'. Must be greater than or equal to %d and less than or equal to %d.", f.json, *v, f.min, f.max)
		}
	}
	if hc.TimeoutSec > hc.CheckIntervalSec {
		return errInvalid("Invalid value for field 'resource.timeoutSec': '%d'. TimeoutSec should be less than or equal to checkIntervalSec (%d).", hc.TimeoutSec, hc.CheckIntervalSec)
	}
	blocks := map[string]bool{"TCP": hc.TcpHealthCheck != nil, "HTTP": hc.HttpHealthCheck != nil, "HTTPS": hc.HttpsHealthCheck != nil,
		"SSL": hc.SslHealthCheck != nil, "HTTP2": hc.Http2HealthCheck != nil, "GRPC": hc.GrpcHealthCheck != nil}
	switch hc.Type {
	case "":
		return errRequired("resource.type")
	case "TCP", "HTTP", "HTTPS":
	case "SSL", "HTTP2", "GRPC":
		return errInvalid("Invalid value for field 'resource.type': '%s'. This emulator serves TCP, HTTP and HTTPS health checks.", hc.Type)
	default:
		return errInvalid("Invalid value for field 'resource.type': '%s'. Must be one of [TCP, SSL, HTTP, HTTPS, HTTP2, GRPC].", hc.Type)
	}
	for typ, set := range blocks {
		if set && typ != hc.Type {
			return errInvalid("Invalid value for field 'resource.type': '%s'. The health check of type %s cannot have a %s block.", hc.Type, hc.Type, typ)
		}
	}
	switch hc.Type {
	case "TCP":
		if hc.TcpHealthCheck == nil {
			hc.TcpHealthCheck = &compute.TCPHealthCheck{}
		}
		return normaliseCheckPort("tcpHealthCheck", &hc.TcpHealthCheck.Port, &hc.TcpHealthCheck.PortSpecification, 80)
	case "HTTP":
		if hc.HttpHealthCheck == nil {
			hc.HttpHealthCheck = &compute.HTTPHealthCheck{}
		}
		h := hc.HttpHealthCheck
		if err := normaliseRequestPath("httpHealthCheck", &h.RequestPath); err != nil {
			return err
		}
		return normaliseCheckPort("httpHealthCheck", &h.Port, &h.PortSpecification, 80)
	}
	if hc.HttpsHealthCheck == nil {
		hc.HttpsHealthCheck = &compute.HTTPSHealthCheck{}
	}
	h := hc.HttpsHealthCheck
	if err := normaliseRequestPath("httpsHealthCheck", &h.RequestPath); err != nil {
		return err
	}
	return normaliseCheckPort("httpsHealthCheck", &h.Port, &h.PortSpecification, 443)
}

// normaliseCheckPort: USE_FIXED_PORT (the default) with the type's
// default port; USE_SERVING_PORT takes no port.
func normaliseCheckPort(block string, port *int64, spec *string, def int64) error {
	switch *spec {
	case "", "USE_FIXED_PORT":
		*spec = "USE_FIXED_PORT"
		if *port == 0 {
			*port = def
		}
	case "USE_SERVING_PORT":
		if *port != 0 {
			return errInvalid("Invalid value for field 'resource.%s.port': '%d'. A port cannot be given with portSpecification USE_SERVING_PORT.", block, *port)
		}
		return nil
	case "USE_NAMED_PORT":
		return errInvalid("Invalid value for field 'resource.%s.portSpecification': 'USE_NAMED_PORT'. This emulator serves USE_FIXED_PORT and USE_SERVING_PORT.", block)
	default:
		return errInvalid("Invalid value for field 'resource.%s.portSpecification': '%s'. Must be one of [USE_FIXED_PORT, USE_NAMED_PORT, USE_SERVING_PORT].", block, *spec)
	}
	if *port < 1 || *port > 65535 {
		return errInvalid("Invalid value for field 'resource.%s.port': '%d'. Must be greater than or equal to 1 and less than or equal to 65535.", block, *port)
	}
	return nil
}

func normaliseRequestPath(block string, path *string) error {
	if *path == "" {
		*path = "/"
	}
	if (*path)[0] != '/' {
		return errInvalid("Invalid value for field 'resource.%s.requestPath': '%s'. The request path must start with '/'.", block, *path)
	}
	return nil
}

// insertHealthCheck serves healthChecks.insert and regionHealthChecks.insert.
func insertHealthCheck(c *call) (any, error) {
	var in compute.HealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if err := normaliseHealthCheck(&in, c.body); err != nil {
		return nil, err
	}
	k := c.key()
	k.Name = in.Name
	return submitInsert(c, k, func(t *tx) error {
		used := t.count(c.project, "healthChecks", Global, "") + t.count(c.project, "healthChecks", Regional, "")
		if err := t.chargeQuota(c.s, QuotaHealthChecks, used, ""); err != nil {
			return err
		}
		hc := clone(&in)
		hc.Kind, hc.Id, hc.SelfLink, hc.CreationTimestamp = "compute#healthCheck", t.newID(), k.SelfLink(), nowStamp()
		hc.Region = k.ScopeLink()
		t.put(k, hc)
		return nil
	})
}

// updateHealthCheck is a PUT: absent fields go back to their defaults.
func updateHealthCheck(c *call) (any, error) {
	var in compute.HealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		in.Name = c.name
	}
	if err := normaliseHealthCheck(&in, c.body); err != nil {
		return nil, err
	}
	return submitModify(c, "update", func(_ *tx, next *compute.HealthCheck) error {
		return replaceHealthCheck(next, &in)
	})
}

// patchHealthCheck merges the body into the stored check; a patch that
// changes the type must bring the new type's block.
func patchHealthCheck(c *call) (any, error) {
	var in compute.HealthCheck
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	return submitModify(c, "patch", func(_ *tx, next *compute.HealthCheck) error {
		merged, err := mergePatch(next, c.body)
		if err != nil {
			return err
		}
		if in.Type != "" && in.Type != next.Type {
			// The old type's block does not carry over to the new type.
			merged.TcpHealthCheck, merged.HttpHealthCheck, merged.HttpsHealthCheck = in.TcpHealthCheck, in.HttpHealthCheck, in.HttpsHealthCheck
		}
		if err := normaliseHealthCheck(merged, c.body); err != nil {
			return err
		}
		return replaceHealthCheck(next, merged)
	})
}

// replaceHealthCheck copies in over cur, keeping what the server owns.
func replaceHealthCheck(cur, in *compute.HealthCheck) error {
	if in.Name != cur.Name {
		return errInvalid("Invalid value for field 'resource.name': '%s'. The name of a health check cannot be changed.", in.Name)
	}
	kind, id, link, stamp, region := cur.Kind, cur.Id, cur.SelfLink, cur.CreationTimestamp, cur.Region
	*cur = *clone(in)
	cur.Kind, cur.Id, cur.SelfLink, cur.CreationTimestamp, cur.Region = kind, id, link, stamp, region
	return nil
}

func getHealthCheck(c *call) (any, error) { return getResource[compute.HealthCheck](c, nil) }

func listHealthChecks(c *call) (any, error) {
	return c.listTable("compute#healthCheckList", c.key().Table())
}

// deleteHealthCheck refuses while a backend service uses the check.
var deleteHealthCheck = deleteUnlessUsed(backendServiceUserOfCheck)

func backendServiceUserOfCheck(t *tx, hk Key) string {
	var by string
	t.scan(hk.Project, "backendServices", func(bk Key, o any) {
		bs, ok := o.(*compute.BackendService)
		if !ok || by != "" {
			return
		}
		for _, l := range bs.HealthChecks {
			if l == hk.SelfLink() {
				by = bk.Path()
			}
		}
	})
	return by
}
