package gceapi

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// shareModel is GCE's per-project token bucket shared by the client's
// budget and another client, on a simulated clock: no wall time, no
// goroutines, the same answer on every run.
type shareModel struct {
	quota        float64       // GCE's rate, per second; its burst is one second's worth
	other        float64       // the other client's steady offer, per second
	otherUntil   time.Duration // when the other client stops (0: never)
	callersLimit float64       // the fastest our callers can send, per second (0: always one waiting)
	writes       int           // our successful writes to make
}

// shareRun is what a run of the model measured.
type shareRun struct {
	wall                 time.Duration
	sent, refused        int
	otherSent, otherRef  int
	meanBudgetSecondHalf float64
	achievedSecondHalf   float64 // our sends per second over the second half
	budgetAt             func(time.Duration) float64
}

type simEvent struct {
	at     time.Duration
	kind   int // arriveOurs, arriveOther, answer
	sent   time.Duration
	waited bool
	ok     bool
}

const (
	arriveOurs = iota
	arriveOther
	answer
)

func (m shareModel) run(t *testing.T, ceiling float64) shareRun {
	t.Helper()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	jitter := func() time.Duration { return time.Duration(rng.Int64N(int64(40 * time.Millisecond))) }
	b := newBudget("mutation", ceiling)
	level, levelAt := m.quota, time.Duration(0) // GCE's bucket, full
	admit := func(at time.Duration) bool {
		level = math.Min(m.quota, level+(at-levelAt).Seconds()*m.quota)
		levelAt = at
		if level >= 1 {
			level--
			return true
		}
		return false
	}
	var events []simEvent
	push := func(e simEvent) {
		i := sort.Search(len(events), func(i int) bool { return events[i].at > e.at })
		events = append(events, simEvent{})
		copy(events[i+1:], events[i:])
		events[i] = e
	}
	var r shareRun
	type sample struct {
		at time.Duration
		r  float64
	}
	trace := []sample{{0, ceiling}}
	var sends []time.Duration
	now, nextOther, lastSend, notBefore := time.Duration(0), time.Duration(0), time.Duration(-time.Hour), time.Duration(0)
	waited, ok := false, 0
	for steps := 0; ok < m.writes; steps++ {
		if steps > 100*m.writes {
			t.Fatalf("model stuck at %v: %d of %d writes, budget %.2f/s, notBefore %v, %d events", now, ok, m.writes, b.perSecond(), notBefore, len(events))
		}
		// Our next send: when a caller is there and the budget has a token.
		ready := max(now, notBefore)
		if m.callersLimit > 0 {
			ready = max(ready, lastSend+time.Duration(float64(time.Second)/m.callersLimit))
		}
		next := ready
		otherOn := m.other > 0 && (m.otherUntil == 0 || nextOther < m.otherUntil)
		if otherOn && nextOther < next {
			next = nextOther
		}
		if len(events) > 0 && events[0].at < next {
			next = events[0].at
		}
		now = next
		switch {
		case len(events) > 0 && events[0].at == now:
			e := events[0]
			events = events[1:]
			switch e.kind {
			case arriveOther:
				r.otherSent++
				if !admit(now) {
					r.otherRef++
				}
			case arriveOurs:
				good := admit(now)
				if good {
					ok++
				} else {
					r.refused++
				}
				push(simEvent{at: now + 25*time.Millisecond + jitter(), kind: answer, sent: e.sent, waited: e.waited, ok: good})
			case answer:
				var err error
				if !e.ok {
					err = &Error{Kind: KindRateLimited, Code: 403, Reason: "rateLimitExceeded"}
				}
				b.observeAt(context.Background(), t0.Add(now), "routes.insert", t0.Add(e.sent), e.waited, err)
				trace = append(trace, sample{now, b.perSecond()})
			}
		case otherOn && nextOther == now:
			push(simEvent{at: now + 25*time.Millisecond + jitter(), kind: arriveOther})
			nextOther += time.Duration(float64(time.Second) / m.other)
		case now == ready:
			if d := b.take(t0.Add(now)); d > 0 {
				waited, notBefore = true, now+d
				continue
			}
			r.sent++
			lastSend = now
			sends = append(sends, now)
			push(simEvent{at: now + 25*time.Millisecond + jitter(), kind: arriveOurs, sent: now, waited: waited})
			waited = false
		}
	}
	r.wall = now
	r.budgetAt = func(at time.Duration) float64 {
		i := sort.Search(len(trace), func(i int) bool { return trace[i].at > at })
		return trace[max(i-1, 0)].r
	}
	half := now / 2
	var area float64
	for i, s := range trace {
		end := now
		if i+1 < len(trace) {
			end = trace[i+1].at
		}
		if end > half {
			area += s.r * (end - max(s.at, half)).Seconds()
		}
	}
	r.meanBudgetSecondHalf = area / (now - half).Seconds()
	late := len(sends) - sort.Search(len(sends), func(i int) bool { return sends[i] > half })
	r.achievedSecondHalf = float64(late) / (now - half).Seconds()
	return r
}

