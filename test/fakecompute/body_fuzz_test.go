package fakecompute_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	gce "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// bodyVerbs are the request bodies the emulator reads: every insert, patch
// and action a cloud controller, terraform or gcloud sends.
var bodyVerbs = []struct{ method, path string }{
	{"POST", "global/routes"},
	{"POST", "global/firewalls"},
	{"PATCH", "global/firewalls/fw"},
	{"PUT", "global/firewalls/fw"},
	{"POST", "global/httpHealthChecks"},
	{"PATCH", "global/httpHealthChecks/hc"},
	{"POST", "regions/us-central1/addresses"},
	{"POST", "regions/us-central1/addresses/addr/setLabels"},
	{"POST", "regions/us-central1/targetPools"},
	{"POST", "regions/us-central1/targetPools/tp/addInstance"},
	{"POST", "regions/us-central1/targetPools/tp/removeInstance"},
	{"POST", "regions/us-central1/targetPools/tp/addHealthCheck"},
	{"POST", "regions/us-central1/targetPools/tp/removeHealthCheck"},
	{"POST", "regions/us-central1/targetPools/tp/setBackup"},
	{"POST", "regions/us-central1/forwardingRules"},
	{"POST", "regions/us-central1/forwardingRules/fr/setTarget"},
	{"POST", "regions/us-central1/forwardingRules/fr/setLabels"},
	{"PUT", "zones/us-central1-a/instances/vm"},
	{"POST", "zones/us-central1-a/instances/vm/setTags"},
	{"POST", "zones/us-central1-a/instances/vm/setLabels"},
	{"POST", "global/networks"},
}

// bodyLists are the collections read back after every fuzzed request.
var bodyLists = []string{"global/routes", "global/firewalls", "global/httpHealthChecks", "global/networks",
	"regions/us-central1/addresses", "regions/us-central1/targetPools", "regions/us-central1/forwardingRules",
	"zones/us-central1-a/instances"}

