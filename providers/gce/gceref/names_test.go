package gceref

import "testing"

func TestValidName(t *testing.T) {
	for s, want := range map[string]bool{"a": true, "k8s-fw-a1": true, "": false, "1a": false, "a-": false, "A": false,
		"a_b": false, "a23456789012345678901234567890123456789012345678901234567890123": true,
		"a234567890123456789012345678901234567890123456789012345678901234": false} {
		if got := ValidName(s); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestRegionOfZoneAndNodeInstanceName(t *testing.T) {
	if got := RegionOfZone("us-central1-a"); got != "us-central1" {
		t.Errorf("RegionOfZone = %q", got)
	}
	if got := RegionOfZone("zone"); got != "zone" {
		t.Errorf("RegionOfZone(zone) = %q", got)
	}
	for in, want := range map[string]string{"node-a": "node-a", "node-a.c.proj.internal": "node-a", ".x": ".x"} {
		if got := NodeInstanceName(in); got != want {
			t.Errorf("NodeInstanceName(%q) = %q, want %q", in, got, want)
		}
	}
}
