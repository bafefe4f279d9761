// Package flight shares one call in flight among the callers that ask for
// it meanwhile, so that a burst of questions pays for one list.
//
// Unlike golang.org/x/sync/singleflight, the call does not run on the
// context of the caller that happened to start it: it runs on a context
// of its own, which keeps the starter's values (logger) but ends only when
// every caller waiting for it has gone. A caller that gives up (its
// context ends) therefore never fails the others that joined it.
package flight

import (
	"context"
	"sync"
	"time"
)

// Group runs at most one call at a time. The zero value is ready to use.
type Group[T any] struct {
	mu  sync.Mutex
	cur *call[T]
}

type call[T any] struct {
	began   time.Time
	done    chan struct{}
	waiters int // callers waiting for its result
	cancel  context.CancelFunc
	val     T
	err     error
}

// Do returns the result of fn, run once for every caller that joins it.
// A caller joins the call in flight if it began at since or later (zero
// since: any call); otherwise it waits for that older call to end and
// starts or joins the next.
// When ctx ends first, Do returns ctx.Err(); the call goes on for the
// callers still waiting, and is cancelled when the last of them leaves
// (whose Do returns once the call has).
func (g *Group[T]) Do(ctx context.Context, since time.Time, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	g.mu.Lock()
	for g.cur != nil && g.cur.began.Before(since) {
		older := g.cur
		g.mu.Unlock()
		select {
		case <-older.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		g.mu.Lock()
	}
	c := g.cur
	if c == nil {
		c = g.start(ctx, fn)
	}
	c.waiters++
	g.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.leave(c)
		return zero, ctx.Err()
	}
}

// start runs fn for a new call; g.mu is held.
func (g *Group[T]) start(ctx context.Context, fn func(context.Context) (T, error)) *call[T] {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c := &call[T]{began: time.Now(), done: make(chan struct{}), cancel: cancel}
	g.cur = c
	go func() {
		defer cancel()
		v, err := fn(cctx)
		g.mu.Lock()
		if g.cur == c {
			g.cur = nil
		}
		c.val, c.err = v, err
		g.mu.Unlock()
		close(c.done)
	}()
	return c
}

// leave records that a caller stopped waiting. The last one cancels the
// call, lets the next caller start a new one instead of joining it, and
// waits for the cancelled call to return: no work outlives all of its
// callers (a test may close the client right after).
func (g *Group[T]) leave(c *call[T]) {
	g.mu.Lock()
	c.waiters--
	last := c.waiters == 0
	if last {
		c.cancel()
		if g.cur == c {
			g.cur = nil
		}
	}
	g.mu.Unlock()
	if last {
		<-c.done
	}
}
