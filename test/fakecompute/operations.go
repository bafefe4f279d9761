package fakecompute

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// operations tracks every operation: its scope, timing and outcome.
type operations struct {
	s         *Server
	mu        sync.Mutex
	byKey     map[Key]*opRecord
	byRequest map[string]*opRecord // project + "/" + requestId
	seq       uint64
}

type opRecord struct {
	key      Key
	base     compute.Operation // fields fixed at creation
	start    time.Time
	latency  time.Duration
	done     chan struct{}
	finished bool
	end      time.Time
	targetID uint64
	err      *apiError
}

func newOperations(s *Server) *operations {
	return &operations{s: s, byKey: map[Key]*opRecord{}, byRequest: map[string]*opRecord{}}
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
		o.mu.Lock()
		rec := o.byRequest[c.project+"/"+rid]
		o.mu.Unlock()
		if rec != nil {
			// A retried insert with the same requestId gets the first
			// operation back and changes nothing.
			return o.snapshot(rec), nil
		}
	}
	if err := o.s.store.read(func(t *tx) error { return m(t) }); err != nil && !isQuota(err) {
		return nil, err
	}
	rec := o.create(c, target, opType)
	if rid != "" {
		o.mu.Lock()
		o.byRequest[c.project+"/"+rid] = rec
		o.mu.Unlock()
	}
	if rec.latency <= 0 {
		o.complete(rec, c.failOp, m)
		return o.snapshot(rec), nil
	}
	failOp := c.failOp
	time.AfterFunc(rec.latency, func() { o.complete(rec, failOp, m) })
	return o.snapshot(rec), nil
}

func (o *operations) create(c *call, target Key, opType string) *opRecord {
	now := time.Now()
	o.mu.Lock()
	o.seq++
	seq := o.seq
	o.mu.Unlock()
	name := fmt.Sprintf("operation-%d-%013x-%08x", now.UnixMilli(), seq, uint32(seq*2654435761))
	k := Key{Project: target.Project, Kind: target.Kind, Location: target.Location, Collection: "operations", Name: name}
	rec := &opRecord{
		key:     k,
		start:   now,
		latency: o.s.opLatency(),
		done:    make(chan struct{}),
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
	o.mu.Lock()
	o.byKey[k] = rec
	o.mu.Unlock()
	return rec
}

// complete applies the mutation (unless a fault fails the operation) and
// marks the operation DONE.
func (o *operations) complete(rec *opRecord, failOp *apiError, m mutation) {
	var err error
	if failOp != nil {
		err = failOp
	} else {
		err = o.s.store.write(func(t *tx) error {
			if err := m(t); err != nil {
				return err
			}
			if obj, ok := t.get(keyFromLink(rec.base.TargetLink)); ok {
				rec.targetID = idOf(obj)
			}
			return nil
		})
	}
	o.mu.Lock()
	rec.finished = true
	rec.end = time.Now()
	if err != nil {
		rec.err = asAPIError(err)
		if rec.err.Reason == "quotaExceeded" {
			o.s.stats.quotaExceeded()
		}
	}
	o.mu.Unlock()
	close(rec.done)
}

// snapshot renders the operation as of now.
func (o *operations) snapshot(rec *opRecord) *compute.Operation {
	o.mu.Lock()
	defer o.mu.Unlock()
	op := rec.base
	op.StartTime = op.InsertTime
	op.TargetId = rec.targetID
	switch {
	case rec.finished:
		op.Status = "DONE"
		op.Progress = 100
		op.EndTime = rec.end.Format(time.RFC3339Nano)
	case time.Since(rec.start) < rec.latency/2:
		op.Status = "PENDING"
	default:
		op.Status = "RUNNING"
		op.Progress = 50
	}
	if rec.err != nil {
		op.HttpErrorStatusCode = int64(rec.err.Code)
		op.HttpErrorMessage = strings.ToUpper(http.StatusText(rec.err.Code))
		op.Error = &compute.OperationError{Errors: []*compute.OperationErrorErrors{{
			Code: operationErrorCode(rec.err.Reason), Message: rec.err.Message,
		}}}
	}
	return &op
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
	recs := make([]*opRecord, 0)
	for k, rec := range o.byKey {
		if k.Table() == table {
			recs = append(recs, rec)
		}
	}
	o.mu.Unlock()
	sortRecords(recs)
	out := make([]any, len(recs))
	for i, r := range recs {
		out[i] = o.snapshot(r)
	}
	return out
}

func (o *operations) remove(k Key) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byKey[k] == nil {
		return errNotFound(k)
	}
	delete(o.byKey, k)
	return nil
}

func (o *operations) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byKey = map[Key]*opRecord{}
	o.byRequest = map[string]*opRecord{}
}

func sortRecords(recs []*opRecord) {
	sort.Slice(recs, func(i, j int) bool { return recs[i].base.Name < recs[j].base.Name })
}

func isQuota(err error) bool {
	ae := asAPIError(err)
	return ae.Reason == "quotaExceeded"
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

// idOf reads the numeric id every GCE resource carries.
func idOf(obj any) uint64 {
	b, err := json.Marshal(obj)
	if err != nil {
		return 0
	}
	var v struct {
		ID uint64 `json:"id,string"`
	}
	_ = json.Unmarshal(b, &v)
	return v.ID
}
