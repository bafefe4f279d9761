package orphans

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// ReasonOrphanCollectionFailed is the Warning Event on a Service whose
// load balancer's objects the collector failed to delete.
const ReasonOrphanCollectionFailed = "OrphanCollectionFailed"

// maxBackoff bounds the wait between two tries of a collection that keeps
// failing (a permission taken away, a quota, an object GCE refuses to
// delete while something uses it): an hour, so a fault that is put right
// is acted on the same hour, and a lasting one costs at most a few calls
// an hour instead of a pass's deletions every period.
const maxBackoff = time.Hour

// failure is a collection that failed: tried again at retryAt.
type failure struct {
	count   int
	retryAt time.Time
}

// backoff is the wait after the n-th failure in a row: the next pass
// (one period) after the first, then twice as long each time, at most
// maxBackoff (or the period, if that is longer).
func backoff(period time.Duration, n int) time.Duration {
	d := period
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return max(min(d, maxBackoff), period)
}

// backingOff says whether a group's collection failed recently enough to
// be left for this pass.
func (c *Collector) backingOff(ctx context.Context, d Decision, now time.Time) bool {
	f, ok := c.failed[d.Key()]
	if !ok || !now.Before(f.retryAt) {
		return false
	}
	klog.FromContext(ctx).V(2).Info("Orphan collection backing off after a failure", "group", d.Key(),
		"failures", f.count, "retryAt", f.retryAt)
	return true
}

// failedCollection records a failed collection, logs it and, when the Service
// exists, says so on it with a Warning Event. passStart is when the pass
// began: the next pass starts a period after it ends, so the first retry
// is the next pass.
func (c *Collector) failedCollection(ctx context.Context, d Decision, svc *v1.Service, passStart time.Time, err error) {
	f := c.failed[d.Key()]
	f.count++
	wait := backoff(c.o.Period, f.count)
	f.retryAt = passStart.Add(wait)
	c.failed[d.Key()] = f
	klog.FromContext(ctx).Error(err, "Collecting orphaned load balancer objects failed", "group", d.Key(),
		"objects", objectList(d.Objects), "failures", f.count, "retryIn", wait)
	if svc != nil && c.o.Recorder != nil {
		c.o.Recorder.Eventf(svc, v1.EventTypeWarning, ReasonOrphanCollectionFailed,
			"Deleting load balancer %s left behind failed (%d time(s) in a row; next try in %s): %v", d.LB, f.count, wait, err)
	}
}

// keepFailures forgets the failures of groups that are no longer to be
// collected (kept again, or gone).
func (c *Collector) keepFailures(decisions []Decision) {
	live := map[string]bool{}
	for _, d := range decisions {
		live[d.Key()] = d.Verdict == Collect
	}
	for k := range c.failed {
		if !live[k] {
			delete(c.failed, k)
		}
	}
}
