package fakecompute_test

import (
	"strings"
	"testing"

	gce "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// filterSamples are resources with the shapes filters look into: nested
// objects, arrays of objects, maps, numbers, booleans, absent fields.
var filterSamples = []any{
	&gce.Route{Name: "k8s-a", DestRange: "10.0.1.0/24", Priority: 1000, Id: 42,
		NextHopInstance: base + "projects/demo/zones/us-central1-a/instances/vm",
		Warnings: []*gce.RouteWarnings{{Code: "NEXT_HOP_CANNOT_IP_FORWARD",
			Data: []*gce.RouteWarningsData{{Key: "instance", Value: "vm"}}}}},
	&gce.Instance{Name: "vm", Status: "RUNNING", CanIpForward: true, Labels: map[string]string{"env": "prod", "": "empty"},
		Tags: &gce.Tags{Items: []string{"a", "b"}},
		NetworkInterfaces: []*gce.NetworkInterface{{NetworkIP: "10.128.0.2",
			AccessConfigs: []*gce.AccessConfig{{NatIP: "34.118.0.1"}, {}}}}},
	&gce.Route{},
	nil,
	map[string]any{"name": []any{[]any{"x"}, nil, 1.5, true, map[string]any{"a": nil}}},
}

// FuzzFilter: the filter parser never panics on any input, and a filter it
// accepts evaluates without panicking on any resource; wrapping it in
// parentheses or conjoining it with itself does not change its meaning.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		``,
		`name eq "k8s-.*"`,
		`name ne "k8s-.*"`,
		`name eq k8s-.*`,
		`(name eq ".*(^k8s).*")(destRange eq ".*\b10\.0\.1\b.*")`,
		`name eq ".*\bk8s\-a\b.*"`,
		`name = "k8s-a"`,
		`name != k8s-*`,
		`(name = "a") OR (name = "b") AND priority < 1000`,
		`priority >= 1000 priority <= 2000`,
		`warnings.code eq "NEXT_HOP_.*"`,
		`labels.env:*`,
		`networkInterfaces.accessConfigs.natIP = "34.*"`,
		`name = "a\"b"`,
		`name eq 'single'`,
		`((((name eq "x"))))`,
		`name eq "("`,
		`(name eq "x"`,
		`name eq "x")`,
		`AND OR ( ) = != : < > <= >=`,
		`name eq "\`,
		"name eq \"x\x00\"",
		`a.b.c.d = 1e309`,
		`id > 41`,
		`(name eq k8s-.*) (network eq http://127.0.0.1:1/compute/v1/projects/demo/global/networks/default)`,
		`(name eq (a|b\)) (x ne ((y)))`,
		"0:\xc1", // found by the fuzzer: invalid UTF-8 in a literal
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		match, err := fakecompute.ParseFilterForTest(expr)
		if err != nil {
			return
		}
		results := make([]bool, len(filterSamples))
		for i, obj := range filterSamples {
			results[i] = match(obj)
		}
		if strings.TrimSpace(expr) == "" {
			// The empty filter matches everything; "()" is not a filter.
			return
		}
		for _, variant := range []string{"(" + expr + ")", "(" + expr + ") AND (" + expr + ")"} {
			m2, err := fakecompute.ParseFilterForTest(variant)
			if err != nil {
				// Only the nesting bound may refuse a variant of a valid filter.
				if !strings.Contains(err.Error(), "nested") {
					t.Fatalf("%q parses but %q does not: %v", expr, variant, err)
				}
				continue
			}
			for i, obj := range filterSamples {
				if got := m2(obj); got != results[i] {
					t.Fatalf("%q and %q disagree on sample %d: %v vs %v", expr, variant, i, results[i], got)
				}
			}
		}
	})
}
