package gceapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Both clients (apiv1 and the legacy compute/v1 one for HTTP health checks)
// name the CCM in their User-Agent: GCE's audit logs show it, and the e2e
// suite's permission comparison picks the CCM's calls by it.
func TestEveryCallNamesTheCCM(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	c := newClient(t, ts, nil)
	ctx := context.Background()
	if _, err := c.ListZones(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListHTTPHealthChecks(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(gceapi.UserAgent(), "gce-cloud-controller-manager/v") {
		t.Errorf("UserAgent() = %q", gceapi.UserAgent())
	}
	seen := map[string]bool{}
	for _, u := range ts.PermissionTrace() {
		if !strings.Contains(u.Client, gceapi.UserAgent()) {
			t.Errorf("%s was called with User-Agent %q, want one naming %q", u.MethodID, u.Client, gceapi.UserAgent())
		}
		seen[u.MethodID] = true
	}
	for _, m := range []string{"compute.zones.list", "compute.httpHealthChecks.list"} {
		if !seen[m] {
			t.Errorf("no %s in the trace %v", m, seen)
		}
	}
}
