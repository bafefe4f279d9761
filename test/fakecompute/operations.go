package fakecompute

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// Retention of finished operations. GCE keeps operations for a while and
// then forgets them; an emulator that kept every one would grow without
// bound over a long benchmark or a standalone run. A DONE operation is
// kept for OperationRetention after it finished and, per scope (global,
// each region, each zone), only the newest OperationRetentionCount DONE
// operations are kept. Pending and running operations are always kept.
// Sweeps run when operations are created and are amortised: between two,
// up to an eighth more operations (plus those that were running at the
// last sweep) may be held. A forgotten operation answers 404 and its
// requestId may be reused.
const (
	OperationRetention      = time.Hour
	OperationRetentionCount = 10000
)

// operations tracks every operation: its scope, timing and outcome.
type operations struct {
	s         *Server
	mu        sync.Mutex
	byKey     map[Key]*opRecord
	byRequest map[string]*ridEntry // project + "/" + requestId
	tables    map[Key][]*opRecord  // scope table -> records, oldest first
	pruneAt   map[Key]int          // scope table -> length that triggers the next count-based scan
	seq       uint64
	gen       uint64 // bumped by reset: operations of an older generation change nothing

	keepFor time.Duration // OperationRetention; tests shorten it
	keepMax int           // OperationRetentionCount; tests shrink it
}

// ridEntry reserves a requestId while its first request is validated, so
// that concurrent retries of one request create one operation.
type ridEntry struct {
	rec   *opRecord     // set once the operation exists
	ready chan struct{} // closed when the first request is decided
}

type opRecord struct {
	key      Key
	target   Key
	base     compute.Operation // fields fixed at creation
	latency  time.Duration
	gen      uint64
	rid      string // key in byRequest, "" if none
	done     chan struct{}
	finished bool
	end      time.Time
	targetID uint64
	err      *apiError
	timer    *time.Timer // completes it after its latency (nil: completed at once)
	finish   func()      // what the timer runs; FinishPending runs it sooner
}

func newOperations(s *Server) *operations {
	return &operations{s: s, byKey: map[Key]*opRecord{}, byRequest: map[string]*ridEntry{},
		tables: map[Key][]*opRecord{}, pruneAt: map[Key]int{}, keepFor: OperationRetention, keepMax: OperationRetentionCount}
}

// mutation is what a verb does to the store. It runs twice: once as a dry run
// to answer invalid requests synchronously, as GCE does, and once for real
// when the operation completes (state may have changed in between, so it
// validates again). It must not change objects it read; it clones them.
type mutation func(t *tx) error

// submit runs the dry run, creates the operation, and completes it now or
// after the configured latency.
func (o *operations) submit(c *call, target Key, opType string, m mutation) (any, error) {
	rid := c.q.Get("requestId")
	if rid != "" {
		rkey := c.project + "/" + rid
		rec, release := o.claim(rkey)
		if rec != nil {
			// A retried request with the same requestId gets the first
			// operation back and changes nothing.
			return o.snapshot(rec), nil
		}
		var created *opRecord
		defer func() { release(created) }()
		op, rec, err := o.start(c, target, opType, m, rkey)
		created = rec
		return op, err
	}
	op, _, err := o.start(c, target, opType, m, "")
	return op, err
}

// claim returns the operation a requestId already names, or reserves the
// requestId; release(rec) then publishes the operation (nil: the request
// was refused, the requestId stays free).
func (o *operations) claim(rkey string) (*opRecord, func(*opRecord)) {
	for {
		o.mu.Lock()
		e := o.byRequest[rkey]
		if e == nil {
			e = &ridEntry{ready: make(chan struct{})}
			o.byRequest[rkey] = e
			o.mu.Unlock()
			return nil, func(rec *opRecord) {
				o.mu.Lock()
				if rec == nil {
					delete(o.byRequest, rkey)
				} else {
					e.rec = rec
				}
				o.mu.Unlock()
				close(e.ready)
			}
		}
		if e.rec != nil {
			o.mu.Unlock()
			return e.rec, nil
		}
		ch := e.ready
		o.mu.Unlock()
		<-ch
	}
}

// doneAtOnce are the operation types GCE finishes before it answers: a
// recorded setLabels on a forwarding rule answered DONE, progress 100,
// with its endTime (k8s-config-connector's recordings against real GCE,
// GoogleCloudPlatform/k8s-config-connector#2720).
var doneAtOnce = map[string]bool{"setLabels": true}

