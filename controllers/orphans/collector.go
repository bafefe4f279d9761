// Package orphans collects the GCE objects of this cluster's load
// balancers that nobody will delete any more: their Service is gone (its
// finalizer was stripped, or the controller was down when it went), was
// recreated under another UID, is no longer of type LoadBalancer without
// the service controller's finalizer, or has a loadBalancerClass. Every
// resync period it lists what may be a load balancer's (seven filtered
// lists), groups the objects this cluster made by load balancer and
// Service, reads those Services live, and lets Decide (pure) say what to
// keep, what to wait for and what to delete; the deletion itself is the
// load balancer's own (EnsureLoadBalancerDeleted: forwarding rules first,
// shared objects only when nothing else uses them).
package orphans

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// LoadBalancers is what the collector deletes through (lb.LoadBalancers).
type LoadBalancers interface {
	EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error
	DeleteSharedCheckIfUnused(ctx context.Context) (gone bool, err error)
	DeleteInternalSharedIfUnused(ctx context.Context, cluster string) (deleted int, err error)
	ClusterID(ctx context.Context) (string, error)
	// InternalZones are where the internal load balancers' instance
	// groups may be.
	InternalZones(ctx context.Context, cluster string) ([]string, error)
}

// Options configure a Collector.
type Options struct {
	API    *gceapi.Client
	Region string
	LB     LoadBalancers
	Kube   kubernetes.Interface // Services are read live before any deletion
	// Services is the shared informer's lister, read for the decisions
	// (no API read per load balancer per pass); nil: every Service is
	// read live. A deletion always reads its Service live first.
	Services    corelisters.ServiceLister
	Recorder    record.EventRecorder // nil: no Events
	ClusterName string
	// Period is how often everything is listed; Grace how long a group
	// stays orphaned before it is deleted (a pass is also run when a
	// grace period ends, so a group goes within Period + Grace).
	Period, Grace time.Duration
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// GraceFor is the grace period for a resync period: the period, at most
// a minute. It lets the service controller finish a deletion or a switch
// between the two kinds it is making (a failed call is retried 5 s later,
// then 10 s, ...), and a user who makes a Service ClusterIP and then
// LoadBalancer again keep the load balancer; a collection still comes
// within the period plus a minute.
func GraceFor(period time.Duration) time.Duration { return min(period, time.Minute) }

// ReasonOrphanCollected is the Event on a Service whose load balancer was
// collected.
const ReasonOrphanCollected = drift.ReasonOrphanCollected

// Collector runs the passes. One goroutine: Run, or Pass from a test.
type Collector struct {
	o        Options
	orphaned map[string]time.Time // group key -> first pass that found it orphaned
	failed   map[string]failure   // group key -> its last failed collections
}

// New checks the options.
func New(o Options) (*Collector, error) {
	switch {
	case o.API == nil || o.LB == nil || o.Kube == nil:
		return nil, errors.New("orphan collector: API, LB and Kube are required")
	case o.Period <= 0:
		return nil, fmt.Errorf("orphan collector: period %s is not positive", o.Period)
	case o.Grace < 0:
		return nil, fmt.Errorf("orphan collector: grace period %s is negative", o.Grace)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	drift.Register()
	return &Collector{o: o, orphaned: map[string]time.Time{}, failed: map[string]failure{}}, nil
}

// Run makes a pass every period, and one when a waiting group's grace
// period ends, until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	log := klog.FromContext(ctx).WithName("orphans")
	ctx = klog.NewContext(ctx, log)
	log.Info("Collecting orphaned load balancer objects", "period", c.o.Period, "grace", c.o.Grace)
	for {
		if _, err := c.Pass(ctx); err != nil && ctx.Err() == nil {
			log.Error(err, "Orphan collection pass failed; trying again next period")
		}
		t := time.NewTimer(c.next())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// next is the wait before the next pass: the period, or less when a
// group's grace period ends sooner.
func (c *Collector) next() time.Duration {
	wait := c.o.Period
	now := c.o.Now()
	for _, since := range c.orphaned {
		if d := since.Add(c.o.Grace).Sub(now); d < wait {
			wait = max(d, time.Second)
		}
	}
	return wait
}

// Pass lists, decides and collects once; it returns the decisions.
func (c *Collector) Pass(ctx context.Context) ([]Decision, error) {
	cid, err := c.o.LB.ClusterID(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the cluster id: %w", err)
	}
	zones, err := c.o.LB.InternalZones(ctx, c.o.ClusterName)
	if err != nil {
		return nil, err
	}
	objs, err := list(ctx, c.o.API, c.o.Region, zones)
	if err != nil {
		return nil, err
	}
	now := c.o.Now()
	in := Input{Cluster: c.o.ClusterName, ClusterID: cid, Objects: objs, Services: map[string]Lookup{},
		Orphaned: c.orphaned, Now: now, Grace: c.o.Grace}
	for _, key := range Services(Groups(objs, in.Cluster, cid)) {
		in.Services[key] = c.cached(ctx, key)
	}
	decisions := Decide(in)
	c.keepFailures(decisions)
	c.orphaned = map[string]time.Time{}
	var errs []error
	for _, d := range decisions {
		if !d.Since.IsZero() {
			c.orphaned[d.Key()] = d.Since
		}
		if d.Verdict != Collect {
			klog.FromContext(ctx).V(4).Info("Orphan candidate", "decision", d.String())
			continue
		}
		if c.backingOff(ctx, d, now) {
			continue
		}
		if svc, err := c.collect(ctx, d); err != nil {
			// Still orphaned since d.Since: tried again without a new
			// grace period once the backoff is over.
			c.failedCollection(ctx, d, svc, now, err)
			errs = append(errs, err)
			continue
		}
		delete(c.failed, d.Key())
		delete(c.orphaned, d.Key())
	}
	return decisions, errors.Join(errs...)
}

// cached reads one Service from the lister, or live without one.
func (c *Collector) cached(ctx context.Context, key string) Lookup {
	if c.o.Services == nil {
		return c.lookup(ctx, key)
	}
	ns, name, _ := strings.Cut(key, "/")
	return toLookup(c.o.Services.Services(ns).Get(name))
}

// lookup reads one Service from the API server: a cache may lag behind a
// Service just made or changed.
func (c *Collector) lookup(ctx context.Context, key string) Lookup {
	ns, name, _ := strings.Cut(key, "/")
	return toLookup(c.o.Kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{}))
}

// toLookup: NotFound is "gone"; any other error is not.
func toLookup(svc *v1.Service, err error) Lookup {
	switch {
	case apierrors.IsNotFound(err):
		return Lookup{}
	case err != nil:
		return Lookup{Err: err}
	}
	return Lookup{Service: svc}
}

// collect deletes one group after reading its Service once more: a
// Service made a LoadBalancer again since the pass began keeps it. It
// returns the Service when it exists.
func (c *Collector) collect(ctx context.Context, d Decision) (*v1.Service, error) {
	log := klog.FromContext(ctx)
	if d.LB == "" {
		return nil, c.collectShared(ctx, d)
	}
	l := c.lookup(ctx, d.Group.Service)
	if st, _, why := judge(d.LB, l, true); st != orphaned {
		log.Info("Orphan kept: its Service changed since the pass began", "lb", d.LB, "service", d.Group.Service, "why", why)
		return l.Service, nil
	}
	svc := l.Service
	if svc == nil || cloudprovider.DefaultLoadBalancerName(svc) != d.LB {
		svc = standIn(d.LB, d.Group.Service)
	}
	if err := c.o.LB.EnsureLoadBalancerDeleted(ctx, c.o.ClusterName, svc); err != nil {
		return l.Service, fmt.Errorf("collecting load balancer %s of %s: %w", d.LB, d.Group.Service, err)
	}
	c.collected(ctx, d)
	if l.Service != nil && c.o.Recorder != nil {
		c.o.Recorder.Eventf(l.Service, v1.EventTypeNormal, ReasonOrphanCollected,
			"Deleted load balancer %s left behind (%s): %s", d.LB, d.Reason, objectList(d.Objects))
	}
	return l.Service, nil
}

// collectShared deletes a shared check, its firewall and (internal) the
// unused instance groups, through the load balancer's own re-check of who
// uses them.
func (c *Collector) collectShared(ctx context.Context, d Decision) error {
	var gone bool
	var err error
	if d.Shared == "internal" {
		var n int
		n, err = c.o.LB.DeleteInternalSharedIfUnused(ctx, c.o.ClusterName)
		gone = n > 0
	} else {
		gone, err = c.o.LB.DeleteSharedCheckIfUnused(ctx)
	}
	if err != nil {
		return fmt.Errorf("collecting the shared %s health check: %w", d.Shared, err)
	}
	if gone {
		c.collected(ctx, d)
	}
	return nil
}

// collected logs and counts a group's objects.
func (c *Collector) collected(ctx context.Context, d Decision) {
	klog.FromContext(ctx).Info("Collected orphaned load balancer objects", "lb", d.LB, "service", d.Group.Service,
		"why", d.Reason, "objects", objectList(d.Objects))
	for _, o := range d.Objects {
		// Strict deletion leaves upstream's objects.
		if who, _ := owner(o.Description, c.o.ClusterName); !d.Strict || who == ownership.Ours || d.LB == "" {
			drift.Collected(drift.Kind(o.Kind))
		}
	}
}

// standIn is a Service that names load balancer lb (its UID is the
// name's), for deleting what is left of a Service that is gone or was
// recreated: the deletion reads ownership from the descriptions, which
// name service.
func standIn(lb, service string) *v1.Service {
	ns, name, _ := strings.Cut(service, "/")
	return &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(strings.TrimPrefix(lb, "a"))},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer}}
}

func objectList(objs []Object) string {
	s := make([]string, len(objs))
	for i, o := range objs {
		s[i] = o.String()
	}
	return strings.Join(s, ", ")
}
