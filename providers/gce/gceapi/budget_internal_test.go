package gceapi

import (
	"context"
	"math"
	"testing"
	"time"
)

func TestBudgetNext(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	p := budgetPolicy{ceiling: 24}
	for _, tc := range []struct {
		name      string
		policy    budgetPolicy
		state     budgetState
		answer    budgetAnswer
		want      float64
		decreased bool
		lastDec   time.Time
	}{
		{name: "refused at the ceiling: x0.7", policy: p, state: budgetState{perSecond: 24},
			answer: budgetAnswer{rateLimited: true, sent: sec(1), at: sec(1.1)}, want: 16.8, decreased: true, lastDec: sec(1.1)},
		{name: "refused, sent after the last decrease: x0.7 again", policy: p, state: budgetState{perSecond: 16.8, lastDecrease: sec(1.1)},
			answer: budgetAnswer{rateLimited: true, sent: sec(1.2), at: sec(1.3)}, want: 11.76, decreased: true, lastDec: sec(1.3)},
		{name: "refused, sent before the last decrease: the same event", policy: p, state: budgetState{perSecond: 16.8, lastDecrease: sec(1.1)},
			answer: budgetAnswer{rateLimited: true, sent: sec(1.05), at: sec(1.2)}, want: 16.8, lastDec: sec(1.1)},
		{name: "refused at the floor: stays", policy: p, state: budgetState{perSecond: 1},
			answer: budgetAnswer{rateLimited: true, sent: sec(5), at: sec(5)}, want: 1, lastDec: sec(5)},
		{name: "refused near the floor: the floor", policy: p, state: budgetState{perSecond: 1.2},
			answer: budgetAnswer{rateLimited: true, sent: sec(5), at: sec(5)}, want: 1, decreased: true, lastDec: sec(5)},
		{name: "ceiling under the floor: the ceiling is the floor", policy: budgetPolicy{ceiling: 0.5}, state: budgetState{perSecond: 0.5},
			answer: budgetAnswer{rateLimited: true, sent: sec(5), at: sec(5)}, want: 0.5, lastDec: sec(5)},
		{name: "answered after waiting: +1% of the ceiling per second's worth", policy: p, state: budgetState{perSecond: 12, lastDecrease: sec(1)},
			answer: budgetAnswer{waited: true, sent: sec(9), at: sec(9)}, want: 12.02, lastDec: sec(1)},
		{name: "answered without waiting: the budget was not what limited it", policy: p, state: budgetState{perSecond: 12, lastDecrease: sec(1)},
			answer: budgetAnswer{sent: sec(9), at: sec(9)}, want: 12, lastDec: sec(1)},
		{name: "answered at the ceiling: stays", policy: p, state: budgetState{perSecond: 24},
			answer: budgetAnswer{waited: true, sent: sec(9), at: sec(9)}, want: 24},
		{name: "answered just under the ceiling: the ceiling", policy: p, state: budgetState{perSecond: 23.995},
			answer: budgetAnswer{waited: true, sent: sec(9), at: sec(9)}, want: 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, dec := tc.policy.next(tc.state, tc.answer)
			if math.Abs(got.perSecond-tc.want) > 1e-9 || dec != tc.decreased || !got.lastDecrease.Equal(tc.lastDec) {
				t.Errorf("next = %.4f/s decreased %v last decrease %v; want %.4f/s, %v, %v",
					got.perSecond, dec, got.lastDecrease, tc.want, tc.decreased, tc.lastDec)
			}
		})
	}
}

// TestBudgetRecovers: after one decrease from the ceiling, answered calls
// at the budget bring it back in about 30 s worth of calls (0.3 of the
// ceiling at 1% of it per second), not at once.
func TestBudgetRecovers(t *testing.T) {
	p := budgetPolicy{ceiling: 24}
	s, _ := p.next(p.initial(), budgetAnswer{rateLimited: true})
	calls := 0
	for s.perSecond < 24 {
		s, _ = p.next(s, budgetAnswer{waited: true})
		calls++
	}
	// Calls at the budget: the seconds they take are the sum of 1/rate.
	if calls < 470 || calls > 768 { // 28 s at 16.8/s, 32 s at 24/s
		t.Errorf("%d answered calls to recover from 16.8/s; want about 30 s of calls at 16.8-24/s", calls)
	}
}

// TestBudgetTakeUsesTheCurrentRate: the caller waiting for a token reads
// the rate again when it wakes, so it sees a decrease (x/time/rate's
// reservations would not).
func TestBudgetTakeUsesTheCurrentRate(t *testing.T) {
	b := newBudget("mutation", 10)
	now := time.Now()
	for b.take(now) == 0 {
	}
	if d := b.take(now); d != 100*time.Millisecond {
		t.Fatalf("wait at 10/s with no token: %v, want 100ms", d)
	}
	b.observe(context.Background(), "routes.insert", now, true, &Error{Kind: KindRateLimited, Code: 403, Reason: "rateLimitExceeded"})
	if d := b.take(now); d < 142*time.Millisecond || d > 143*time.Millisecond {
		t.Errorf("wait at 7/s with no token: %v, want 1/7 s", d)
	}
	if got := b.perSecond(); got != 7 {
		t.Errorf("budget %v, want 7", got)
	}
	// A transport failure says nothing about the quota; a 404 is an answer.
	b.observe(context.Background(), "routes.insert", now, true, &Error{Kind: KindTransport, Reason: ReasonConnectionReset})
	if got := b.perSecond(); got != 7 {
		t.Errorf("budget after a transport failure %v, want 7", got)
	}
	b.observe(context.Background(), "routes.get", now, true, &Error{Kind: KindNotFound, Code: 404})
	if got := b.perSecond(); got <= 7 {
		t.Errorf("budget after a 404 %v, want above 7", got)
	}
}
