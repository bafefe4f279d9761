package snapshot

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// A pass reads the lists it began with for as long as it runs, even past
// the TTL that bounds the event path's lists; a list that began before the
// pass is never enough for it.
func TestListRecency(t *testing.T) {
	ctx := context.Background()
	var lists atomic.Int64
	c := NewList(time.Millisecond, func(context.Context) (int64, error) { return lists.Add(1), nil })
	step := func(what string, get func() (int64, error), want int64) {
		t.Helper()
		got, err := get()
		if err != nil || got != want {
			t.Fatalf("%s: list #%d (%v), want #%d", what, got, err, want)
		}
	}
	before := time.Now()
	step("first get", func() (int64, error) { return c.Get(ctx, Recency{}) }, 1)
	time.Sleep(5 * time.Millisecond) // past the TTL
	since := time.Now()
	step("a pass needs a list that began after it", func() (int64, error) { return c.Get(ctx, Within(since)) }, 2)
	time.Sleep(5 * time.Millisecond)
	step("the pass's list, older than the TTL", func() (int64, error) { return c.Get(ctx, Within(since)) }, 2)
	step("an earlier pass's bound", func() (int64, error) { return c.Get(ctx, Within(before)) }, 2)
	step("the event path, past the TTL", func() (int64, error) { return c.Get(ctx, Recency{}) }, 3)
	step("fresh", func() (int64, error) { return c.Get(ctx, Fresh()) }, 4)
}