// TestBudgetSettlesOnTheShare: the mutation budget (ceiling 24/s) against
// GCE's 25/s while another client spends 12.5/s of it, on a simulated
// clock. Whether our callers could send faster than the budget or only a
// little faster than the share, what the client sends settles on the share
// left: its rate over the second half within 5% of 12.5/s (and, when the
// callers always wait for it, the budget's mean too), 1,000 writes within
// 1.05x of 1,000 / 12.5 s, at most 1% of ours refused and 2% of the other's.
func TestBudgetSettlesOnTheShare(t *testing.T) {
	for _, tc := range []struct {
		name    string
		callers float64
	}{{"callers faster than the budget", 0}, {"callers at 13/s", 13}, {"callers at 14/s", 14}} {
		t.Run(tc.name, func(t *testing.T) {
			m := shareModel{quota: 25, other: 12.5, callersLimit: tc.callers, writes: 1000}
			r := m.run(t, 24)
			share := m.quota - m.other
			bound := time.Duration(float64(m.writes) / share * float64(time.Second))
			t.Logf("%d writes in %v (bound %v, %.3fx); ours %d sent, %d refused; other's %d sent, %d refused; budget over the second half %.2f/s",
				m.writes, r.wall.Round(time.Millisecond), bound, r.wall.Seconds()/bound.Seconds(), r.sent, r.refused, r.otherSent, r.otherRef, r.meanBudgetSecondHalf)
			t.Logf("sent %.2f/s over the second half", r.achievedSecondHalf)
			if r.achievedSecondHalf < 0.95*share || r.achievedSecondHalf > 1.05*share {
				t.Errorf("sent %.2f/s over the second half; want within 5%% of the %.1f/s left", r.achievedSecondHalf, share)
			}
			if tc.callers == 0 && (r.meanBudgetSecondHalf < 0.95*share || r.meanBudgetSecondHalf > 1.05*share) {
				t.Errorf("budget %.2f/s over the second half; want within 5%% of the %.1f/s left", r.meanBudgetSecondHalf, share)
			}
			if r.wall.Seconds() > 1.05*bound.Seconds() {
				t.Errorf("%v for %d writes; want within 1.05x of %v", r.wall, m.writes, bound)
			}
			if r.refused*100 > r.sent {
				t.Errorf("%d of %d refused; want at most 1%%", r.refused, r.sent)
			}
			if r.otherRef*50 > r.otherSent {
				t.Errorf("%d of the other client's %d refused; want at most 2%%", r.otherRef, r.otherSent)
			}
		})
	}
}

// TestBudgetFindsQuotaGivenBack: the other client stops after 40 s; the
// budget climbs back to its ceiling within 90 s of that.
func TestBudgetFindsQuotaGivenBack(t *testing.T) {
	m := shareModel{quota: 25, other: 12.5, otherUntil: 40 * time.Second, writes: 3500}
	r := m.run(t, 24)
	at40, at130 := r.budgetAt(40*time.Second), r.budgetAt(130*time.Second)
	t.Logf("budget %.2f/s when the other client stopped, %.2f/s 90 s later; %d of %d refused", at40, at130, r.refused, r.sent)
	if at40 > 14 {
		t.Errorf("budget %.2f/s while the other client spent half; want near the 12.5/s left", at40)
	}
	if at130 < 23 {
		t.Errorf("budget %.2f/s 90 s after the quota was given back; want near the 24/s ceiling", at130)
	}
}

// TestBudgetPacesEveryWindow: on a simulated clock, callers always waiting
// for a budget of 8/s (a burst of 2) never send more than 2 + 8 per second
// in any window, also across a decrease to 5.6/s, which holds at once for
// the caller already waiting. This is what keeps the client under a server
// budget of 10/s: a property of the sends, checked where they are decided.
// (Over HTTP the emulator measures at arrival, and a loaded machine can
// bunch sends made at 8/s into more than 10 arrivals in a second.)
func TestBudgetPacesEveryWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b := newBudget("mutation", 8)
	var sends []time.Time
	now := t0
	for len(sends) < 200 {
		if d := b.take(now); d > 0 {
			now = now.Add(d)
			continue
		}
		sends = append(sends, now)
		if len(sends) == 100 {
			b.observeAt(context.Background(), now, "routes.insert", now, true, &Error{Kind: KindRateLimited, Code: 403, Reason: "rateLimitExceeded"})
			if got := b.perSecond(); math.Abs(got-5.6) > 1e-9 {
				t.Fatalf("budget after a refusal %v, want 5.6", got)
			}
		}
	}
	for i, s := range sends {
		j := sort.Search(len(sends), func(j int) bool { return !sends[j].Before(s.Add(time.Second)) })
		rate := 8.0
		if i >= 100 {
			rate = 5.6
		}
		if n := j - i; float64(n) > math.Ceil(rate/5)+rate {
			t.Fatalf("%d sends in the second from send %d (%v); want at most %v", n, i, s.Sub(t0), math.Ceil(rate/5)+rate)
		}
	}
	if span := sends[99].Sub(sends[0]); span < time.Duration(97/8.0*float64(time.Second)) {
		t.Errorf("100 sends in %v at 8/s; want at least (100 - burst 2 - 1)/8 s", span)
	}
}
