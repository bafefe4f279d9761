package fakecompute

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// Stats are the counters tests and benchmarks read their API figures from.
type Stats struct {
	// Calls counts requests per GCE method id (compute.routes.insert, ...).
	Calls map[string]int64 `json:"calls"`
	// Errors counts error answers per method id.
	Errors map[string]int64 `json:"errors"`
	// Statuses counts answers per HTTP status (0: no answer, a reset
	// fault), so a report can tell 409/412 conflicts from 404 lookups.
	Statuses map[int]int64 `json:"statuses"`
	// Reads and Mutations count API requests by kind (operations polls and
	// waits are reads, as GCE counts them).
	Reads     int64 `json:"reads"`
	Mutations int64 `json:"mutations"`
	// RateLimited counts 403 rateLimitExceeded answers from the rate budget.
	RateLimited int64 `json:"rateLimited"`
	// QuotaExceeded counts operations failed with QUOTA_EXCEEDED.
	QuotaExceeded int64 `json:"quotaExceeded"`
}

// LogEntry is one line of the request log.
type LogEntry struct {
	Time     time.Time `json:"time"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	MethodID string    `json:"methodId"`
	Status   int       `json:"status"` // 0: no answer (a reset fault)
	Micros   int64     `json:"micros"`
}

const logCapacity = 10000

type stats struct {
	mu  sync.Mutex
	st  Stats
	log []LogEntry // a ring of logCapacity entries once full
	pos int        // where the next entry goes once the ring is full
}

func newStats() *stats {
	return &stats{st: emptyStats()}
}

func emptyStats() Stats {
	return Stats{Calls: map[string]int64{}, Errors: map[string]int64{}, Statuses: map[int]int64{}}
}

func (s *stats) record(r *http.Request, methodID string, status int, start time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Calls[methodID]++
	s.st.Statuses[status]++
	if status >= 400 {
		s.st.Errors[methodID]++
	}
	if isMutatingMethod(r.Method, methodID) {
		s.st.Mutations++
	} else {
		s.st.Reads++
	}
	e := LogEntry{Time: start, Method: r.Method, Path: r.URL.Path, MethodID: methodID,
		Status: status, Micros: time.Since(start).Microseconds()}
	// A ring, not a sliding slice: shifting 10,000 entries on every request
	// made each request of a long run pay a half-megabyte copy.
	if len(s.log) < logCapacity {
		s.log = append(s.log, e)
		return
	}
	s.log[s.pos] = e
	s.pos = (s.pos + 1) % logCapacity
}

func (s *stats) rateLimited() {
	s.mu.Lock()
	s.st.RateLimited++
	s.mu.Unlock()
}

func (s *stats) quotaExceeded() {
	s.mu.Lock()
	s.st.QuotaExceeded++
	s.mu.Unlock()
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.st
	out.Calls = make(map[string]int64, len(s.st.Calls))
	for k, v := range s.st.Calls {
		out.Calls[k] = v
	}
	out.Errors = make(map[string]int64, len(s.st.Errors))
	for k, v := range s.st.Errors {
		out.Errors[k] = v
	}
	out.Statuses = make(map[int]int64, len(s.st.Statuses))
	for k, v := range s.st.Statuses {
		out.Statuses[k] = v
	}
	return out
}

func (s *stats) entries() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LogEntry, 0, len(s.log))
	out = append(out, s.log[s.pos:]...)
	return append(out, s.log[:s.pos]...)
}

func (s *stats) reset() {
	s.mu.Lock()
	s.st = emptyStats()
	s.log, s.pos = nil, 0
	s.mu.Unlock()
}

// isMutatingMethod: operations.wait is a POST that only reads.
func isMutatingMethod(method, methodID string) bool {
	if method == http.MethodGet || methodID == "unknown" {
		return false
	}
	// The POST verbs GCE counts as reads.
	for _, verb := range []string{"Operations.wait", ".getHealth", ".listInstances"} {
		if strings.HasSuffix(methodID, verb) {
			return false
		}
	}
	return true
}

// MethodIDs lists the counters that are non-zero, sorted, for reports.
func (st Stats) MethodIDs() []string {
	ids := make([]string, 0, len(st.Calls))
	for k := range st.Calls {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	return ids
}
