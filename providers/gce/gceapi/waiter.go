package gceapi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// waiter waits for operations without a read per operation per second.
// Each scope (global, a region, a zone) has at most one polling loop. With
// one operation pending the loop uses operations.wait, which GCE answers
// when the operation is DONE. With several it polls them together with one
// operations.list filtered by name, timed for when the oldest should be
// done, and no sooner after the scope's last poll than PollInterval or the
// operations' latency, whichever is longer: a poll sooner than one latency
// after the last would find only what was submitted before it and not DONE
// then, a few operations for a whole read. The latency is a running
// estimate, per scope, of GCE's own insert-to-end time (the operation's
// insertTime and endTime), not of how long a waiter waited: that includes
// the poll's spacing and would stretch itself. Per scope, because what
// lives in one scope takes its own time: a zone's instance updates take
// tens of seconds, and must not space the polls of global routes.
type waiter struct {
	c       *Client
	ctx     context.Context // lives as long as the Client
	cancel  context.CancelFunc
	mu      sync.Mutex
	pending map[opScope]map[string]*pendingOp
	running map[opScope]bool
	closed  bool
	bg      sync.WaitGroup            // the loops and the client's other background reads
	latency map[opScope]time.Duration // moving estimates of GCE's insert-to-DONE time
}

// opScope is where an operation lives: its project (routes of a Shared
// VPC live in the network's host project) and global, a region or a zone.
type opScope struct{ project, region, zone string }

func (s opScope) String() string {
	switch {
	case s.zone != "":
		return "zones/" + s.zone
	case s.region != "":
		return "regions/" + s.region
	}
	return "global"
}

type pendingOp struct {
	name      string
	submitted time.Time
	done      chan struct{}
	result    *computepb.Operation
	err       error
}

func newWaiter(parent context.Context, c *Client) *waiter {
	// The loops serve every caller, so no single caller's cancellation may
	// stop them: they keep the constructor's values but not its
	// cancellation, and Close stops them.
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	w := &waiter{c: c, ctx: ctx, cancel: cancel, pending: map[opScope]map[string]*pendingOp{},
		running: map[opScope]bool{}, latency: map[opScope]time.Duration{}}
	// Stopped before the REST clients close: a loop's read in flight must
	// end before the client it uses is closed under it.
	c.closers = append([]func() error{w.close}, c.closers...)
	return w
}

// close stops the loops and background reads and waits for them.
func (w *waiter) close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.bg.Wait()
	return nil
}

// background runs f in a goroutine that Close waits for, with a context
// that keeps ctx's values and ends when ctx does or the client closes. It
// reports false (and runs nothing) once the client is closed.
func (w *waiter) background(ctx context.Context, f func(ctx context.Context)) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.backgroundLocked(ctx, f)
}

// backgroundLocked is background for a caller holding w.mu.
func (w *waiter) backgroundLocked(ctx context.Context, f func(ctx context.Context)) bool {
	if w.closed {
		return false
	}
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stop := context.AfterFunc(w.ctx, cancel)
		defer stop()
		f(ctx)
	}()
	return true
}

// errClosed: the Client was closed.
var errClosed = errors.New("client closed")

func scopeOfOp(project string, op *computepb.Operation) opScope {
	return opScope{project: project, region: gceref.Name(op.GetRegion()), zone: gceref.Name(op.GetZone())}
}

