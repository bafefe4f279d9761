package gce

import (
	"context"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// poolCache is the region's target pools as of one list, shared by every
// Service: when nodes change, the service controller calls
// UpdateLoadBalancer for every load balancer at once, and one list then
// answers all of them instead of a GET each. A pool we write to is
// invalidated: until a list that began after the write, reading it costs a
// GET of that pool alone.
type poolCache struct {
	getOne func(ctx context.Context, name string) (*computepb.TargetPool, error) // nil, nil if absent
	lists  listCache[poolSnapshot]

	mu      sync.Mutex
	seq     uint64            // counts our writes
	touched map[string]uint64 // pool -> seq of our last write to it
}

// poolSnapshot is one list and the write count when it began.
type poolSnapshot struct {
	pools map[string]*computepb.TargetPool
	start uint64
}

func newPoolCache(ttl time.Duration, list func(ctx context.Context) ([]*computepb.TargetPool, error),
	getOne func(ctx context.Context, name string) (*computepb.TargetPool, error)) *poolCache {
	pc := &poolCache{getOne: getOne, touched: map[string]uint64{}}
	pc.lists = listCache[poolSnapshot]{ttl: ttl, load: func(ctx context.Context) (poolSnapshot, error) {
		pc.mu.Lock()
		start := pc.seq
		pc.mu.Unlock()
		list, err := list(ctx)
		s := poolSnapshot{pools: make(map[string]*computepb.TargetPool, len(list)), start: start}
		for _, tp := range list {
			s.pools[tp.GetName()] = tp
		}
		return s, err
	}}
	return pc
}

// get returns a copy of a pool (nil if it does not exist), from a list at
// most ttl old unless we wrote to the pool since that list began.
func (pc *poolCache) get(ctx context.Context, name string) (*computepb.TargetPool, error) {
	s, err := pc.lists.get(ctx, false)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	written := pc.touched[name] > s.start
	pc.mu.Unlock()
	if written {
		return pc.getOne(ctx, name)
	}
	if tp := s.pools[name]; tp != nil {
		return proto.Clone(tp).(*computepb.TargetPool), nil
	}
	return nil, nil
}

// all returns the pools of a list at most ttl old (read only).
func (pc *poolCache) all(ctx context.Context) (map[string]*computepb.TargetPool, error) {
	s, err := pc.lists.get(ctx, false)
	return s.pools, err
}

// refresh lists now, for decisions that must not rest on an old list.
func (pc *poolCache) refresh(ctx context.Context) (map[string]*computepb.TargetPool, error) {
	s, err := pc.lists.get(ctx, true)
	return s.pools, err
}

// invalidate marks a pool we have written to.
func (pc *poolCache) invalidate(name string) {
	pc.mu.Lock()
	pc.seq++
	pc.touched[name] = pc.seq
	pc.mu.Unlock()
}
