package gceref

import "testing"

// FuzzParseRef (moved here from the emulator with the parser): ParseRef
// never panics, and any key it accepts is complete,
// of the requested collection in a scope it allows, and survives a round
// trip through its selfLink and its path; Parse agrees with it on both.
func FuzzParseRef(f *testing.F) {
	for _, s := range []struct{ ref, collection, project, region, zone string }{
		{"default", "networks", "demo", "", ""},
		{"global/networks/default", "networks", "demo", "", ""},
		{"projects/demo/global/networks/default", "networks", "", "", ""},
		{base + "projects/demo/global/networks/default", "networks", "", "", ""},
		{"http://127.0.0.1:8080/compute/v1/projects/demo/zones/us-central1-a/instances/vm", "instances", "", "", ""},
		{"zones/us-central1-a/instances/vm", "instances", "demo", "", ""},
		{"vm", "instances", "demo", "us-central1", "us-central1-a"},
		{"regions/us-central1/subnetworks/s", "subnetworks", "demo", "", ""},
		{"regions/us-central1/healthChecks/h", "healthChecks", "demo", "", ""},
		{"zones/z/operations/op", "operations", "demo", "", ""},
		{"projects/example.com:proj/global/routes/r", "routes", "", "", ""},
		{"https://x/projects/p/global/networks/n?alt=json#frag", "networks", "", "", ""},
		{"https://x/compute/v1/projects/p/global/networks/a%23b", "networks", "", "", ""},
		{"https://x/compute/v1/projects/p/global/networks/a%2Fb", "networks", "", "", ""},
		{"projects//global/networks/n", "networks", "", "", ""},
		{"global/networks/", "networks", "demo", "", ""},
		{"/global/networks/n", "networks", "demo", "", ""},
		{"projects/p/global/networks/n/extra", "networks", "", "", ""},
		{"n", "unknown", "demo", "", ""},
		{"http://[::1", "networks", "", "", ""},
		{"..", "networks", "demo", "", ""},
	} {
		f.Add(s.ref, s.collection, s.project, s.region, s.zone)
	}
	f.Fuzz(func(t *testing.T, ref, collection, project, region, zone string) {
		k, err := ParseRef(ref, collection, Defaults{Project: project, Region: region, Zone: zone})
		if err != nil {
			return
		}
		if k.Collection != collection || k.Name == "" || k.Project == "" || !Allows(collection, k.Kind) {
			t.Fatalf("ParseRef(%q, %q) = %+v: wrong collection or scope, or incomplete", ref, collection, k)
		}
		for _, form := range []string{k.SelfLink(), k.Path()} {
			back, err := ParseRef(form, collection, Defaults{})
			if err != nil || back != k {
				t.Fatalf("ParseRef(%q) = %+v, but its form %q parses to %+v, %v", ref, k, form, back, err)
			}
			if any, err := Parse(form); err != nil || any != k {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", form, any, err, k)
			}
		}
		if !k.Is(k.SelfLink()) || !k.Is(k.Path()) {
			t.Fatalf("%+v is not its own selfLink or path", k)
		}
	})
}
