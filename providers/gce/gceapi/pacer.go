package gceapi

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// budget paces one class of calls (reads or mutations) at its adaptive
// rate (budgetPolicy) with a token bucket, and learns from the answers.
//
// It is not x/time/rate's Limiter: a Limiter's Wait reserves a slot at the
// rate of the moment and sleeps until it, so after a decrease the callers
// already waiting (the route controller runs 200 at once: 8 s of slots at
// 24/s) would still go at the old rate into a window GCE says is spent.
// Here one caller at a time waits for a token, the others queue in order
// behind it, and the waiting one checks the rate again when it wakes.
type budget struct {
	class  string // "read" or "mutation", the metrics' label
	policy budgetPolicy
	gate   chan struct{} // held by the one caller waiting for a token

	mu     sync.Mutex
	state  budgetState
	tokens float64
	filled time.Time // when tokens was last brought up to date
}

func newBudget(class string, ceiling float64) *budget {
	p := budgetPolicy{ceiling: ceiling}
	b := &budget{class: class, policy: p, gate: make(chan struct{}, 1), state: p.initial()}
	b.tokens = b.burst()
	budgetPerSecond.WithLabelValues(class).Set(ceiling)
	return b
}

// burst is a fifth of a second's worth of calls: GCE measures its quotas
// over short windows, and a client that starts with a full second's burst
// can meet a server whose window is already partly spent (by retries,
// other clients, or requests that arrive bunched after network jitter).
func (b *budget) burst() float64 { return math.Max(1, math.Ceil(b.state.perSecond/5)) }

// wait returns when the caller may send one attempt, or when ctx ends,
// and whether it had to wait for a token: a caller that found one there
// (even after queueing behind others: a starved machine wakes them late)
// was not held back by the budget.
func (b *budget) wait(ctx context.Context) (waited bool, err error) {
	select {
	case b.gate <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-b.gate }()
	for {
		d := b.take(time.Now())
		if d == 0 {
			return waited, nil
		}
		waited = true
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		}
	}
}

// take spends a token, or says how long until one is there at the
// current rate (0 when one was spent).
func (b *budget) take(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fill(now)
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	// At least a nanosecond: a deficit too small to round to one would
	// read as "spent" to the caller while no token was taken.
	return max(time.Nanosecond, time.Duration((1-b.tokens)/b.state.perSecond*float64(time.Second)))
}

// fill adds the tokens earned since the last fill, at the current rate.
func (b *budget) fill(now time.Time) {
	switch {
	case b.filled.IsZero():
	case now.After(b.filled):
		b.tokens = math.Min(b.burst(), b.tokens+now.Sub(b.filled).Seconds()*b.state.perSecond)
	default:
		return // a caller's clock reading older than the last fill's
	}
	b.filled = now
}

// observe records the answer to an attempt sent at sent, which waited
// for the budget or not: err nil or any answer GCE gave counts as answered;
// a failure without an answer from GCE (transport, the caller's context)
// says nothing about the quota.
func (b *budget) observe(ctx context.Context, call string, sent time.Time, waited bool, err error) {
	b.observeAt(ctx, time.Now(), call, sent, waited, err)
}

// observeAt is observe of an answer that came at now.
func (b *budget) observeAt(ctx context.Context, now time.Time, call string, sent time.Time, waited bool, err error) {
	limited := KindOf(err) == KindRateLimited
	if err != nil && !limited && !answeredByGCE(err) {
		return
	}
	b.mu.Lock()
	b.fill(now) // tokens earned so far at the old rate
	before := b.state.perSecond
	next, decreased := b.policy.next(b.state, budgetAnswer{rateLimited: limited, waited: waited, sent: sent, at: now})
	b.state = next
	b.tokens = math.Min(b.tokens, b.burst())
	b.mu.Unlock()
	budgetPerSecond.WithLabelValues(b.class).Set(next.perSecond)
	if decreased {
		budgetDecreases.WithLabelValues(b.class).Inc()
		klog.FromContext(ctx).Info("GCE refused a call for the project's rate quota; lowering the client budget",
			"budget", b.class, "call", call, "from", fmt.Sprintf("%.2f/s", before), "to", fmt.Sprintf("%.2f/s", next.perSecond),
			"ceiling", fmt.Sprintf("%.2f/s", b.policy.ceiling))
	}
}

// perSecond is the current budget.
func (b *budget) perSecond() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state.perSecond
}

// answeredByGCE says whether err is an answer from GCE (a classified HTTP
// error or a failed operation), as opposed to no answer.
func answeredByGCE(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind != KindTransport && e.Kind != KindOperationTimeout
}
