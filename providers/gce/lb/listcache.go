package lb

import (
	"context"
	"sync"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/flight"
)

// listCache holds the result of one list call for a short time and shares
// a call in flight among everyone asking meanwhile: a burst of syncs pays
// for one list, and a sync that gives up does not fail the others.
type listCache[T any] struct {
	ttl   time.Duration
	load  func(ctx context.Context) (T, error)
	calls flight.Group[T]

	mu    sync.Mutex
	began time.Time // when the cached value's list began
	done  time.Time // when it ended; zero: nothing cached
	val   T
}

// recency is which list a caller accepts: the zero value one at most the
// cache's TTL old (a call in flight will be), else one that began at since
// or later.
type recency struct{ since time.Time }

// fresh is a list that begins after now.
func fresh() recency { return recency{since: time.Now()} }

// within is recency for a load balancer pass: the lists its start made, or
// newer ones.
func within(since time.Time) recency { return recency{since: since} }

func (c *listCache[T]) accepts(r recency, began, done time.Time) bool {
	if r.since.IsZero() {
		return time.Since(done) < c.ttl
	}
	return !began.Before(r.since)
}

// get returns a value at most ttl old, or, with fresh, one listed after
// the call to get began.
func (c *listCache[T]) get(ctx context.Context, isFresh bool) (T, error) {
	if isFresh {
		return c.getAs(ctx, fresh())
	}
	return c.getAs(ctx, recency{})
}

// getAs returns the cached value if r accepts it, else the value of a list
// r accepts: the one in flight, or a new one.
func (c *listCache[T]) getAs(ctx context.Context, r recency) (T, error) {
	return c.getAsIf(ctx, r, nil)
}

// getAsIf is getAs of a value that is also usable (nil: any). A caller
// that needs a list begun after its own write says so in usable, and
// shares a call begun after that write instead of listing again.
func (c *listCache[T]) getAsIf(ctx context.Context, r recency, usable func(T) bool) (T, error) {
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

// list runs one list and caches its value.
func (c *listCache[T]) list(ctx context.Context) (T, error) {
	at := time.Now()
	v, err := c.load(ctx)
	if err == nil {
		c.mu.Lock()
		c.val, c.began, c.done = v, at, time.Now()
		c.mu.Unlock()
	}
	return v, err
}
