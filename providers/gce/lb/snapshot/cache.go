package snapshot

import (
	"context"
	"sync"
	"time"
)

// TTL is how old a list may be for a sync of the event path (the service
// controller's calls): a burst of syncs (100 Services created at once, or
// every load balancer updated after a node change) shares one list of
// each collection. Our own writes are never missed (Cache.View), and a
// periodic pass reads lists begun after it started (Within), so the TTL
// bounds only how late the event path sees a change made by someone else.
const TTL = 30 * time.Second

// Cache is one collection's objects as of one list, shared by every
// Service. Staleness is bounded by the TTL, and our own writes never go
// unseen: an object we wrote since a list began makes the next reader of
// it list again.
type Cache[T any] struct {
	lists List[snapshot[T]]

	mu      sync.Mutex
	seq     uint64            // counts our writes
	touched map[string]uint64 // name -> seq of our last write to it
}

// snapshot is one list and the write count when it began.
type snapshot[T any] struct {
	byName map[string]T
	start  uint64
}

// New caches list for ttl; nameOf names an object.
func New[T any](ttl time.Duration, nameOf func(T) string, list func(ctx context.Context) ([]T, error)) *Cache[T] {
	c := &Cache[T]{touched: map[string]uint64{}}
	c.lists = List[snapshot[T]]{ttl: ttl, load: func(ctx context.Context) (snapshot[T], error) {
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

// View returns every object (read only) of a list r accepts, and never of
// a list begun before our last write (or attempted write) to one of the
// named objects: a burst of syncs that wrote different objects shares one
// list begun after their writes.
func (c *Cache[T]) View(ctx context.Context, r Recency, names ...string) (map[string]T, error) {
	s, err := c.lists.getIf(ctx, r, func(s snapshot[T]) bool { return !c.writtenSince(s.start, names) })
	if err != nil {
		return nil, err
	}
	return s.byName, nil
}

func (c *Cache[T]) writtenSince(start uint64, names []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range names {
		if c.touched[n] > start {
			return true
		}
	}
	return false
}

// Invalidate records a write of ours to an object (made or attempted).
func (c *Cache[T]) Invalidate(name string) {
	c.mu.Lock()
	c.seq++
	c.touched[name] = c.seq
	c.mu.Unlock()
}
