package lb

import (
	"context"
	"sync"
	"time"
)

// listCache holds the result of one list call for a short time and shares
// a call in flight among everyone asking meanwhile: a burst of syncs pays
// for one list.
type listCache[T any] struct {
	ttl  time.Duration
	load func(ctx context.Context) (T, error)

	mu      sync.Mutex
	began   time.Time // when the cached value's list began
	done    time.Time // when it ended; zero: nothing cached
	val     T
	loading chan struct{} // closed when the call in flight ends
	loadAt  time.Time     // when the call in flight began
	err     error         // of the last call
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

func (c *listCache[T]) getAs(ctx context.Context, r recency) (T, error) {
	return c.getAsIf(ctx, r, nil)
}

// getAsIf is getAs of a value that is also usable (nil: any). A caller
// that needs a list begun after its own write says so in usable, and
// shares a call begun after that write instead of listing again.
func (c *listCache[T]) getAsIf(ctx context.Context, r recency, usable func(T) bool) (T, error) {
	var zero T
	ok := func(v T) bool { return usable == nil || usable(v) }
	for {
		c.mu.Lock()
		if !c.done.IsZero() && c.accepts(r, c.began, c.done) && ok(c.val) {
			defer c.mu.Unlock()
			return c.val, nil
		}
		ch, at := c.loading, c.loadAt
		if ch == nil {
			break // lock held: this caller lists
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if c.accepts(r, at, time.Now()) {
			// The call we joined is as fresh as we need.
			c.mu.Lock()
			v, done, err := c.val, c.done, c.err
			c.mu.Unlock()
			if err != nil {
				return v, err
			}
			if !done.IsZero() && ok(v) {
				return v, nil
			}
		}
		// That call began too early; list again.
	}
	ch, at := make(chan struct{}), time.Now()
	c.loading, c.loadAt = ch, at
	c.mu.Unlock()

	v, err := c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loading, c.err = nil, err
	close(ch)
	if err != nil {
		return zero, err
	}
	c.val, c.began, c.done = v, at, time.Now()
	return v, nil
}
