package gce

import (
	"strings"
	"testing"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// TestParseProviderIDRefuses: a Node's providerID is refused, naming it,
// when it is not gce://<project>/<zone>/<instance> or a part is not a name
// GCE could hold; before, "gce://p/z/vm name" passed and GCE answered 400
// to the route or pool write that carried it.
func TestParseProviderIDRefuses(t *testing.T) {
	for _, tc := range []struct{ name, id string }{
		{"two parts", "gce://only-two/parts"},
		{"four parts", "gce://p/us-central1-a/vm/extra"},
		{"empty zone", "gce://p//vm"},
		{"other scheme", "aws:///us-east-1a/i-0123"},
		{"space in the name", "gce://p/us-central1-a/vm name"},
		{"query in the name", "gce://p/us-central1-a/vm?x=1"},
		{"escaped slash", "gce://p/us-central1-a/a%2Fb"},
		{"dot-dot", "gce://p/us-central1-a/.."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, err := gceref.ParseProviderID(tc.id)
			if err == nil || !strings.Contains(err.Error(), "providerID") || !strings.Contains(err.Error(), tc.id) {
				t.Fatalf("ParseProviderID(%q) = %+v, %v; want an error naming the providerID", tc.id, vm, err)
			}
		})
	}
	vm, err := gceref.ParseProviderID("gce://example.com:proj/us-central1-a/vm-1")
	if err != nil || vm != gceref.Instance("example.com:proj", "us-central1-a", "vm-1") {
		t.Fatalf("a good providerID: %+v, %v", vm, err)
	}
}
