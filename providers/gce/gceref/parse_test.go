package gceref

import "testing"

const base = "https://www.googleapis.com/compute/v1/"

func TestParseRefForms(t *testing.T) {
	d := Defaults{Project: "demo", Region: "us-central1", Zone: "us-central1-b"}
	vm := ZonalKey("demo", "us-central1-b", "instances", "node-a")
	pool := RegionalKey("demo", "us-central1", "targetPools", "a1")
	net := GlobalKey("demo", "networks", "k8s-net")
	for _, tc := range []struct {
		name, ref, collection string
		want                  Key
	}{
		{"canonical selfLink", base + "projects/demo/zones/us-central1-b/instances/node-a", "instances", vm},
		{"compute.googleapis.com host", "https://compute.googleapis.com/compute/v1/projects/demo/zones/us-central1-b/instances/node-a", "instances", vm},
		{"beta API version", "https://www.googleapis.com/compute/beta/projects/demo/zones/us-central1-b/instances/node-a", "instances", vm},
		{"gcloud override endpoint", "http://127.0.0.1:8080/compute/v1/projects/demo/zones/us-central1-b/instances/node-a", "instances", vm},
		{"emulator root endpoint", "http://127.0.0.1:8080/projects/demo/regions/us-central1/targetPools/a1", "targetPools", pool},
		{"query and fragment ignored", base + "projects/demo/global/networks/k8s-net?alt=json#x", "networks", net},
		{"projects path", "projects/demo/regions/us-central1/targetPools/a1", "targetPools", pool},
		{"leading slash", "/projects/demo/global/networks/k8s-net", "networks", net},
		{"global path", "global/networks/k8s-net", "networks", net},
		{"regions path", "regions/us-central1/targetPools/a1", "targetPools", pool},
		{"zones path", "zones/us-central1-b/instances/node-a", "instances", vm},
		{"bare zonal name", "node-a", "instances", vm},
		{"bare regional name", "a1", "targetPools", pool},
		{"bare global name", "k8s-net", "networks", net},
		{"domain-scoped project", "projects/example.com:proj/global/routes/r", "routes", GlobalKey("example.com:proj", "routes", "r")},
		{"global health check", "global/healthChecks/hc", "healthChecks", GlobalKey("demo", "healthChecks", "hc")},
		{"regional health check", "regions/us-central1/healthChecks/hc", "healthChecks", RegionalKey("demo", "us-central1", "healthChecks", "hc")},
		{"zonal operation", base + "projects/demo/zones/us-central1-b/operations/op-1", "operations", ZonalKey("demo", "us-central1-b", "operations", "op-1")},
		{"global operation", "global/operations/op-1", "operations", GlobalKey("demo", "operations", "op-1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRef(tc.ref, tc.collection, d)
			if err != nil {
				t.Fatalf("ParseRef(%q, %q): %v", tc.ref, tc.collection, err)
			}
			if got != tc.want {
				t.Fatalf("ParseRef(%q, %q) = %+v, want %+v", tc.ref, tc.collection, got, tc.want)
			}
			if back, err := Parse(got.SelfLink()); err != nil || back != got {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", got.SelfLink(), back, err, got)
			}
		})
	}
}

func TestParseRefRefuses(t *testing.T) {
	d := Defaults{Project: "demo", Region: "us-central1", Zone: "us-central1-b"}
	for _, tc := range []struct{ name, ref, collection string }{
		{"empty", "", "networks"},
		{"wrong collection", "global/routes/r", "networks"},
		{"zonal path for a regional collection", "zones/us-central1-b/targetPools/a1", "targetPools"},
		{"global path for a zonal collection", "global/instances/node-a", "instances"},
		{"unknown collection", "n", "widgets"},
		{"bare operation name", "op-1", "operations"},
		{"bare zonal name without a zone", "node-a", "instances"},
		{"URL without projects", "https://www.googleapis.com/compute/v1/global/networks/n", "networks"},
		{"broken URL", "http://[::1", "networks"},
		{"empty project", "projects//global/networks/n", "networks"},
		{"empty name", "global/networks/", "networks"},
		{"extra segment", "projects/p/global/networks/n/extra", "networks"},
		{"escaped slash in name", base + "projects/p/global/networks/a%2Fb", "networks"},
		{"escaped hash in name", base + "projects/p/global/networks/a%23b", "networks"},
		{"dot-dot name", "..", "networks"},
		{"space in name", "global/networks/a b", "networks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dd := d
			if tc.name == "bare zonal name without a zone" {
				dd.Zone = ""
			}
			if k, err := ParseRef(tc.ref, tc.collection, dd); err == nil {
				t.Fatalf("ParseRef(%q, %q) = %+v, want an error", tc.ref, tc.collection, k)
			}
		})
	}
}

func TestParseNeedsQualifiedReference(t *testing.T) {
	for _, ref := range []string{"node-a", "global/networks/n", "zones/z/instances/i", "projects/p/global/widgets/w"} {
		if k, err := Parse(ref); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", ref, k)
		}
	}
	k, err := Parse("projects/p/zones/z/instances/i")
	if err != nil || k != ZonalKey("p", "z", "instances", "i") {
		t.Errorf("Parse = %+v, %v", k, err)
	}
}

func TestSelfLinkAndPaths(t *testing.T) {
	k := RegionalKey("demo", "us-central1", "targetPools", "a1")
	if got, want := k.SelfLink(), base+"projects/demo/regions/us-central1/targetPools/a1"; got != want {
		t.Errorf("SelfLink = %q, want %q", got, want)
	}
	if got, want := k.Table().Path(), "projects/demo/regions/us-central1/targetPools"; got != want {
		t.Errorf("Table().Path = %q, want %q", got, want)
	}
	if got, want := k.ScopeLink(), base+"projects/demo/regions/us-central1"; got != want {
		t.Errorf("ScopeLink = %q, want %q", got, want)
	}
	if got := GlobalKey("demo", "routes", "r").ScopeLink(); got != "" {
		t.Errorf("global ScopeLink = %q, want empty", got)
	}
}
