package gceref

import (
	"strings"
	"testing"
)

// FuzzParseProviderID: a Node's providerID is written by whoever registers
// the Node. An accepted one names a complete VM key that renders back to
// the same providerID and to a selfLink that parses to the same key; a
// refused one is named in the error.
func FuzzParseProviderID(f *testing.F) {
	for _, s := range []string{
		"gce://p/us-central1-a/vm",
		"gce://example.com:proj/us-central1-a/vm-1",
		"gce://only-two/parts",
		"gce://p/z/vm/extra",
		"gce:///z/vm",
		"gce://p//vm",
		"gce://p/z/",
		"aws:///us-east-1a/i-0123",
		"gce://p/z/vm?x=1",
		"gce://p/z/a%2Fb",
		"gce://p/z/..",
		"gce://p/z/vm name",
		"GCE://p/z/vm",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		k, err := ParseProviderID(id)
		if err != nil {
			if !strings.Contains(err.Error(), "providerID") {
				t.Fatalf("error %q does not say it is about the providerID", err)
			}
			return
		}
		if k.Collection != "instances" || k.Kind != Zonal || k.Project == "" || k.Location == "" || k.Name == "" {
			t.Fatalf("ParseProviderID(%q) = %+v: not a complete VM key", id, k)
		}
		if k.ProviderID() != id {
			t.Fatalf("ParseProviderID(%q) renders back as %q", id, k.ProviderID())
		}
		if back, err := Parse(k.SelfLink()); err != nil || back != k {
			t.Fatalf("the selfLink %q of %+v parses to %+v, %v", k.SelfLink(), k, back, err)
		}
	})
}
