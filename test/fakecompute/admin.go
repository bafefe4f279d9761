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

// serveAdmin is the admin route table: JSON in, JSON out.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, adminPrefix)
	val, err := s.admin(r.Method+" "+path, r)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	writeJSON(w, http.StatusOK, val)
}

func (s *Server) admin(route string, r *http.Request) (any, error) {
	switch route {
	case "GET healthz":
		return map[string]string{"status": "ok"}, nil
	case "POST reset":
		s.Reset()
		return map[string]string{"status": "reset"}, nil
	case "POST instances":
		var seeds []InstanceSeed
		if err := readJSON(r, &seeds); err != nil {
			return nil, err
		}
		insts, err := s.SeedInstances(seeds...)
		if err != nil {
			return nil, errInvalid("%v", err)
		}
		return insts, nil
	case "POST instances/delete":
		var req struct{ Zone, Name string }
		if err := readJSON(r, &req); err != nil {
			return nil, err
		}
		return map[string]string{"status": "deleted"}, s.DeleteInstanceNow(req.Zone, req.Name)
	case "POST instances/status":
		var req struct{ Zone, Name, Status string }
		if err := readJSON(r, &req); err != nil {
			return nil, err
		}
		return map[string]string{"status": req.Status}, s.SetInstanceStatus(req.Zone, req.Name, req.Status)
	case "GET settings":
		return s.Settings(), nil
	case "PUT settings":
		var st Settings
		if err := readJSON(r, &st); err != nil {
			return nil, err
		}
		if st.OperationLatency < 0 {
			return nil, errInvalid("operationLatency must not be negative")
		}
		s.SetOperationLatency(time.Duration(st.OperationLatency))
		s.SetRateLimits(st.RateLimits)
		for _, m := range sortedKeys(s.Quotas()) {
			s.SetQuota(m, -1)
		}
		for m, v := range st.Quotas {
			s.SetQuota(m, v)
		}
		return s.Settings(), nil
	case "GET faults":
		return s.Faults(), nil
	case "PUT faults":
		var rules []FaultRule
		if err := readJSON(r, &rules); err != nil {
			return nil, err
		}
		if err := s.SetFaults(rules...); err != nil {
			return nil, errInvalid("%v", err)
		}
		return s.Faults(), nil
	case "POST faults":
		var rule FaultRule
		if err := readJSON(r, &rule); err != nil {
			return nil, err
		}
		if err := s.AddFault(rule); err != nil {
			return nil, errInvalid("%v", err)
		}
		return s.Faults(), nil
	case "GET stats":
		return s.Stats(), nil
	case "POST stats/reset":
		s.ResetStats()
		return s.Stats(), nil
	case "GET log":
		return s.RequestLog(), nil
	case "GET state":
		return s.Dump(), nil
	case "GET state/generation":
		return map[string]uint64{"generation": s.Generation()}, nil
	}
	return nil, &apiError{Code: http.StatusNotFound, Reason: "notFound", Message: fmt.Sprintf("no admin route %q", route)}
}

func readJSON(r *http.Request, into any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		return errBadJSON(err)
	}
	return nil
}