// wait blocks until the operation is DONE and returns its outcome, or
// until Config.OperationTimeout has passed since it was submitted.
func (w *waiter) wait(ctx context.Context, project, call, target string, op *computepb.Operation) error {
	if op.GetStatus() == computepb.Operation_DONE {
		return opOutcome(call, target, op)
	}
	sc := scopeOfOp(project, op)
	p := &pendingOp{name: op.GetName(), submitted: time.Now(), done: make(chan struct{})}
	w.mu.Lock()
	if w.pending[sc] == nil {
		w.pending[sc] = map[string]*pendingOp{}
	}
	w.pending[sc][p.name] = p
	if !w.running[sc] {
		if !w.backgroundLocked(context.WithoutCancel(ctx), func(context.Context) { w.loop(sc) }) {
			delete(w.pending[sc], p.name)
			w.mu.Unlock()
			return fmt.Errorf("gce %s %s: waiting for operation %s: %w", call, target, p.name, errClosed)
		}
		w.running[sc] = true
	}
	w.mu.Unlock()
	bound := time.NewTimer(w.c.cfg.OperationTimeout)
	defer bound.Stop()
	select {
	case <-p.done:
		if p.err != nil {
			return p.err
		}
		return opOutcome(call, target, p.result)
	case <-bound.C:
		w.forget(sc, p)
		return &Error{Kind: KindOperationTimeout, Call: call, Target: target,
			Message: fmt.Sprintf("operation %s in %s not DONE after %v; it may still complete", p.name, sc, w.c.cfg.OperationTimeout)}
	case <-ctx.Done():
		w.forget(sc, p)
		return fmt.Errorf("gce %s %s: waiting for operation %s: %w", call, target, p.name, ctx.Err())
	}
}

// forget stops polling for an operation nobody waits on any more.
func (w *waiter) forget(sc opScope, p *pendingOp) {
	w.mu.Lock()
	delete(w.pending[sc], p.name)
	w.mu.Unlock()
}

// opOutcome reads a DONE operation's result.
func opOutcome(call, target string, op *computepb.Operation) error {
	code := int(op.GetHttpErrorStatusCode())
	errs := op.GetError().GetErrors()
	if (code == 0 || (code >= 200 && code < 300)) && len(errs) == 0 {
		return nil
	}
	opCode, msg := "", op.GetHttpErrorMessage()
	if len(errs) > 0 {
		opCode, msg = errs[0].GetCode(), errs[0].GetMessage()
	}
	return classifyOperation(call, target, code, opCode, msg)
}

func (w *waiter) oldest(sc opScope, n int) []*pendingOp {
	w.mu.Lock()
	defer w.mu.Unlock()
	ops := make([]*pendingOp, 0, len(w.pending[sc]))
	for _, p := range w.pending[sc] {
		ops = append(ops, p)
	}
	if len(ops) == 0 {
		w.running[sc] = false
		return nil
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].submitted.Before(ops[j].submitted) })
	if len(ops) > n {
		ops = ops[:n]
	}
	return ops
}

func (w *waiter) resolve(sc opScope, p *pendingOp, op *computepb.Operation, err error) {
	w.mu.Lock()
	if _, ok := w.pending[sc][p.name]; !ok {
		w.mu.Unlock()
		return
	}
	delete(w.pending[sc], p.name)
	if err == nil {
		sample := opLatency(op, p.submitted)
		if l, ok := w.latency[sc]; ok {
			// Exponential moving average, weight 1/8 for the newest sample.
			sample = l + (sample-l)/8
		}
		w.latency[sc] = sample
	}
	w.mu.Unlock()
	p.result, p.err = op, err
	close(p.done)
}

func (w *waiter) loop(sc opScope) {
	var lastPoll time.Time
	for {
		ops := w.oldest(sc, maxNamesPerList)
		if ops == nil {
			return
		}
		if len(ops) == 1 {
			op, err := w.serverWait(sc, ops[0].name)
			w.handle(sc, ops[0], op, err)
			continue
		}
		w.mu.Lock()
		latency, ok := w.latency[sc]
		if !ok {
			latency = w.c.cfg.PollInterval // a guess until the scope's first operation ends
		}
		due := ops[0].submitted.Add(latency)
		if min := lastPoll.Add(max(w.c.cfg.PollInterval, latency)); due.Before(min) {
			due = min
		}
		w.mu.Unlock()
		if !w.sleepUntil(due) {
			w.failAll(sc, w.ctx.Err())
			return
		}
		lastPoll = time.Now()
		done, err := w.listDone(sc, ops)
		if err != nil {
			// A failed poll is retried at the next round, which is at least
			// PollInterval away, after read()'s own retries.
			continue
		}
		for _, p := range ops {
			if op, ok := done[p.name]; ok {
				w.resolve(sc, p, op, nil)
			}
		}
	}
}

