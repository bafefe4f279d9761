package fakecompute

import (
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	compute "google.golang.org/api/compute/v1"
)

// A collection's HTTP lines follow from its table entry alone: this is what
// adding a collection to the emulator amounts to.
func TestEndpointsFollowFromTheTableEntry(t *testing.T) {
	col := &collection{name: "widgets", scope: Regional, typ: reflect.TypeFor[compute.Address](), kind: "compute#widget",
		aggregated: true, insert: func(*call) (any, error) { return nil, nil },
		normalise: func(*call, *tx, any, any, bool) error { return nil },
		verbs:     []verb{{"POST", "frob", func(*call) (any, error) { return nil, nil }}}}
	var got []string
	col.addEndpoints(func(method, pattern, methodID string, _ handler) {
		got = append(got, method+" "+pattern+" "+methodID)
	})
	slices.Sort(got)
	want := []string{
		"DELETE /regions/*/widgets/* compute.widgets.delete",
		"GET /aggregated/widgets compute.widgets.aggregatedList",
		"GET /regions/*/widgets compute.widgets.list",
		"GET /regions/*/widgets/* compute.widgets.get",
		"PATCH /regions/*/widgets/* compute.widgets.patch",
		"POST /regions/*/widgets compute.widgets.insert",
		"POST /regions/*/widgets/*/frob compute.widgets.frob",
		"PUT /regions/*/widgets/* compute.widgets.update",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoint lines (-want +got)\n%s", diff)
	}
}

// Every reference a collection declares points at a collection of the
// table, and every usedBy names a collection that holds such a reference:
// otherwise an in-use check would silently never fire.
func TestCollectionReferencesAreConsistent(t *testing.T) {
	cols := New(Options{}).collections
	for name, col := range cols {
		for _, r := range col.refs {
			if cols[r.to] == nil {
				t.Errorf("%s refers to %q, which is not in the table", name, r.to)
			}
		}
		for _, from := range col.usedBy {
			user := cols[from]
			if user == nil {
				t.Errorf("%s is used by %q, which is not in the table", name, from)
				continue
			}
			if !slices.ContainsFunc(user.refs, func(r ref) bool { return r.to == name }) {
				t.Errorf("%s is used by %s, which declares no reference to it", name, from)
			}
		}
	}
}
