package gceapi

import (
	"hash/maphash"
	"slices"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
)

// Target pools of one cluster hold the same VMs: 500 load balancers on a
// 5,000-node cluster are 2.5 million memberships but 5,000 distinct VM URLs
// and, once converged, one distinct membership. poolMembers makes the pools
// of a listing share one string per URL and one slice per membership, and
// a listing share both with the listing before it (the snapshot being
// replaced and its successor are alive together). Measured at 5,000 nodes
// and 500 Services: see README "Benchmarks".
type poolMembers struct {
	mu   sync.Mutex
	seed maphash.Seed
	last *memberIndex // the previous complete listing's
	// largest is the largest pool of the last listing (filtered or
	// not), for the page size; known once a listing has ended.
	largest int
	known   bool
}

// memberIndex is what one listing interned.
type memberIndex struct {
	urls           map[string]string
	lists          map[uint64][][]string
	pools, members int
	largest        int // its largest pool so far
}

func newMemberIndex() *memberIndex {
	return &memberIndex{urls: map[string]string{}, lists: map[uint64][][]string{}}
}

// Page sizing: a decoded page is about 100 bytes of JSON per member twice
// over (the body, then the strings); poolPageMembers bounds one page at
// about 5 MB of JSON. At 5,000 nodes that is 10 pools a page (50 reads for
// 500 pools), at 100 nodes 500 (GCE's largest page). The size follows the
// largest pool, not the mean, and is set again after every pool of a
// listing: pools that grew since the last listing (5,000 nodes joining 500
// load balancers) made pages of 100 pools of 5,000 members, 48 MB of JSON
// and as much again decoded, the largest item of the controller's heap.
const (
	poolPageMembers = 50_000
	minPoolPage     = 10
)

func pageFor(largest int) uint32 {
	return uint32(min(max(poolPageMembers/max(largest, 1), minPoolPage), pageSize))
}

// pageSize is how many pools a listing asks for in its next page: the
// smallest page first (pools may have grown since the last listing: one
// first page of 500 pools of 5,000 members was a 105 MB body in make
// bench), then from the largest pool it has seen and the last listing's.
func (m *poolMembers) pageSize(cur *memberIndex) uint32 {
	if cur == nil || cur.pools == 0 {
		return minPoolPage
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	largest := cur.largest
	if m.known {
		largest = max(largest, m.largest)
	}
	return pageFor(largest)
}

// begin starts a listing's index.
func (m *poolMembers) begin() *memberIndex {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seed == (maphash.Seed{}) {
		m.seed = maphash.MakeSeed()
	}
	return newMemberIndex()
}

// share rewrites tp.Instances to the interned strings and, when another
// pool of this listing or the last one has the same members in the same
// order, to that pool's slice.
func (m *poolMembers) share(cur *memberIndex, tp *computepb.TargetPool) {
	m.mu.Lock()
	last, seed := m.last, m.seed
	m.mu.Unlock()
	var h maphash.Hash
	h.SetSeed(seed)
	for i, u := range tp.Instances {
		s, ok := cur.urls[u]
		if !ok {
			s = u
			if last != nil {
				if p, ok := last.urls[u]; ok {
					s = p
				}
			}
			cur.urls[s] = s
		}
		tp.Instances[i] = s
		h.WriteString(s)
		h.WriteByte(0)
	}
	cur.pools++
	cur.members += len(tp.Instances)
	cur.largest = max(cur.largest, len(tp.Instances))
	if len(tp.Instances) == 0 {
		return
	}
	sum := h.Sum64()
	if same := find(cur.lists[sum], tp.Instances); same != nil {
		tp.Instances = same
		return
	}
	if last != nil {
		if same := find(last.lists[sum], tp.Instances); same != nil {
			tp.Instances = same
		}
	}
	cur.lists[sum] = append(cur.lists[sum], tp.Instances)
}

// find returns the candidate equal to members (interned strings compare
// by pointer first, so an equal membership costs no byte comparison).
func find(candidates [][]string, members []string) []string {
	for _, c := range candidates {
		if slices.Equal(c, members) {
			return c
		}
	}
	return nil
}

// done ends a listing: its largest pool sizes the next one's pages, and a
// complete (unfiltered) listing's index is kept for the next to share.
func (m *poolMembers) done(cur *memberIndex, complete bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.largest, m.known = cur.largest, true
	if complete {
		m.last = cur
	}
}
