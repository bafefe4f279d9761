package fakecompute

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Quota metrics GCE enforces on the resources the emulator serves.
const (
	QuotaRoutes          = "ROUTES"
	QuotaFirewalls       = "FIREWALLS"
	QuotaTargetPools     = "TARGET_POOLS"
	QuotaForwardingRules = "FORWARDING_RULES"
	QuotaStaticAddresses = "STATIC_ADDRESSES"
	QuotaInUseAddresses  = "IN_USE_ADDRESSES"
	QuotaInstances       = "INSTANCES"
	QuotaHealthChecks    = "HEALTH_CHECKS"
	QuotaNetworks        = "NETWORKS"
	QuotaInstanceGroups  = "INSTANCE_GROUPS"
	QuotaBackendServices = "BACKEND_SERVICES"
)

// RateLimits are per-project budgets per minute; zero disables one.
type RateLimits struct {
	ReadsPerMinute     int `json:"readsPerMinute"`
	MutationsPerMinute int `json:"mutationsPerMinute"`
}

// limits holds the quotas and the request-rate budgets.
type limits struct {
	mu     sync.Mutex
	quotas map[string]float64 // metric -> limit; absent means unlimited
	rl     RateLimits
	reads  map[string]*rate.Limiter
	writes map[string]*rate.Limiter
}

func newLimits() *limits {
	return &limits{quotas: map[string]float64{}, reads: map[string]*rate.Limiter{}, writes: map[string]*rate.Limiter{}}
}

// SetRateLimits sets the per-project budgets. A budget of N per minute is
// enforced as N/60 requests per second with a burst of one second's worth:
// GCE measures its quotas over short windows, so a client that spends a
// minute's budget in one second is refused.
func (l *limits) set(rl RateLimits) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rl = rl
	l.reads = map[string]*rate.Limiter{}
	l.writes = map[string]*rate.Limiter{}
}

func (l *limits) get() RateLimits {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rl
}

func limiter(perMinute int) *rate.Limiter {
	r := rate.Limit(float64(perMinute) / 60)
	burst := perMinute / 60
	if burst < 1 {
		burst = 1
	}
	return rate.NewLimiter(r, burst)
}

// admit charges one request to the project's budget or refuses it with
// GCE's synchronous 403 rateLimitExceeded.
func (l *limits) admit(project string, mutating bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	budget, m, kind := l.rl.ReadsPerMinute, l.reads, "read"
	if mutating {
		budget, m, kind = l.rl.MutationsPerMinute, l.writes, "mutation"
	}
	if budget <= 0 {
		return nil
	}
	lim := m[project]
	if lim == nil {
		lim = limiter(budget)
		m[project] = lim
	}
	if !lim.AllowN(time.Now(), 1) {
		return errRateLimited(kind)
	}
	return nil
}

func (l *limits) setQuota(metric string, limit float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if limit < 0 {
		delete(l.quotas, metric)
		return
	}
	l.quotas[metric] = limit
}

func (l *limits) quotaSnapshot() map[string]float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]float64, len(l.quotas))
	for k, v := range l.quotas {
		out[k] = v
	}
	return out
}

func (l *limits) quota(metric string) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.quotas[metric]
	return v, ok
}

// chargeQuota fails with QUOTA_EXCEEDED when adding one more object of the
// metric would exceed its limit. Dry runs never fail on quota: GCE reports
// quota through the operation.
func (t *tx) chargeQuota(s *Server, metric string, used int, region string) error {
	if t.dry {
		return nil
	}
	limit, ok := s.limits.quota(metric)
	if !ok || float64(used+1) <= limit {
		return nil
	}
	return errQuota(metric, limit, region)
}
