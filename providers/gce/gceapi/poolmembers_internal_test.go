package gceapi

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// TestPoolPageSize: the smallest page before any listing, then pages sized
// to the largest pool of the last listing, and within a listing to the
// largest pool seen so far (pools grow between listings).
func TestPoolPageSize(t *testing.T) {
	var m poolMembers
	if got := m.pageSize(nil); got != minPoolPage {
		t.Errorf("before any listing: %d pools a page, want %d", got, minPoolPage)
	}
	pool := func(name string, members int) *computepb.TargetPool {
		tp := &computepb.TargetPool{Name: proto.String(name)}
		for i := 0; i < members; i++ {
			tp.Instances = append(tp.Instances, fmt.Sprintf("vm-%d", i))
		}
		return tp
	}
	for _, tc := range []struct {
		members []int
		want    uint32
	}{
		{[]int{5000, 5000}, 10},
		{[]int{100, 100, 100}, 500},
		{[]int{1000}, 50},
		{[]int{60_000, 3}, 10},
		{[]int{0, 0, 0}, 500},
		{[]int{10, 2500, 10}, 20}, // the largest, not the mean
	} {
		idx := m.begin()
		for i, n := range tc.members {
			m.share(idx, pool(fmt.Sprint(i), n))
		}
		m.done(idx, true)
		if got := m.pageSize(nil); got != tc.want {
			t.Errorf("pools of %v members: %d pools a page, want %d", tc.members, got, tc.want)
		}
	}
	// The last listing had empty pools; this one meets a pool of 5,000:
	// its next page is sized to that pool at once.
	idx := m.begin()
	m.share(idx, pool("new", 0))
	m.done(idx, true)
	idx = m.begin()
	if got := m.pageSize(idx); got != 500 {
		t.Errorf("a listing after empty pools starts with %d pools a page, want 500", got)
	}
	m.share(idx, pool("grown", 5000))
	if got := m.pageSize(idx); got != 10 {
		t.Errorf("after a pool of 5,000 in this listing: %d pools a page, want 10", got)
	}
	m.done(idx, false)
	if got := m.pageSize(nil); got != 10 {
		t.Errorf("a filtered listing's largest pool sizes the next: %d, want 10", got)
	}
}
