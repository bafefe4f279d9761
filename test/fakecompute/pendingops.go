package fakecompute

import (
	"sort"
	"time"
)

// PendingOperation is an operation that is not DONE yet.
type PendingOperation struct {
	Type   string // insert, delete, addInstance, ...
	Target Key
}

// schedule completes rec when its latency has passed, or sooner through
// FinishPending.
func (o *operations) schedule(rec *opRecord, finish func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec.finish = finish
	rec.timer = time.AfterFunc(rec.latency, finish)
}

// PendingOperations lists the operations not DONE yet, oldest first. With a
// latency longer than a test (SetOperationLatency(time.Hour)) every
// mutation stays pending until FinishPending: a test then sees which writes
// a client makes before it waits, one round of waits at a time.
func (s *Server) PendingOperations() []PendingOperation {
	var out []PendingOperation
	for _, rec := range s.ops.pending() {
		out = append(out, PendingOperation{Type: rec.base.OperationType, Target: rec.target})
	}
	return out
}

// FinishPending completes every pending operation now, oldest first, as if
// its latency had passed, and returns how many it completed.
func (s *Server) FinishPending() int {
	n := 0
	for _, rec := range s.ops.pending() {
		// A timer that already fired is completing the operation itself.
		if rec.timer.Stop() {
			rec.finish()
			n++
		}
	}
	return n
}

func (o *operations) pending() []*opRecord {
	o.mu.Lock()
	defer o.mu.Unlock()
	var recs []*opRecord
	for _, rec := range o.byKey {
		if !rec.finished && rec.timer != nil {
			recs = append(recs, rec)
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].base.Id < recs[j].base.Id })
	return recs
}
