package fakecompute

import (
	"encoding/json"
	"sort"
	"time"
)

// The Go side of the admin surface. The HTTP side (admin.go) calls these.

// Reset drops every resource, operation, fault and counter and recreates
// the default network. Latency, quotas and rate limits are kept.
func (s *Server) Reset() {
	// Operations first: one completing concurrently then sees its stale
	// generation, or lands before the store is cleared.
	s.ops.reset()
	s.store.mu.Lock()
	s.store.tables = map[Key]map[string]any{}
	s.store.gen.Add(1)
	s.store.mu.Unlock()
	_ = s.faults.set(nil)
	s.stats.reset()
	s.seedDefaults()
}

// SetQuota sets a quota limit (see the Quota* constants); a negative limit removes it.
func (s *Server) SetQuota(metric string, limit float64) { s.limits.setQuota(metric, limit) }

// Quotas returns the configured quota limits.
func (s *Server) Quotas() map[string]float64 { return s.limits.quotaSnapshot() }

// SetRateLimits sets the per-project read and mutation budgets.
func (s *Server) SetRateLimits(rl RateLimits) { s.limits.set(rl) }

// SetFaults replaces the fault rules.
func (s *Server) SetFaults(rules ...FaultRule) error { return s.faults.set(rules) }

// AddFault appends a fault rule.
func (s *Server) AddFault(r FaultRule) error { return s.faults.add(r) }

// Faults lists the fault rules with how often each has fired... as configured.
func (s *Server) Faults() []FaultRule { return s.faults.list() }

// Stats returns the request counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters and the request log.
func (s *Server) ResetStats() { s.stats.reset() }

// RequestLog returns the most recent requests, oldest first.
func (s *Server) RequestLog() []LogEntry { return s.stats.entries() }

// Dump returns every resource as JSON objects grouped by collection path
// (projects/p/<scope>/<collection>), for debugging and for the state file.
func (s *Server) Dump() map[string][]json.RawMessage {
	out := map[string][]json.RawMessage{}
	_ = s.store.read(func(t *tx) error {
		for tk := range t.s.tables {
			for _, o := range t.list(tk) {
				b, err := json.Marshal(o)
				if err == nil {
					out[tk.Path()] = append(out[tk.Path()], b)
				}
			}
		}
		return nil
	})
	for k, v := range out {
		if len(v) == 0 {
			delete(out, k)
		}
	}
	return out
}

// Visit calls fn for every stored object of a collection ("routes",
// "targetPools"...) in every project and scope, under the store's read
// lock and without marshalling: a poller that only counts must not pay
// Dump's cost (at 5,000 nodes and 500 pools of every node, one Dump is
// ~250 MB of JSON, and it holds the lock that every request waits on).
// fn must not keep or change obj (stored objects are shared and immutable).
func (s *Server) Visit(collection string, fn func(obj any)) {
	_ = s.store.read(func(t *tx) error {
		for tk, tbl := range t.s.tables {
			if tk.Collection != collection {
				continue
			}
			for _, o := range tbl {
				fn(o)
			}
		}
		return nil
	})
}

// Generation changes whenever any resource changes (and never goes back), so
// a follower can poll it cheaply and read Dump only after a change.
func (s *Server) Generation() uint64 { return s.store.gen.Load() }

// Settings are the behaviour knobs the admin API reads and writes.
type Settings struct {
	OperationLatency Duration           `json:"operationLatency"`
	RateLimits       RateLimits         `json:"rateLimits"`
	Quotas           map[string]float64 `json:"quotas"`
}

// Duration marshals as a Go duration string ("2s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return err
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Settings returns the current knobs.
func (s *Server) Settings() Settings {
	return Settings{OperationLatency: Duration(s.opLatency()), RateLimits: s.limits.get(), Quotas: s.Quotas()}
}

// sortedKeys is a small helper for stable output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
