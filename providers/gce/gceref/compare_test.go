package gceref

import "testing"

func TestIdentity(t *testing.T) {
	vm := Instance("demo", "us-central1-b", "node-a")
	for _, tc := range []struct {
		name string
		ref  string
		want bool
	}{
		{"own selfLink", vm.SelfLink(), true},
		{"other host", "http://127.0.0.1:9/compute/v1/projects/demo/zones/us-central1-b/instances/node-a", true},
		{"zones path in its project", "zones/us-central1-b/instances/node-a", true},
		{"bare name in its zone", "node-a", true},
		{"same name in another project", base + "projects/demo-2/zones/us-central1-b/instances/node-a", false},
		{"same name in another zone", base + "projects/demo/zones/us-central1-c/instances/node-a", false},
		{"same name, another collection", base + "projects/demo/zones/us-central1-b/disks/node-a", false},
		{"name that extends it", base + "projects/demo/zones/us-central1-b/instances/node-a2", false},
		{"garbage", "::", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := vm.Is(tc.ref); got != tc.want {
				t.Errorf("%v.Is(%q) = %v, want %v", vm, tc.ref, got, tc.want)
			}
		})
	}
}

func TestSame(t *testing.T) {
	d := Defaults{Project: "demo", Region: "us-central1"}
	pool := base + "projects/demo/regions/us-central1/targetPools/a1"
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{pool, "regions/us-central1/targetPools/a1", true},
		{pool, "a1", true},
		{pool, base + "projects/demo/regions/europe-west1/targetPools/a1", false},
		{pool, base + "projects/other/regions/us-central1/targetPools/a1", false},
		{"a1", "a1", true},
		{"", "", false},
		{"a b", "a b", false},
	} {
		if got := Same(tc.a, tc.b, "targetPools", d); got != tc.want {
			t.Errorf("Same(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestProviderID(t *testing.T) {
	k, err := ParseProviderID("gce://demo/us-central1-b/node-a")
	if err != nil || k != Instance("demo", "us-central1-b", "node-a") {
		t.Fatalf("ParseProviderID = %+v, %v", k, err)
	}
	if got := k.ProviderID(); got != "gce://demo/us-central1-b/node-a" {
		t.Errorf("ProviderID = %q", got)
	}
	for _, id := range []string{"", "aws://demo/z/n", "gce://demo/z", "gce://demo//n", "gce://demo/z/n/x", "gce://demo/z/a b"} {
		if k, err := ParseProviderID(id); err == nil {
			t.Errorf("ParseProviderID(%q) = %+v, want an error", id, k)
		}
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"a": "a", "global/networks/n": "n", base + "projects/p/zones/z/instances/i": "i", "": ""} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameSet(t *testing.T) {
	d := Defaults{Project: "demo", Region: "us-central1"}
	hc := base + "projects/demo/global/healthChecks/k8s-hc"
	hc2 := base + "projects/demo/global/healthChecks/k8s-hc2"
	for _, tc := range []struct {
		name string
		a, b []string
		want bool
	}{
		{"both empty", nil, []string{}, true},
		{"other order, other forms", []string{hc, hc2}, []string{"global/healthChecks/k8s-hc2", "projects/demo/global/healthChecks/k8s-hc"}, true},
		{"bare name resolved in its bare scope", []string{hc}, []string{"k8s-hc"}, true},
		{"same name in another project", []string{hc}, []string{base + "projects/other/global/healthChecks/k8s-hc"}, false},
		{"same name, regional", []string{hc}, []string{base + "projects/demo/regions/us-central1/healthChecks/k8s-hc"}, false},
		{"same name, another collection", []string{hc}, []string{base + "projects/demo/global/httpHealthChecks/k8s-hc"}, false},
		{"one more", []string{hc}, []string{hc, hc2}, false},
		{"a duplicate is not another", []string{hc, hc}, []string{hc, hc2}, false},
		{"unparseable on both sides", []string{"a b"}, []string{"a b"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := SameSet(tc.a, tc.b, "healthChecks", d); got != tc.want {
				t.Errorf("SameSet(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := SameSet(tc.b, tc.a, "healthChecks", d); got != tc.want {
				t.Errorf("SameSet(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
			}
		})
	}
}