func bodyServer(t *testing.T) *fakecompute.Server {
	s := fakecompute.New(fakecompute.Options{Project: "demo"})
	if _, err := s.SeedInstances(fakecompute.InstanceSeed{Name: "vm", Zone: "us-central1-a", Tags: []string{"n"}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, body string }{
		{"global/firewalls", `{"name":"fw","network":"global/networks/default","allowed":[{"IPProtocol":"tcp","ports":["80"]}],"sourceRanges":["0.0.0.0/0"]}`},
		{"global/httpHealthChecks", `{"name":"hc","port":10256,"requestPath":"/healthz"}`},
		{"regions/us-central1/addresses", `{"name":"addr"}`},
		{"regions/us-central1/targetPools", `{"name":"tp","instances":["zones/us-central1-a/instances/vm"]}`},
		{"regions/us-central1/targetPools", `{"name":"tp2"}`},
		{"regions/us-central1/forwardingRules", `{"name":"fr","IPProtocol":"TCP","portRange":"80","target":"regions/us-central1/targetPools/tp"}`},
	} {
		if code, body := bodyDo(s, "POST", c.path, c.body); code != http.StatusOK {
			t.Fatalf("setup %s: %d %s", c.path, code, body)
		}
	}
	return s
}

func bodyDo(s *fakecompute.Server, method, path, body string) (int, string) {
	req := httptest.NewRequest(method, "/compute/v1/projects/demo/"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// FuzzRequestBody: any body on any verb is answered with 200 and an
// operation, or with a 4xx GCE error that has a reason; never a 5xx or a
// panic. Whatever it did, every collection still lists and decodes into
// the client library's types: no request can store a resource the real
// clients cannot read back.
func FuzzRequestBody(f *testing.F) {
	seeds := []string{
		`{}`, `null`, `[]`, `"x"`, `{"name":""}`, `{"name":"UPPER"}`,
		`{"name":"r1","network":"global/networks/default","destRange":"10.0.0.0/24","nextHopInstance":"zones/us-central1-a/instances/vm","priority":1000}`,
		`{"name":"r2","network":"global/networks/default","destRange":"10.0.0.5/24","nextHopInstance":"zones/us-central1-a/instances/vm"}`,
		`{"name":"f2","network":"global/networks/default","allowed":[{"IPProtocol":"tcp","ports":["1-65536"]}]}`,
		`{"sourceRanges":["not-a-cidr"]}`,
		`{"instances":[{"instance":"zones/us-central1-a/instances/vm"}]}`,
		`{"instances":[{"instance":"zones/us-central1-a/instances/nope"}]}`,
		`{"healthChecks":[{"healthCheck":"global/httpHealthChecks/hc"}]}`,
		`{"target":"regions/us-central1/targetPools/tp2"}`,
		`{"target":""}`,
		`{"labels":{"a":"b"},"labelFingerprint":"42WmSpB8rSM="}`,
		`{"items":["a","b"],"fingerprint":"x"}`,
		`{"name":"fr2","IPProtocol":"UDP","portRange":"53-53","target":"regions/us-central1/targetPools/tp","IPAddress":"999.1.1.1"}`,
		`{"name":"a2","address":"10.0.0.1","addressType":"EXTERNAL"}`,
		`{"name":"n2","autoCreateSubnetworks":false}`,
		`{"name":"x","unknownField":1}`,
		`{"name":1}`,
		`{"name":"x"`,
		"\xff",
		`{"priority":-1,"name":"r3","network":"global/networks/default","destRange":"10.0.0.0/24","nextHopGateway":"global/gateways/default-internet-gateway"}`,
	}
	for i := range bodyVerbs {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, verb uint8, body string) {
		s := bodyServer(t)
		v := bodyVerbs[int(verb)%len(bodyVerbs)]
		code, resp := bodyDo(s, v.method, v.path, body)
		switch {
		case code == http.StatusOK:
			var op gce.Operation
			if err := json.Unmarshal([]byte(resp), &op); err != nil || op.Name == "" {
				t.Fatalf("%s %s %q: 200 without an operation: %s", v.method, v.path, body, resp)
			}
		case code >= 400 && code < 500:
			var e struct {
				Error struct {
					Code   int
					Errors []struct{ Reason, Message string }
				}
			}
			if err := json.Unmarshal([]byte(resp), &e); err != nil || e.Error.Code != code || len(e.Error.Errors) == 0 || e.Error.Errors[0].Reason == "" {
				t.Fatalf("%s %s %q: %d without a GCE error body: %s", v.method, v.path, body, code, resp)
			}
		default:
			t.Fatalf("%s %s %q: answered %d: %s", v.method, v.path, body, code, resp)
		}
		for _, l := range bodyLists {
			code, resp := bodyDo(s, "GET", l, "")
			if code != http.StatusOK {
				t.Fatalf("after %s %s %q: list %s: %d %s", v.method, v.path, body, l, code, resp)
			}
			var out struct{ Items []json.RawMessage }
			if err := json.Unmarshal([]byte(resp), &out); err != nil {
				t.Fatalf("after %s %s %q: list %s does not decode: %v", v.method, v.path, body, l, err)
			}
			for _, it := range out.Items {
				if err := json.Unmarshal(it, bodyType(l)); err != nil {
					t.Fatalf("after %s %s %q: %s item %s does not decode: %v", v.method, v.path, body, l, it, err)
				}
			}
		}
	})
}

func bodyType(list string) any {
	switch list[strings.LastIndex(list, "/")+1:] {
	case "routes":
		return new(gce.Route)
	case "firewalls":
		return new(gce.Firewall)
	case "httpHealthChecks":
		return new(gce.HttpHealthCheck)
	case "networks":
		return new(gce.Network)
	case "addresses":
		return new(gce.Address)
	case "targetPools":
		return new(gce.TargetPool)
	case "forwardingRules":
		return new(gce.ForwardingRule)
	}
	return new(gce.Instance)
}
