package gceapi

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// TestPoolPageSize: the smallest page first in every listing, then pages
// sized to the largest pool seen in it or in the last listing.
func TestPoolPageSize(t *testing.T) {
	var m poolMembers
	if got := m.pageSize(m.begin()); got != minPoolPage {
		t.Errorf("a listing's first page: %d pools, want %d", got, minPoolPage)
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
		{[]int{10, 2500, 10}, 20}, // the largest, not the mean
	} {
		m = poolMembers{}
		idx := m.begin()
		for i, n := range tc.members {
			m.share(idx, pool(fmt.Sprint(i), n))
		}
		if got := m.pageSize(idx); got != tc.want {
			t.Errorf("pools of %v members: next page %d pools, want %d", tc.members, got, tc.want)
		}
		m.done(idx, false)
		next := m.begin()
		if got := m.pageSize(next); got != minPoolPage {
			t.Errorf("after pools of %v: the next listing's first page is %d pools, want %d", tc.members, got, minPoolPage)
		}
		m.share(next, pool("small", 1))
		if got := m.pageSize(next); got != tc.want {
			t.Errorf("after pools of %v, one small pool seen: next page %d, want %d (the last listing's largest)", tc.members, got, tc.want)
		}
	}
}
