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
	lists  List[snapshot[T]]
	nameOf func(T) string

	// narrow (Narrow) reads only the named objects, instead of a new
	// list while the last list weighed more than narrowAbove; narrowing
	// bounds how many such reads are in flight.
	narrow      func(ctx context.Context, names []string) ([]T, error)
	weight      func(T) int
	narrowAbove int
	narrowing   chan struct{}
	lastWeight  int // the last list's, under mu

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
	c := &Cache[T]{touched: map[string]uint64{}, nameOf: nameOf}
	c.lists = List[snapshot[T]]{ttl: ttl, load: func(ctx context.Context) (snapshot[T], error) {
		c.mu.Lock()
		start, weigh := c.seq, c.weight
		c.mu.Unlock()
		items, err := list(ctx)
		s := snapshot[T]{byName: make(map[string]T, len(items)), start: start}
		w := 0
		for _, it := range items {
			s.byName[nameOf(it)] = it
			if weigh != nil {
				w += weigh(it)
			}
		}
		if err == nil {
			c.mu.Lock()
			c.lastWeight = w
			c.mu.Unlock()
		}
		return s, err
	}}
	return c
}

// narrowReads bounds the reads by name in flight: each is a whole pool's
// members (0.5 MB of JSON at 5,000 nodes, decoded twice), and 50 syncs
// reading at once held 46 MB of response bodies in make bench.
const narrowReads = 4

// Narrow makes a View that names objects, and cannot use the cached list,
// read only those objects (read) while the last list weighed more than
// above (weight per object), instead of listing everything again.
func (c *Cache[T]) Narrow(read func(ctx context.Context, names []string) ([]T, error), weight func(T) int, above int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.narrow, c.weight, c.narrowAbove = read, weight, above
	c.narrowing = make(chan struct{}, narrowReads)
}

func (c *Cache[T]) large() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.narrow != nil && c.lastWeight > c.narrowAbove
}

// viewNarrow reads the named objects; a read that begins now is as fresh
// as any list a Recency or our own writes could ask for.
func (c *Cache[T]) viewNarrow(ctx context.Context, names []string) (map[string]T, error) {
	select {
	case c.narrowing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	items, err := c.narrow(ctx, names)
	<-c.narrowing
	if err != nil {
		return nil, err
	}
	out := make(map[string]T, len(items))
	for _, it := range items {
		out[c.nameOf(it)] = it
	}
	return out, nil
}

// View returns every object (read only) of a list r accepts, and never of
// a list begun before our last write (or attempted write) to one of the
// named objects: a burst of syncs that wrote different objects shares one
// list begun after their writes.
func (c *Cache[T]) View(ctx context.Context, r Recency, names ...string) (map[string]T, error) {
	usable := func(s snapshot[T]) bool { return !c.writtenSince(s.start, names) }
	if len(names) > 0 && c.large() {
		if s, ok := c.lists.cached(r, usable); ok {
			return s.byName, nil
		}
		return c.viewNarrow(ctx, names)
	}
	s, err := c.lists.getIf(ctx, r, usable)
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

// LastWrite is a mark of our last write to an object (Invalidate): a
// memo of the object taken at one mark holds while the mark is the same.
func (c *Cache[T]) LastWrite(name string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.touched[name]
}

// Invalidate records a write of ours to an object (made or attempted).
func (c *Cache[T]) Invalidate(name string) {
	c.mu.Lock()
	c.seq++
	c.touched[name] = c.seq
	c.mu.Unlock()
}
