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
	at      time.Time // zero: nothing cached
	val     T
	loading chan struct{} // closed when the call in flight ends
	err     error         // of the last call
}

// get returns a value at most ttl old, or, with fresh, one listed after
// the call to get began.
func (c *listCache[T]) get(ctx context.Context, fresh bool) (T, error) {
	var zero T
	for {
		c.mu.Lock()
		if !fresh && !c.at.IsZero() && time.Since(c.at) < c.ttl {
			defer c.mu.Unlock()
			return c.val, nil
		}
		ch := c.loading
		if ch == nil {
			break // lock held: this caller lists
		}
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if !fresh {
			// The call we joined is as fresh as we need.
			c.mu.Lock()
			v, at, err := c.val, c.at, c.err
			c.mu.Unlock()
			if err != nil || !at.IsZero() {
				return v, err
			}
		}
		// fresh: that call began before we asked; list again.
	}
	ch := make(chan struct{})
	c.loading = ch
	c.mu.Unlock()

	v, err := c.load(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.loading, c.err = nil, err
	close(ch)
	if err != nil {
		return zero, err
	}
	c.val, c.at = v, time.Now()
	return v, nil
}
