package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// Health checks of the current kind (healthChecks, global, and
// regionHealthChecks, which share the collection name "healthChecks" in a
// region), the only kind a backend service accepts. The emulator serves
// the TCP, HTTP and HTTPS types.

// healthCheckTimings are the tunables shared by every type.
var healthCheckTimings = timings(func(h *compute.HealthCheck) *int64 { return &h.CheckIntervalSec },
	func(h *compute.HealthCheck) *int64 { return &h.TimeoutSec },
	func(h *compute.HealthCheck) *int64 { return &h.HealthyThreshold },
	func(h *compute.HealthCheck) *int64 { return &h.UnhealthyThreshold })

// normaliseHealthCheck fills absent fields with GCE's defaults and checks
// the result: the type's own block (and no other) with its default port.
func normaliseHealthCheck(hc *compute.HealthCheck, body []byte) error {
	if err := normaliseTimings(hc, hc.Name, healthCheckTimings, body); err != nil {
		return err
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
		h := orNew(&hc.TcpHealthCheck)
		return normaliseCheckPort("tcpHealthCheck", &h.Port, &h.PortSpecification, 80)
	case "HTTP":
		h := orNew(&hc.HttpHealthCheck)
		return normaliseHTTPBlock("httpHealthCheck", &h.RequestPath, &h.Port, &h.PortSpecification, 80)
	}
	h := orNew(&hc.HttpsHealthCheck)
	return normaliseHTTPBlock("httpsHealthCheck", &h.RequestPath, &h.Port, &h.PortSpecification, 443)
}

// orNew is the type's block, made empty if the body had none.
func orNew[T any](block **T) *T {
	if *block == nil {
		*block = new(T)
	}
	return *block
}

// normaliseHTTPBlock: an HTTP or HTTPS block's request path and port.
func normaliseHTTPBlock(block string, path *string, port *int64, spec *string, def int64) error {
	if err := normaliseRequestPath(block, path); err != nil {
		return err
	}
	return normaliseCheckPort(block, port, spec, def)
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
	return insertCheck(c, normaliseHealthCheck, func(t *tx) int {
		return t.count(c.project, "healthChecks", Global, "") + t.count(c.project, "healthChecks", Regional, "")
	})
}

// normaliseHealthCheckWrite checks a check written by update (absent fields
// go back to their defaults) or patch; a patch that changes the type must
// bring the new type's block, as the old one does not carry over.
func normaliseHealthCheckWrite(c *call, _ *tx, cur, next any, patch bool) error {
	hc := next.(*compute.HealthCheck)
	if patch {
		var in compute.HealthCheck
		if err := decode(c.body, &in); err != nil {
			return err
		}
		if in.Type != "" && in.Type != cur.(*compute.HealthCheck).Type {
			hc.TcpHealthCheck, hc.HttpHealthCheck, hc.HttpsHealthCheck = in.TcpHealthCheck, in.HttpHealthCheck, in.HttpsHealthCheck
		}
	}
	return normaliseHealthCheck(hc, c.body)
}