// opLatency is how long GCE took: the DONE operation's endTime minus its
// insertTime, or the time since it was submitted when either is missing.
func opLatency(op *computepb.Operation, submitted time.Time) time.Duration {
	ins, err1 := time.Parse(time.RFC3339Nano, op.GetInsertTime())
	end, err2 := time.Parse(time.RFC3339Nano, op.GetEndTime())
	if err1 != nil || err2 != nil || end.Before(ins) {
		return time.Since(submitted)
	}
	return end.Sub(ins)
}

// handle resolves an operation after operations.wait.
func (w *waiter) handle(sc opScope, p *pendingOp, op *computepb.Operation, err error) {
	switch {
	case err == nil && op.GetStatus() == computepb.Operation_DONE:
		w.resolve(sc, p, op, nil)
	case err != nil && IsNotFound(err):
		w.resolve(sc, p, nil, fmt.Errorf("operation %s vanished: %w", p.name, err))
	case err != nil && w.ctx.Err() != nil:
		w.failAll(sc, w.ctx.Err())
	case err != nil:
		// Transient: wait a poll interval before asking again.
		w.sleepUntil(time.Now().Add(w.c.cfg.PollInterval))
	}
}

func (w *waiter) failAll(sc opScope, err error) {
	for _, p := range w.oldest(sc, 1<<30) {
		w.resolve(sc, p, nil, fmt.Errorf("operation %s: client closed: %w", p.name, err))
	}
}

func (w *waiter) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return w.ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// serverWait is operations.wait in the operation's scope.
func (w *waiter) serverWait(sc opScope, name string) (*computepb.Operation, error) {
	c := w.c
	var op *computepb.Operation
	opPolls.WithLabelValues("wait").Inc()
	err := c.readWithin(w.ctx, c.cfg.AttemptTimeout+serverWaitBlock, "operations.wait", sc.String()+"/"+name, func(ctx context.Context) error {
		var err error
		switch {
		case sc.zone != "":
			op, err = c.zoneOps.Wait(ctx, &computepb.WaitZoneOperationRequest{Project: sc.project, Zone: sc.zone, Operation: name}, noRetry)
		case sc.region != "":
			op, err = c.regionOps.Wait(ctx, &computepb.WaitRegionOperationRequest{Project: sc.project, Region: sc.region, Operation: name}, noRetry)
		default:
			op, err = c.globalOps.Wait(ctx, &computepb.WaitGlobalOperationRequest{Project: sc.project, Operation: name}, noRetry)
		}
		return err
	})
	return op, err
}

// listDone polls several operations with one filtered list.
func (w *waiter) listDone(sc opScope, ops []*pendingOp) (map[string]*computepb.Operation, error) {
	c := w.c
	names := make([]string, len(ops))
	for i, p := range ops {
		names[i] = p.name
	}
	filter := proto.String("(" + NamesFilter(names) + `)(status eq "DONE")`)
	max := proto.Uint32(500)
	out := map[string]*computepb.Operation{}
	opPolls.WithLabelValues("list").Inc()
	err := c.read(w.ctx, "operations.list", sc.String(), func(ctx context.Context) error {
		var it interface {
			Next() (*computepb.Operation, error)
		}
		switch {
		case sc.zone != "":
			it = c.zoneOps.List(ctx, &computepb.ListZoneOperationsRequest{Project: sc.project, Zone: sc.zone, Filter: filter, MaxResults: max}, noRetry)
		case sc.region != "":
			it = c.regionOps.List(ctx, &computepb.ListRegionOperationsRequest{Project: sc.project, Region: sc.region, Filter: filter, MaxResults: max}, noRetry)
		default:
			it = c.globalOps.List(ctx, &computepb.ListGlobalOperationsRequest{Project: sc.project, Filter: filter, MaxResults: max}, noRetry)
		}
		return drain(it, func(op *computepb.Operation) {
			if op.GetStatus() == computepb.Operation_DONE {
				out[op.GetName()] = op
			}
		})
	})
	return out, err
}
