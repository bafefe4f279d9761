package fakecompute

import (
	"testing"

	compute "google.golang.org/api/compute/v1"
)

// A filter that reads names only is matched on the name alone, with the
// same outcome as on the whole object; any other field needs the object.
func TestNameFiltersMatchOnTheNameAlone(t *testing.T) {
	objs := []any{
		&compute.TargetPool{Name: "a1234", Instances: []string{"zones/z/instances/a1234"}},
		&compute.TargetPool{Name: "a1234-alt", Region: "r"},
		&compute.TargetPool{Name: "k8s-x", Description: "name eq a1234"},
	}
	for _, tc := range []struct {
		expr      string
		onlyNames bool
	}{
		{`name eq "a[a-z0-9]+(-alt|-udp)?"`, true},
		{`name eq "(a1234|a1234-alt)"`, true},
		{`name ne "a1234"`, true},
		{`(name eq "a1234") OR (name eq "k8s-x")`, true},
		{`(name eq "a1234") AND (region eq "r")`, false},
		{`description eq ".*a1234.*"`, false},
	} {
		f, err := parseFilter(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := onlyNames(f); got != tc.onlyNames {
			t.Errorf("%s: onlyNames %v, want %v", tc.expr, got, tc.onlyNames)
		}
		for _, o := range objs {
			if a, b := f.match(filterView(f, o)), f.match(asMap(o)); a != b {
				t.Errorf("%s on %s: %v on the filter's view, %v on the whole object", tc.expr, nameOf(o), a, b)
			}
		}
	}
}