// start validates the request (the dry run), creates its operation and
// completes it now or after the latency. The first answer is GCE's: the
// operation RUNNING, progress 0, targetId already set (the id an insert
// will give its resource is reserved now), even when it completes at once
// (zero latency); only the types of doneAtOnce answer DONE.
func (o *operations) start(c *call, target Key, opType string, m mutation, rkey string) (any, *opRecord, error) {
	if err := o.s.store.read(func(t *tx) error { return m(t) }); err != nil && !failsInOperation(err) {
		return nil, nil, err
	}
	rec := o.create(target, opType, rkey, o.s.store.targetID(target))
	failOp := c.failOp
	if rec.latency <= 0 || doneAtOnce[opType] {
		first := o.running(rec)
		o.complete(rec, failOp, m)
		if doneAtOnce[opType] {
			return o.snapshot(rec), rec, nil
		}
		return first, rec, nil
	}
	o.schedule(rec, func() { o.complete(rec, failOp, m) })
	return o.snapshot(rec), rec, nil
}

func (o *operations) create(target Key, opType, rkey string, targetID uint64) *opRecord {
	now := time.Now()
	latency := o.s.opLatency()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	seq := o.seq
	name := fmt.Sprintf("operation-%d-%013x-%08x", now.UnixMilli(), seq, uint32(seq*2654435761))
	k := Key{Project: target.Project, Kind: target.Kind, Location: target.Location, Collection: "operations", Name: name}
	rec := &opRecord{
		key:      k,
		target:   target,
		latency:  latency,
		gen:      o.gen,
		rid:      rkey,
		targetID: targetID,
		done:     make(chan struct{}),
		base: compute.Operation{
			Kind:          "compute#operation",
			Id:            uint64(now.UnixNano()) + seq,
			Name:          name,
			OperationType: opType,
			TargetLink:    target.SelfLink(),
			User:          "fakecompute@" + target.Project + ".iam.gserviceaccount.com",
			InsertTime:    now.Format(time.RFC3339Nano),
			SelfLink:      k.SelfLink(),
		},
	}
	switch k.Kind {
	case Regional:
		rec.base.Region = k.ScopeLink()
	case Zonal:
		rec.base.Zone = k.ScopeLink()
	}
	o.byKey[k] = rec
	table := k.Table()
	o.tables[table] = append(o.tables[table], rec)
	o.pruneLocked(table, now)
	return rec
}

// pruneLocked forgets the DONE operations of one scope that are past the
// retention. It runs on every create but only scans when there is
// something to drop, so its cost is amortised O(1).
func (o *operations) pruneLocked(table Key, now time.Time) {
	recs := o.tables[table]
	slack := o.keepMax / 8
	if slack < 1 {
		slack = 1
	}
	expired := len(recs) > 0 && recs[0].finished && now.Sub(recs[0].end) > o.keepFor
	if len(recs) <= max(o.keepMax+slack, o.pruneAt[table]) && !expired {
		return
	}
	keep := make([]bool, len(recs))
	done := 0
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if !r.finished {
			keep[i] = true
			continue
		}
		done++
		keep[i] = done <= o.keepMax && now.Sub(r.end) <= o.keepFor
	}
	kept := make([]*opRecord, 0, len(recs))
	for i, r := range recs {
		if keep[i] {
			kept = append(kept, r)
			continue
		}
		o.forgetLocked(r)
	}
	o.tables[table] = kept
	// Running operations cannot be dropped: do not rescan on every create
	// while many are in flight.
	o.pruneAt[table] = len(kept) + slack
}

func (o *operations) forgetLocked(r *opRecord) {
	delete(o.byKey, r.key)
	if r.rid != "" {
		if e := o.byRequest[r.rid]; e != nil && e.rec == r {
			delete(o.byRequest, r.rid)
		}
	}
}

// errStale marks an operation started before a reset: it must not touch
// the fresh state.
var errStale = errors.New("operation predates a reset")

// complete applies the mutation (unless a fault fails the operation) and
// marks the operation DONE. Both happen under the store's lock, so a client
// that has seen the change and then reads the operation sees it DONE.
func (o *operations) complete(rec *opRecord, failOp *apiError, m mutation) {
	finish := func(err error, tid uint64) {
		o.mu.Lock()
		rec.finished = true
		rec.end = time.Now()
		if tid != 0 {
			rec.targetID = tid
		}
		if err != nil {
			rec.err = asAPIError(err)
		}
		o.mu.Unlock()
	}
	var err error
	if failOp != nil {
		err = failOp
		finish(err, 0)
	} else {
		_ = o.s.store.write(func(t *tx) error {
			o.mu.Lock()
			stale := rec.gen != o.gen
			o.mu.Unlock()
			if stale {
				err = errStale
				finish(err, 0)
				return nil
			}
			// Deletes report the id of what they removed.
			var tid uint64
			if obj, ok := t.get(rec.target); ok {
				tid = idOf(obj)
			}
			t.reserved = map[Key]uint64{rec.target: rec.targetID}
			if err = m(t); err == nil {
				if obj, ok := t.get(rec.target); ok {
					tid = idOf(obj)
				}
			}
			finish(err, tid)
			return nil
		})
	}
	if err != nil && asAPIError(err).Reason == "quotaExceeded" {
		o.s.stats.quotaExceeded()
	}
	close(rec.done)
}

