package fakecompute

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// adminPrefix is where the emulator's own API lives, apart from GCE's.
const adminPrefix = "/_internal/"

// adminEndpoint is one method of the admin surface: JSON in, JSON out. Its
// handler reads the request from c.r; there is no project or scope.
type adminEndpoint struct {
	method, path string
	h            handler
}

// adminEndpoints is the admin surface. It goes into the server's endpoint
// table beside the API; unlike the API it bypasses auth, rate limits,
// faults and counters.
func adminEndpoints() []adminEndpoint {
	ok := func(status string, do func(c *call) error) handler {
		return func(c *call) (any, error) { return map[string]string{"status": status}, do(c) }
	}
	return []adminEndpoint{
		{"GET", "healthz", ok("ok", func(*call) error { return nil })},
		{"POST", "reset", ok("reset", func(c *call) error { c.s.Reset(); return nil })},
		{"POST", "instances", seedInstancesAdmin},
		{"POST", "instances/delete", func(c *call) (any, error) {
			var req struct{ Zone, Name string }
			if err := readJSON(c.r, &req); err != nil {
				return nil, err
			}
			return map[string]string{"status": "deleted"}, c.s.DeleteInstanceNow(req.Zone, req.Name)
		}},
		{"POST", "instances/status", func(c *call) (any, error) {
			var req struct{ Zone, Name, Status string }
			if err := readJSON(c.r, &req); err != nil {
				return nil, err
			}
			return map[string]string{"status": req.Status}, c.s.SetInstanceStatus(req.Zone, req.Name, req.Status)
		}},
		{"GET", "settings", func(c *call) (any, error) { return c.s.Settings(), nil }},
		{"PUT", "settings", putSettings},
		{"GET", "faults", func(c *call) (any, error) { return c.s.Faults(), nil }},
		{"PUT", "faults", func(c *call) (any, error) {
			var rules []FaultRule
			if err := readJSON(c.r, &rules); err != nil {
				return nil, err
			}
			if err := c.s.SetFaults(rules...); err != nil {
				return nil, errInvalid("%v", err)
			}
			return c.s.Faults(), nil
		}},
		{"POST", "faults", func(c *call) (any, error) {
			var rule FaultRule
			if err := readJSON(c.r, &rule); err != nil {
				return nil, err
			}
			if err := c.s.AddFault(rule); err != nil {
				return nil, errInvalid("%v", err)
			}
			return c.s.Faults(), nil
		}},
		{"GET", "stats", func(c *call) (any, error) { return c.s.Stats(), nil }},
		{"POST", "stats/reset", func(c *call) (any, error) { c.s.ResetStats(); return c.s.Stats(), nil }},
		{"GET", "log", func(c *call) (any, error) { return c.s.RequestLog(), nil }},
		{"GET", "permissions", func(c *call) (any, error) { return c.s.PermissionTrace(), nil }},
		{"POST", "permissions/reset", func(c *call) (any, error) { c.s.perms.reset(); return c.s.PermissionTrace(), nil }},
		{"GET", "state", func(c *call) (any, error) { return c.s.Dump(), nil }},
		{"GET", "state/generation", func(c *call) (any, error) {
			return map[string]uint64{"generation": c.s.Generation()}, nil
		}},
	}
}

// serveAdmin answers the admin surface from the endpoint table.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	ep, ok := s.endpoints[r.Method+" "+r.URL.Path]
	if !ok {
		route := r.Method + " " + strings.TrimPrefix(r.URL.Path, adminPrefix)
		writeError(w, &apiError{Code: http.StatusNotFound, Reason: "notFound", Message: fmt.Sprintf("no admin route %q", route)})
		return
	}
	val, err := ep.h(&call{s: s, r: r, q: r.URL.Query()})
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	writeJSON(w, http.StatusOK, val)
}

func seedInstancesAdmin(c *call) (any, error) {
	var seeds []InstanceSeed
	if err := readJSON(c.r, &seeds); err != nil {
		return nil, err
	}
	insts, err := c.s.SeedInstances(seeds...)
	if err != nil {
		return nil, errInvalid("%v", err)
	}
	return insts, nil
}

func putSettings(c *call) (any, error) {
	var st Settings
	if err := readJSON(c.r, &st); err != nil {
		return nil, err
	}
	if st.OperationLatency < 0 {
		return nil, errInvalid("operationLatency must not be negative")
	}
	s := c.s
	s.SetOperationLatency(time.Duration(st.OperationLatency))
	s.SetRateLimits(st.RateLimits)
	for _, m := range sortedKeys(s.Quotas()) {
		s.SetQuota(m, -1)
	}
	for m, v := range st.Quotas {
		s.SetQuota(m, v)
	}
	return s.Settings(), nil
}

func readJSON(r *http.Request, into any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return errBadJSON(err)
	}
	return nil
}
