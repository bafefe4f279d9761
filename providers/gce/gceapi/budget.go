package gceapi

import (
	"math"
	"time"
)

// The project's GCE rate quota is shared with everything else its owner
// runs (other controllers, terraform, gcloud scripts), so the configured
// budget of a class (reads, mutations) is a ceiling, not a rate the CCM may
// assume. The budget adapts to what GCE answers, additive increase and
// multiplicative decrease as TCP does with a shared link:
//
//   - a 403 rateLimitExceeded (or 429) answer to an attempt sent at the
//     current budget multiplies it by budgetDecrease: the project's window
//     is spent, by us or by someone else;
//   - a refusal of an attempt sent before the last decrease changes nothing:
//     it answers the rate the decrease already corrected (one decrease per
//     event, as TCP reduces once per window);
//   - every other answer (success or any other error: GCE counted it) to
//     an attempt that had to wait for the budget raises it by
//     ceiling*budgetIncrease/budget, which is ceiling*budgetIncrease per
//     second while calls use the whole budget; an attempt that did not
//     wait says nothing about a higher rate (the callers, or the machine,
//     were slower than the budget: growing it then would only store up a
//     burst for later, as TCP does not grow an unused window);
//   - never above the ceiling, never below budgetFloor.
//
// The constants come from a simulation of GCE's token bucket (25/s, a
// burst of 25) shared with a client spending half of it, 1,000 mutations
// at budget 24/s: decrease 0.7 and increase 1% of the ceiling per second
// gave 6 refusals (0.6%) and 98% of the share left; increase 2%/s gave
// 10 (1.0%); decrease 0.8 gave 10 or more. A slower increase costs little
// when the share is stable and makes each probe above it rarer. That model
// is TestBudgetSettlesOnTheShare (simulated clock, arrivals jittered by up
// to 40 ms): the client sends 12.47/s of the 12.5/s left over the second
// half, 6 of 1,006 refused; decreasing from the rate achieved when refused
// instead of the budget, or by 0.8 with a regain toward the refused rate and
// a slower probe, did no better there (6-12 refused, within 3% of the share).
const (
	budgetDecrease = 0.7
	budgetIncrease = 0.01 // of the ceiling, per second of calls at the budget
	// budgetFloor is the lowest budget, per second: one call a second
	// still makes progress (a 1,000-node cluster's routes in 17 minutes)
	// and keeps probing whether the quota came back.
	budgetFloor = 1.0
)

// budgetPolicy is one class's adaptation: its configured ceiling.
type budgetPolicy struct {
	ceiling float64 // per second
}

// budgetState is a class's budget at one moment.
type budgetState struct {
	perSecond    float64
	lastDecrease time.Time // zero before the first
}

// budgetAnswer is what one attempt observed.
type budgetAnswer struct {
	rateLimited bool      // GCE refused it: 403 rateLimitExceeded or 429
	waited      bool      // it had to wait for a token
	sent        time.Time // when the attempt left the budget
	at          time.Time // when the answer came
}

// initial is the budget before any answer: the ceiling.
func (p budgetPolicy) initial() budgetState { return budgetState{perSecond: p.ceiling} }

// floor is budgetFloor, or the ceiling when that is lower.
func (p budgetPolicy) floor() float64 { return math.Min(budgetFloor, p.ceiling) }

// next is the budget after an answer, and whether it shrank.
func (p budgetPolicy) next(s budgetState, a budgetAnswer) (budgetState, bool) {
	if a.rateLimited {
		if !s.lastDecrease.IsZero() && a.sent.Before(s.lastDecrease) {
			return s, false
		}
		r := math.Max(p.floor(), s.perSecond*budgetDecrease)
		return budgetState{perSecond: r, lastDecrease: a.at}, r < s.perSecond
	}
	if !a.waited {
		return s, false
	}
	r := math.Min(p.ceiling, s.perSecond+p.ceiling*budgetIncrease/s.perSecond)
	return budgetState{perSecond: r, lastDecrease: s.lastDecrease}, false
}
