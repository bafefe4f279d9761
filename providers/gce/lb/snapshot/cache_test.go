package snapshot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// After one of our writes, a burst of readers of the written name joins
// one new list; readers of other names keep the cached one; fresh always
// lists.
func TestCacheOneListPerWrite(t *testing.T) {
	var loads atomic.Int64
	release := make(chan struct{})
	c := New(time.Hour, func(s string) string { return s }, func(ctx context.Context) ([]string, error) {
		if loads.Add(1) > 1 {
			<-release // hold the second list so every reader meets it in flight or after it
		}
		return []string{"a", "b"}, nil
	})
	ctx := context.Background()
	if _, err := c.View(ctx, Recency{}, "a"); err != nil {
		t.Fatal(err)
	}
	c.Invalidate("a")
	if _, err := c.View(ctx, Recency{}, "b"); err != nil || loads.Load() != 1 {
		t.Fatalf("a reader of another name listed again: %d loads, %v", loads.Load(), err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.View(ctx, Recency{}, "a"); err != nil {
				t.Error(err)
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); loads.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // poll until the first reader's list is in flight
			t.Fatal("no reader listed after the write")
		}
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 2 {
		t.Fatalf("%d loads after one write and 10 readers; want 2", n)
	}
	if _, err := c.View(ctx, Fresh()); err != nil || loads.Load() != 3 {
		t.Fatalf("fresh did not list: %d loads, %v", loads.Load(), err)
	}
}

// Once a list weighed more than the narrowing threshold, a reader of
// named objects that cannot use the cached list reads only those objects;
// one that can use it still does, and a reader of everything still lists.
func TestCacheNarrowsAboveTheWeight(t *testing.T) {
	var loads, reads atomic.Int64
	var asked []string
	var mu sync.Mutex
	c := New(time.Hour, func(s string) string { return s }, func(ctx context.Context) ([]string, error) {
		loads.Add(1)
		return []string{"aaaa", "bbbb", "cccc"}, nil
	})
	c.Narrow(func(ctx context.Context, names []string) ([]string, error) {
		reads.Add(1)
		mu.Lock()
		asked = append(asked, names...)
		mu.Unlock()
		return names, nil
	}, func(s string) int { return len(s) }, 10)
	ctx := context.Background()
	if _, err := c.View(ctx, Recency{}, "aaaa"); err != nil || loads.Load() != 1 || reads.Load() != 0 {
		t.Fatalf("first view (weight unknown): %d loads, %d reads, %v; want one list", loads.Load(), reads.Load(), err)
	}
	if _, err := c.View(ctx, Recency{}, "aaaa"); err != nil || loads.Load() != 1 || reads.Load() != 0 {
		t.Fatalf("a view the cached list serves: %d loads, %d reads, %v", loads.Load(), reads.Load(), err)
	}
	c.Invalidate("aaaa")
	got, err := c.View(ctx, Recency{}, "aaaa")
	if err != nil || loads.Load() != 1 || reads.Load() != 1 || len(got) != 1 || fmt.Sprint(asked) != "[aaaa]" {
		t.Fatalf("after our write, above the weight: %v, %d loads, %d reads of %v, %v; want one read of aaaa", got, loads.Load(), reads.Load(), asked, err)
	}
	if _, err := c.View(ctx, Fresh()); err != nil || loads.Load() != 2 {
		t.Fatalf("a fresh view of everything: %d loads, %v; want a list", loads.Load(), err)
	}
}
