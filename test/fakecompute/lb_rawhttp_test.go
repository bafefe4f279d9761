package fakecompute_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Raw requests: what no typed client can send (unknown fields, JSON null)
// and gcloud's exact bodies.

type lbRaw struct {
	status int
	body   map[string]any
}

func (r lbRaw) reason() string {
	errs, _ := r.body["error"].(map[string]any)["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	reason, _ := errs[0].(map[string]any)["reason"].(string)
	return reason
}

func (e *lbEnv) raw(method, path, body string) lbRaw {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.ts.URL+"/compute/v1/projects/demo/"+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := lbRaw{status: resp.StatusCode}
	if err := json.Unmarshal(b, &out.body); err != nil {
		e.t.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	return out
}

func TestLBUnknownFields(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("tp")
	// Names are matched exactly, at any depth, even in types whose Go
	// struct has its own UnmarshalJSON (TargetPool, ForwardingRule).
	cases := []struct{ method, path, body, want string }{
		{"POST", "global/firewalls", `{"name":"fw","allowed":[{"IPProtocol":"tcp"}],"sourceRange":["0.0.0.0/0"]}`, `"sourceRange" at 'resource'`},
		{"POST", "global/firewalls", `{"name":"fw","allowed":[{"IPProtocol":"tcp","port":["80"]}]}`, `"port" at 'resource.allowed[0]'`},
		{"PATCH", "global/firewalls/fw", `{"priorty":10}`, `"priorty"`},
		{"POST", "global/httpHealthChecks", `{"name":"hc","path":"/healthz"}`, `"path"`},
		{"POST", "regions/us-central1/addresses", `{"name":"a","ip":"34.118.0.9"}`, `"ip"`},
		{"POST", "regions/us-central1/targetPools", `{"name":"tp2","instance":["zones/us-central1-a/instances/node-a"]}`, `"instance"`},
		{"POST", "regions/us-central1/targetPools/tp/addInstance", `{"instances":[{"instanceRef":"zones/us-central1-a/instances/node-a"}]}`, `"instanceRef" at 'resource.instances[0]'`},
		{"POST", "regions/us-central1/targetPools/tp/addHealthCheck", `{"healthCheck":"global/httpHealthChecks/hc"}`, `"healthCheck"`},
		{"POST", "regions/us-central1/targetPools/tp/getHealth", `{"instance":"x","zone":"us-central1-a"}`, `"zone"`},
		{"POST", "regions/us-central1/forwardingRules", `{"name":"fr","target":"regions/us-central1/targetPools/tp","ipAddress":"34.118.0.9"}`, `"ipAddress"`},
		{"POST", "regions/us-central1/forwardingRules/fr/setTarget", `{"target":"regions/us-central1/targetPools/tp","force":true}`, `"force"`},
	}
	for _, tc := range cases {
		r := e.raw(tc.method, tc.path, tc.body)
		msg, _ := r.body["error"].(map[string]any)["message"].(string)
		if r.status != http.StatusBadRequest || r.reason() != "parseError" || !strings.Contains(msg, "Unknown name "+tc.want) {
			t.Errorf("%s %s %s: %d %v", tc.method, tc.path, tc.body, r.status, r.body)
		}
	}
	// Nothing was created by any of them.
	if r := e.raw("GET", "regions/us-central1/targetPools/tp", ""); r.body["instances"] != nil {
		t.Fatalf("pool changed: %v", r.body)
	}
}

// TestLBGcloudBodies replays the bodies gcloud sends (see
// reference/gce-rest-clients.md), links built on the emulator's own host.
func TestLBGcloudBodies(t *testing.T) {
	e := newLBEnv(t)
	base := e.ts.URL + "/compute/v1/"
	steps := []struct{ path, body string }{
		{"global/httpHealthChecks", `{"name":"hc","port":10256,"requestPath":"/healthz"}`},
		{"global/firewalls", `{"allowed":[{"IPProtocol":"tcp","ports":["80"]}],"logConfig":{"enable":false},"name":"fw","network":"projects/demo/global/networks/default","priority":1000,"sourceRanges":["0.0.0.0/0"],"targetTags":["node"]}`},
		{"regions/us-central1/targetPools", `{"name":"tp1","sessionAffinity":"NONE"}`},
		{"regions/us-central1/targetPools/tp1/addInstance", `{"instances":[{"instance":"` + base + `projects/demo/zones/us-central1-a/instances/node-a"}]}`},
		{"regions/us-central1/targetPools", `{"description":"","healthChecks":[],"instances":["` + base + `projects/demo/zones/us-central1-a/instances/node-b"],"name":"tp2","sessionAffinity":"NONE"}`},
		{"regions/us-central1/forwardingRules", `{"IPProtocol":"TCP","loadBalancingScheme":"EXTERNAL","name":"fr1","portRange":"80-80","target":"` + base + `projects/demo/regions/us-central1/targetPools/tp1"}`},
		{"regions/us-central1/addresses", `{"name":"vip","address":"34.118.0.200"}`},
		{"regions/us-central1/forwardingRules", `{"IPAddress":"34.118.0.200","loadBalancingScheme":"EXTERNAL","name":"fr2","portRange":"80","target":"` + base + `projects/demo/regions/us-central1/targetPools/tp2"}`},
	}
	for _, s := range steps {
		// GCE's first answer: RUNNING, progress 0; then DONE without error
		// (the emulator has no latency here).
		r := e.raw("POST", s.path, s.body)
		if r.status != http.StatusOK || r.body["kind"] != "compute#operation" || r.body["status"] != "RUNNING" || r.body["progress"] != 0.0 {
			t.Fatalf("POST %s: %d %v", s.path, r.status, r.body)
		}
		_, opPath, _ := strings.Cut(r.body["selfLink"].(string), "/projects/demo/")
		if op := e.raw("GET", opPath, ""); op.status != http.StatusOK || op.body["status"] != "DONE" || op.body["error"] != nil {
			t.Fatalf("GET %s after POST %s: %d %v", opPath, s.path, op.status, op.body)
		}
	}
	if got := e.getPool("tp1").Instances; len(got) != 1 || got[0] != lbInstanceLink("node-a") {
		t.Fatalf("tp1 instances %v", got)
	}
	if fr := e.getRule("fr2"); fr.GetIPAddress() != "34.118.0.200" || fr.GetPortRange() != "80-80" {
		t.Fatalf("fr2: %v", fr)
	}

	// JSON merge patch: null clears a field, absent keeps it.
	r := e.raw("PATCH", "global/firewalls/fw", `{"targetTags":null,"description":"open"}`)
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %v", r.status, r.body)
	}
	fw := e.raw("GET", "global/firewalls/fw", "").body
	if fw["targetTags"] != nil || fw["description"] != "open" || fw["priority"] != float64(1000) {
		t.Fatalf("patched rule: %v", fw)
	}
}
