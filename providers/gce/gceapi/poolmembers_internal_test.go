package gceapi

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// TestPoolPageSize: pages of 100 pools before any listing, then sized to
// about 50,000 members from the last listing's mean, between 10 and 500.
func TestPoolPageSize(t *testing.T) {
	var m poolMembers
	if got := m.pageSize(); got != 100 {
		t.Errorf("before any listing: %d pools a page, want 100", got)
	}
	for _, tc := range []struct {
		pools, members int
		want           uint32
	}{
		{pools: 500, members: 5000, want: 10},
		{pools: 100, members: 100, want: 500},
		{pools: 10, members: 1000, want: 50},
		{pools: 2, members: 60_000, want: 10},
		{pools: 3, members: 0, want: 500},
	} {
		idx := m.begin()
		for p := 0; p < tc.pools; p++ {
			tp := &computepb.TargetPool{Name: proto.String(fmt.Sprint(p))}
			for i := 0; i < tc.members; i++ {
				tp.Instances = append(tp.Instances, fmt.Sprintf("vm-%d", i))
			}
			m.share(idx, tp)
		}
		m.done(idx)
		if got := m.pageSize(); got != tc.want {
			t.Errorf("%d pools of %d members: %d pools a page, want %d", tc.pools, tc.members, got, tc.want)
		}
	}
}
