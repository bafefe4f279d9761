package gceapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// ridRecorder records the requestId of every mutating request.
type ridRecorder struct {
	mu   sync.Mutex
	rids map[string]string // method + path -> requestId
}

func (r *ridRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && !strings.HasSuffix(req.URL.Path, "/wait") {
		r.mu.Lock()
		r.rids[req.Method+" "+req.URL.Path] = req.URL.Query().Get("requestId")
		r.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestEveryMutationCarriesARequestID: the generic submit path (project and
// network project) and the legacy health checks send a requestId, a new one
// per call, so a retried mutation can never apply twice.
func TestEveryMutationCarriesARequestID(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	rec := &ridRecorder{rids: map[string]string{}}
	c := newClient(t, ts, nil, option.WithHTTPClient(&http.Client{Transport: rec}))
	ctx := context.Background()
	fw := &computepb.Firewall{Name: proto.String("fw"), Network: proto.String("global/networks/default"),
		SourceRanges: []string{"10.0.0.0/8"}, Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp")}}}
	steps := []struct {
		name string
		do   func() error
	}{
		{"routes.insert", func() error { return c.InsertRoute(ctx, route("r1", "10.0.0.0/24")) }},
		{"firewalls.insert", func() error { return c.InsertFirewall(ctx, fw) }},
		{"firewalls.patch", func() error {
			return c.PatchFirewall(ctx, "fw", &computepb.Firewall{SourceRanges: []string{"10.1.0.0/16"}})
		}},
		{"httpHealthChecks.insert", func() error {
			return c.InsertHTTPHealthCheck(ctx, &computev1.HttpHealthCheck{Name: "hc", Port: 80, RequestPath: "/"})
		}},
		{"firewalls.delete", func() error { return c.DeleteFirewall(ctx, "fw") }},
		{"routes.delete", func() error { return c.DeleteRoute(ctx, "r1") }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	if len(rec.rids) != len(steps) {
		t.Fatalf("%d mutating requests %v, want %d", len(rec.rids), rec.rids, len(steps))
	}
	seen := map[string]string{}
	for req, rid := range rec.rids {
		if rid == "" {
			t.Errorf("%s: no requestId", req)
		}
		if other, dup := seen[rid]; dup {
			t.Errorf("%s and %s share the requestId %q", req, other, rid)
		}
		seen[rid] = req
	}
}
