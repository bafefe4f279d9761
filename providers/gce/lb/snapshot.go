package lb

import (
	"context"
	"sync"
	"time"
)

// snapshotCache is one collection's objects as of one list, shared by
// every Service: a burst of syncs (100 Services created at once, or every
// load balancer updated after a node change) reads each collection about
// once a second instead of once per Service. Staleness is bounded by the
// TTL, and our own writes never go unseen: an object we wrote since a list
// began makes the next reader of it list again.
type snapshotCache[T any] struct {
	nameOf func(T) string
	lists  listCache[snapshot[T]]

	mu      sync.Mutex
	seq     uint64            // counts our writes
	touched map[string]uint64 // name -> seq of our last write to it
}

// snapshot is one list and the write count when it began.
type snapshot[T any] struct {
	byName map[string]T
	start  uint64
}

func newSnapshotCache[T any](ttl time.Duration, nameOf func(T) string, list func(ctx context.Context) ([]T, error)) *snapshotCache[T] {
	c := &snapshotCache[T]{nameOf: nameOf, touched: map[string]uint64{}}
	c.lists = listCache[snapshot[T]]{ttl: ttl, load: func(ctx context.Context) (snapshot[T], error) {
		c.mu.Lock()
		start := c.seq
		c.mu.Unlock()
		items, err := list(ctx)
		s := snapshot[T]{byName: make(map[string]T, len(items)), start: start}
		for _, it := range items {
			s.byName[nameOf(it)] = it
		}
		return s, err
	}}
	return c
}

// view returns every object of a list at most ttl old (read only), or of
// a new list if fresh; and never a list begun before our last write (or
// attempted write) to one of the named objects: a burst of syncs that
// wrote different objects shares one list begun after their writes.
func (c *snapshotCache[T]) view(ctx context.Context, isFresh bool, names ...string) (map[string]T, error) {
	if isFresh {
		return c.viewAs(ctx, fresh(), names...)
	}
	return c.viewAs(ctx, recency{}, names...)
}

// viewAs is view of a list of the given recency.
func (c *snapshotCache[T]) viewAs(ctx context.Context, r recency, names ...string) (map[string]T, error) {
	s, err := c.lists.getAsIf(ctx, r, func(s snapshot[T]) bool { return !c.writtenSince(s.start, names) })
	if err != nil {
		return nil, err
	}
	return s.byName, nil
}

func (c *snapshotCache[T]) writtenSince(start uint64, names []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		if c.touched[n] > start {
			return true
		}
	}
	return false
}

// invalidate records a write of ours to an object (made or attempted).
func (c *snapshotCache[T]) invalidate(name string) {
	c.mu.Lock()
	c.seq++
	c.touched[name] = c.seq
	c.mu.Unlock()
}
