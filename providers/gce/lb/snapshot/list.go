package snapshot

import (
	"context"
	"sync"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/flight"
)

// List holds the result of one list call for a short time and shares
// a call in flight among everyone asking meanwhile: a burst of syncs pays
// for one list, and a sync that gives up does not fail the others.
type List[T any] struct {
	ttl   time.Duration
	load  func(ctx context.Context) (T, error)
	calls flight.Group[T]

	mu    sync.Mutex
	began time.Time // when the cached value's list began
	done  time.Time // when it ended; zero: nothing cached
	val   T
}

// NewList caches load's result for ttl.
func NewList[T any](ttl time.Duration, load func(ctx context.Context) (T, error)) *List[T] {
	return &List[T]{ttl: ttl, load: load}
}

// Recency is which list a caller accepts: the zero value one at most the
// cache's TTL old (a call in flight will be), else one that began at since
// or later.
type Recency struct{ since time.Time }

// Fresh is a list that begins after now.
func Fresh() Recency { return Recency{since: time.Now()} }

// FreshIf is Fresh if fresh, else the zero Recency.
func FreshIf(fresh bool) Recency {
	if fresh {
		return Fresh()
	}
	return Recency{}
}

// Within is the recency of a periodic pass over the load balancers: the
// lists its start made, or newer ones.
func Within(since time.Time) Recency { return Recency{since: since} }

func (c *List[T]) accepts(r Recency, began, done time.Time) bool {
	if r.since.IsZero() {
		return time.Since(done) < c.ttl
	}
	return !began.Before(r.since)
}

// Get returns the cached value if r accepts it, else the value of a list
// r accepts: the one in flight, or a new one.
func (c *List[T]) Get(ctx context.Context, r Recency) (T, error) {
	return c.getIf(ctx, r, nil)
}

// getIf is Get of a value that is also usable (nil: any). A caller that
// needs a list begun after its own write says so in usable, and shares a
// call begun after that write instead of listing again.
func (c *List[T]) getIf(ctx context.Context, r Recency, usable func(T) bool) (T, error) {
	ok := func(v T) bool { return usable == nil || usable(v) }
	for {
		c.mu.Lock()
		if !c.done.IsZero() && c.accepts(r, c.began, c.done) && ok(c.val) {
			defer c.mu.Unlock()
			return c.val, nil
		}
		c.mu.Unlock()
		v, err := c.calls.Do(ctx, r.since, c.list)
		if err != nil || ok(v) {
			return v, err
		}
		// That list began before a write the caller must see; the next
		// call begins after it.
	}
}

// cached is the cached value if r accepts it and it is usable (nil: any).
func (c *List[T]) cached(r Recency, usable func(T) bool) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done.IsZero() && c.accepts(r, c.began, c.done) && (usable == nil || usable(c.val)) {
		return c.val, true
	}
	var zero T
	return zero, false
}

// list runs one list and caches its value.
func (c *List[T]) list(ctx context.Context) (T, error) {
	at := time.Now()
	v, err := c.load(ctx)
	if err == nil {
		c.mu.Lock()
		c.val, c.began, c.done = v, at, time.Now()
		c.mu.Unlock()
	}
	return v, err
}
