package fakecompute_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const routesPath = "/compute/v1/projects/demo/global/routes"

// TestNotFoundBody checks GCE's error envelope byte for byte in meaning.
func TestNotFoundBody(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	r := e.raw("GET", routesPath+"/nope", "")
	if r.status != http.StatusNotFound {
		t.Fatalf("status %d", r.status)
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	msg := "The resource 'projects/demo/global/routes/nope' was not found"
	want := map[string]any{"error": map[string]any{
		"code":    float64(404),
		"message": msg,
		"errors":  []any{map[string]any{"message": msg, "domain": "global", "reason": "notFound"}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("404 body (-want +got)\n%s", diff)
	}
}

// TestAlreadyExists: a second insert of a name is refused synchronously.
func TestAlreadyExists(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	body := `{"name":"r","network":"global/networks/default","destRange":"10.0.0.0/24","nextHopIp":"10.128.0.9"}`
	if r := e.raw("POST", routesPath, body); r.status != http.StatusOK {
		t.Fatalf("first insert: %d %s", r.status, r.body)
	}
	before := e.stateJSON()
	r := e.raw("POST", routesPath, body)
	want := errSummary{409, "alreadyExists"}
	if diff := cmp.Diff(want, errSummary{r.status, r.reason()}); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if msg := r.err.Error.Message; msg != "The resource 'projects/demo/global/routes/r' already exists" {
		t.Errorf("message %q", msg)
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("state changed (-before +after)\n%s", diff)
	}
}

// TestBadRequests sends malformed inserts without a client library and
// checks the status, the reason and that nothing changed.
func TestBadRequests(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	route := func(fields string) string {
		return `{"network":"global/networks/default","nextHopIp":"10.128.0.9"` + fields + `}`
	}
	long := strings.Repeat("a", 64)
	cases := []struct {
		name, method, path, body string
		want                     errSummary
		inMessage                string
	}{
		{"capitals in the name", "POST", routesPath, route(`,"name":"MyRoute","destRange":"10.0.0.0/24"`), errSummary{400, "invalid"}, "'resource.name'"},
		{"name of 64 characters", "POST", routesPath, route(`,"name":"` + long + `","destRange":"10.0.0.0/24"`), errSummary{400, "invalid"}, "'resource.name'"},
		{"name starting with a digit", "POST", routesPath, route(`,"name":"1route","destRange":"10.0.0.0/24"`), errSummary{400, "invalid"}, "'resource.name'"},
		{"no name", "POST", routesPath, route(`,"destRange":"10.0.0.0/24"`), errSummary{400, "required"}, "resource.name"},
		{"bad CIDR", "POST", routesPath, route(`,"name":"r","destRange":"10.0.0.0/40"`), errSummary{400, "invalid"}, "'resource.destRange'"},
		{"CIDR with host bits", "POST", routesPath, route(`,"name":"r","destRange":"10.0.0.5/8"`), errSummary{400, "invalid"}, "'resource.destRange'"},
		{"malformed JSON", "POST", routesPath, `{"name":"r",`, errSummary{400, "parseError"}, "Invalid JSON payload"},
		{"unknown field", "POST", routesPath, route(`,"name":"r","destRange":"10.0.0.0/24","nmae":"x"`), errSummary{400, "parseError"}, `"nmae"`},
		{"wrong type", "POST", routesPath, route(`,"name":"r","destRange":"10.0.0.0/24","priority":"high"`), errSummary{400, "parseError"}, "priority"},
		{"array body", "POST", routesPath, `[]`, errSummary{400, "parseError"}, "Invalid JSON payload"},
		{"empty body", "POST", routesPath, ``, errSummary{400, "parseError"}, "empty"},
		{"trailing data", "POST", routesPath, route(`,"name":"r","destRange":"10.0.0.0/24"`) + `{}`, errSummary{400, "parseError"}, "after"},
		{"PUT is no routes method", "PUT", routesPath + "/r", route(`,"name":"r"`), errSummary{404, "notFound"}, "was not found"},
		{"unknown collection", "GET", "/compute/v1/projects/demo/global/widgets", "", errSummary{404, "notFound"}, "was not found"},
		{"unknown API version", "GET", "/compute/v2/projects/demo/global/routes", "", errSummary{404, "notFound"}, "was not found"},
		{"unknown project", "GET", "/compute/v1/projects/other/global/routes", "", errSummary{404, "notFound"}, "projects/other"},
		{"unknown zone", "GET", "/compute/v1/projects/demo/zones/mars-central1-b/instances", "", errSummary{400, "invalid"}, "Unknown zone"},
		{"unknown region", "GET", "/compute/v1/projects/demo/regions/mars-central1/subnetworks", "", errSummary{400, "invalid"}, "Unknown region"},
		{"too many segments", "GET", routesPath + "/r/x/y", "", errSummary{404, "notFound"}, "was not found"},
		{"instance in a bad zone", "POST", "/compute/v1/projects/demo/zones/nowhere/instances",
			`{"name":"vm","machineType":"e2-small","networkInterfaces":[{}]}`, errSummary{400, "invalid"}, "Unknown zone"},
		{"instance with bad networkIP", "POST", "/compute/v1/projects/demo/zones/us-central1-a/instances",
			`{"name":"vm","machineType":"e2-small","networkInterfaces":[{"networkIP":"10.1"}]}`, errSummary{400, "invalid"}, "networkIP"},
		{"instance with disks as an object", "POST", "/compute/v1/projects/demo/zones/us-central1-a/instances",
			`{"name":"vm","machineType":"e2-small","networkInterfaces":[{}],"disks":{}}`, errSummary{400, "parseError"}, "disks"},
		{"subnet with bad range", "POST", "/compute/v1/projects/demo/regions/us-central1/subnetworks",
			`{"name":"s","network":"global/networks/default","ipCidrRange":"10.0.0.0"}`, errSummary{400, "invalid"}, "ipCidrRange"},
		{"network with a legacy range", "POST", "/compute/v1/projects/demo/global/networks",
			`{"name":"n","IPv4Range":"10.0.0.0/16"}`, errSummary{400, "invalid"}, "IPv4Range"},
	}
	before := e.stateJSON()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw(tc.method, tc.path, tc.body)
			if diff := cmp.Diff(tc.want, errSummary{r.status, r.reason()}); diff != "" {
				t.Errorf("(-want +got)\n%s\nbody: %s", diff, r.body)
			}
			if !strings.Contains(r.err.Error.Message, tc.inMessage) {
				t.Errorf("message %q does not mention %q", r.err.Error.Message, tc.inMessage)
			}
			if r.err.Error.Code != r.status {
				t.Errorf("error.code %d differs from the status %d", r.err.Error.Code, r.status)
			}
		})
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("refused requests changed the state (-before +after)\n%s", diff)
	}
	if ops, err := e.legacy.GlobalOperations.List(project).Do(); err != nil || len(ops.Items) != 0 {
		t.Errorf("refused requests left operations: %v %v", ops, err)
	}

	// The longest valid name is accepted.
	name := "r" + strings.Repeat("a", 62)
	if r := e.raw("POST", routesPath, route(`,"name":"`+name+`","destRange":"10.0.0.0/24"`)); r.status != http.StatusOK {
		t.Errorf("63-character name: %d %s", r.status, r.body)
	}
}
