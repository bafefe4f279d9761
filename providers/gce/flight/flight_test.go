package flight

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// blocking is a call that counts its runs and ends when released (or when
// its own context ends).
type blocking struct {
	runs    atomic.Int32
	entered chan struct{}
	release chan struct{}
	ended   chan error // the call's context error when it ended
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 10), release: make(chan struct{}), ended: make(chan error, 10)}
}

func (b *blocking) fn(ctx context.Context) (int, error) {
	n := b.runs.Add(1)
	b.entered <- struct{}{}
	select {
	case <-b.release:
		b.ended <- nil
		return int(n), nil
	case <-ctx.Done():
		b.ended <- ctx.Err()
		return 0, ctx.Err()
	}
}

type result struct {
	v   int
	err error
}

func ask(g *Group[int], ctx context.Context, since time.Time, b *blocking) chan result {
	out := make(chan result, 1)
	go func() {
		v, err := g.Do(ctx, since, b.fn)
		out <- result{v, err}
	}()
	return out
}

// waitWaiters waits until the call in flight has n callers waiting.
func waitWaiters(t *testing.T, g *Group[int], n int) {
	t.Helper()
	for {
		g.mu.Lock()
		w := -1
		if g.cur != nil {
			w = g.cur.waiters
		}
		g.mu.Unlock()
		if w == n {
			return
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("never %d waiters", n)
		default:
			runtime.Gosched()
		}
	}
}

func TestJoinersShareOneCall(t *testing.T) {
	var g Group[int]
	b := newBlocking()
	first := ask(&g, t.Context(), time.Time{}, b)
	<-b.entered
	second := ask(&g, t.Context(), time.Time{}, b)
	waitWaiters(t, &g, 2)
	close(b.release)
	for _, ch := range []chan result{first, second} {
		if r := <-ch; r.err != nil || r.v != 1 {
			t.Errorf("got %d, %v; want the one call's answer 1", r.v, r.err)
		}
	}
	if n := b.runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
}

// The bug this package exists for: the caller that started the call gives
// up, and the caller that joined it must still get its answer.
func TestStarterCancelledJoinerServed(t *testing.T) {
	var g Group[int]
	b := newBlocking()
	ctx, cancel := context.WithCancel(t.Context())
	first := ask(&g, ctx, time.Time{}, b)
	<-b.entered
	second := ask(&g, t.Context(), time.Time{}, b)
	waitWaiters(t, &g, 2)
	cancel()
	if r := <-first; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the cancelled caller got %d, %v; want context.Canceled", r.v, r.err)
	}
	close(b.release)
	if r := <-second; r.err != nil || r.v != 1 {
		t.Fatalf("the joiner got %d, %v; want the answer 1", r.v, r.err)
	}
	if err := <-b.ended; err != nil {
		t.Errorf("the call ended with %v; want it to run to its end", err)
	}
}

// When every caller has gone the call is cancelled, and the next caller
// starts a new one rather than joining a cancelled call.
func TestLastCallerLeavingCancels(t *testing.T) {
	var g Group[int]
	b := newBlocking()
	ctx, cancel := context.WithCancel(t.Context())
	first := ask(&g, ctx, time.Time{}, b)
	<-b.entered
	cancel()
	<-first
	if err := <-b.ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("the call's context: %v, want cancelled", err)
	}
	next := ask(&g, t.Context(), time.Time{}, b)
	<-b.entered
	close(b.release)
	if r := <-next; r.err != nil || r.v != 2 {
		t.Errorf("next caller got %d, %v; want a new call's answer 2", r.v, r.err)
	}
}

// A fresh caller does not take the answer of a call that began before it
// asked: it waits for that one and is served by the next.
func TestFreshWaitsForANewerCall(t *testing.T) {
	var g Group[int]
	b := newBlocking()
	old := ask(&g, t.Context(), time.Time{}, b)
	<-b.entered
	fresh := ask(&g, t.Context(), time.Now(), b)
	b.release <- struct{}{} // ends the first call only
	if r := <-old; r.v != 1 {
		t.Fatalf("first caller got %d, %v", r.v, r.err)
	}
	<-b.entered
	close(b.release)
	if r := <-fresh; r.err != nil || r.v != 2 {
		t.Errorf("fresh caller got %d, %v; want the second call's answer 2", r.v, r.err)
	}
}