// running renders the operation as running: the first answer to a
// mutation, and every read until it is DONE (GCE's progress stays 0).
func (o *operations) running(rec *opRecord) *compute.Operation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runningLocked(rec)
}

func (o *operations) runningLocked(rec *opRecord) *compute.Operation {
	op := rec.base
	op.StartTime = op.InsertTime
	op.TargetId = rec.targetID
	op.Status = "RUNNING"
	// GCE sends progress 0 (the generated struct would leave it out).
	op.ForceSendFields = []string{"Progress"}
	return &op
}

// snapshot renders the operation as of now.
func (o *operations) snapshot(rec *opRecord) *compute.Operation {
	o.mu.Lock()
	defer o.mu.Unlock()
	op := o.runningLocked(rec)
	if !rec.finished {
		return op
	}
	op.Status = "DONE"
	op.Progress = 100
	op.EndTime = rec.end.Format(time.RFC3339Nano)
	if rec.err != nil {
		op.HttpErrorStatusCode = int64(rec.err.Code)
		op.HttpErrorMessage = strings.ToUpper(http.StatusText(rec.err.Code))
		op.Error = &compute.OperationError{Errors: []*compute.OperationErrorErrors{{
			Code: operationErrorCode(rec.err.Reason), Message: rec.err.Message,
		}}}
	}
	return op
}

func (o *operations) lookup(k Key) (*opRecord, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := o.byKey[k]
	if rec == nil {
		return nil, errNotFound(k)
	}
	return rec, nil
}

// wait blocks until the operation is DONE, the timeout passes or the client
// goes away, then returns its state (which may still be RUNNING, as GCE's).
func (o *operations) wait(ctx context.Context, k Key, timeout time.Duration) (*compute.Operation, error) {
	rec, err := o.lookup(k)
	if err != nil {
		return nil, err
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-rec.done:
	case <-t.C:
	case <-ctx.Done():
	}
	return o.snapshot(rec), nil
}

// list returns snapshots of the operations in one scope, oldest first.
func (o *operations) list(table Key) []any {
	o.mu.Lock()
	recs := append([]*opRecord(nil), o.tables[table]...)
	o.mu.Unlock()
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = o.snapshot(r)
	}
	return out
}

func (o *operations) remove(k Key) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	rec := o.byKey[k]
	if rec == nil {
		return errNotFound(k)
	}
	o.forgetLocked(rec)
	table := k.Table()
	recs := o.tables[table]
	for i, r := range recs {
		if r == rec {
			o.tables[table] = append(recs[:i:i], recs[i+1:]...)
			break
		}
	}
	return nil
}

// reset forgets every operation. Operations still running complete into
// the void: their generation is stale.
func (o *operations) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gen++
	o.byKey = map[Key]*opRecord{}
	o.byRequest = map[string]*ridEntry{}
	o.tables = map[Key][]*opRecord{}
	o.pruneAt = map[Key]int{}
}

// count is the number of operations held, for tests of the retention.
func (o *operations) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.byKey)
}

func isQuota(err error) bool {
	ae := asAPIError(err)
	return ae.Reason == "quotaExceeded"
}

// failsInOperation tells the errors GCE reports in the operation rather
// than in the answer to the request: quota, and what a collection marks so.
func failsInOperation(err error) bool {
	return isQuota(err) || asAPIError(err).inOperation
}

// keyFromLink parses one of the emulator's own selfLinks.
func keyFromLink(link string) Key {
	rest := strings.TrimPrefix(link, SelfLinkBase)
	seg := strings.Split(rest, "/")
	if len(seg) < 5 {
		return Key{}
	}
	k := Key{Project: seg[1]}
	switch seg[2] {
	case "global":
		k.Kind, k.Collection, k.Name = Global, seg[3], seg[4]
	case "regions", "zones":
		if len(seg) < 6 {
			return Key{}
		}
		k.Kind = Regional
		if seg[2] == "zones" {
			k.Kind = Zonal
		}
		k.Location, k.Collection, k.Name = seg[3], seg[4], seg[5]
	}
	return k
}

// idOf reads the numeric id every GCE resource carries (the Id field of
// the typed structs), without a JSON round trip.
func idOf(obj any) uint64 {
	v := reflect.ValueOf(obj)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return 0
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return 0
	}
	f := v.FieldByName("Id")
	if f.IsValid() && f.Kind() == reflect.Uint64 {
		return f.Uint()
	}
	return 0
}
