package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

func vmURLs(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, gceref.Instance("p", "r-a", fmt.Sprintf("n%04d", i)).SelfLink())
	}
	return out
}

func TestDiffMembers(t *testing.T) {
	full := func(n string) string { return gceref.Instance("p", "r-a", n).SelfLink() }
	short := func(n string) string { return "projects/p/zones/r-a/instances/" + n }
	for _, tc := range []struct {
		name               string
		have, want         []string
		wantAdd, wantRemov []string
	}{
		{"same", []string{full("a"), full("b")}, []string{full("a"), full("b")}, nil, nil},
		{"same, another order", []string{full("b"), full("a")}, []string{full("a"), full("b")}, nil, nil},
		{"one in, one out", []string{full("a"), full("b")}, []string{full("b"), full("c")}, []string{full("c")}, []string{full("a")}},
		{"the pool names a VM in another form", []string{short("a"), full("b")}, []string{full("a"), full("b")}, nil, nil},
		{"another form and a real change", []string{short("a"), full("x")}, []string{full("a"), full("c")},
			[]string{full("c")}, []string{full("x")}},
		{"empty pool", nil, []string{full("b"), full("a")}, []string{full("a"), full("b")}, nil},
		{"nothing wanted", []string{full("a")}, nil, nil, []string{full("a")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			add, remove := DiffMembers(tc.have, tc.want)
			if !slices.Equal(add, tc.wantAdd) || !slices.Equal(remove, tc.wantRemov) {
				t.Errorf("DiffMembers = add %v remove %v; want add %v remove %v", add, remove, tc.wantAdd, tc.wantRemov)
			}
		})
	}
}

// TestDiffMembersParsesOnlyWhatDiffers: 50 nodes joining a 5,000-member
// pool are found by string, without parsing every member's URL (which
// allocated tens of thousands of times per sync, 50 syncs at a time).
func TestDiffMembersParsesOnlyWhatDiffers(t *testing.T) {
	have := vmURLs(0, 5000)
	want := vmURLs(0, 5050)
	slices.Reverse(have) // not the order of want: the slow path
	var add []string
	allocs := testing.AllocsPerRun(3, func() { add, _ = DiffMembers(have, want) })
	if len(add) != 50 {
		t.Fatalf("added %d; want 50", len(add))
	}
	if allocs > 100 {
		t.Errorf("DiffMembers of 5,000 members: %.0f allocations; want at most 100", allocs)
	}
	same := vmURLs(0, 5000)
	if allocs := testing.AllocsPerRun(3, func() { DiffMembers(same, want[:5000]) }); allocs != 0 {
		t.Errorf("an unchanged pool: %.0f allocations; want none", allocs)
	}
}
