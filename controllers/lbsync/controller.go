// Package lbsync compares every LoadBalancer Service's objects in GCE with
// what its plan says should exist, at least once per resync period, and
// repairs them with the fewest writes. The service controller calls the
// provider only when a Service or the node set changes, so without this
// nothing would see a forwarding rule deleted by hand, a node removed from a
// target pool, a health check detached, a firewall deleted or widened.
package lbsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/runner"
	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb"
)

// LoadBalancers is what the provider offers the reconciler: a pass that
// lists what exists once and compares each Service's load balancer with
// its plan (providers/gce/lb).
type LoadBalancers interface {
	StartPass(ctx context.Context) (*lb.Pass, error)
}

// DefaultWorkers is how many load balancers a pass repairs at once: a
// repair waits on GCE operations (a deleted rule costs an address, the
// rule and a release, seconds each), and 50 rules deleted at once would
// take minutes one at a time. A converged load balancer costs no call, so
// an idle pass is as cheap with ten workers as with one.
const DefaultWorkers = 10

// Options configure the controller.
type Options struct {
	LB          LoadBalancers
	Client      clientset.Interface // confirms a Service before a repair; writes a changed IP into its status
	Services    corelisters.ServiceLister
	Nodes       corelisters.NodeLister
	Synced      []cache.InformerSynced
	Recorder    record.EventRecorder
	ClusterName string
	Period      time.Duration
	Workers     int // 0: DefaultWorkers
}

// Controller is the periodic load-balancer reconciler.
type Controller struct {
	o Options
}

// New checks the options.
func New(o Options) (*Controller, error) {
	if o.Period <= 0 {
		return nil, fmt.Errorf("lbsync: period %v is not positive", o.Period)
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	return &Controller{o: o}, nil
}

// Run passes over every load balancer once per period until ctx ends. The
// first pass comes one period after the start: at start the service
// controller syncs every Service anyway.
func (c *Controller) Run(ctx context.Context) {
	log := klog.FromContext(ctx).WithName("lbsync")
	ctx = klog.NewContext(ctx, log)
	if !cache.WaitForCacheSync(ctx.Done(), c.o.Synced...) {
		return
	}
	log.Info("Starting the load-balancer reconciler", "period", c.o.Period, "workers", c.o.Workers)
	runner.Every(ctx, c.o.Period, c.Pass)
}

// Pass compares every load balancer once and repairs what differs.
func (c *Controller) Pass(ctx context.Context) {
	log := klog.FromContext(ctx)
	svcs, err := c.o.Services.List(labels.Everything())
	if err != nil {
		log.Error(err, "Listing Services")
		return
	}
	all, err := c.o.Nodes.List(labels.Everything())
	if err != nil {
		log.Error(err, "Listing Nodes")
		return
	}
	nodes := lbNodes(all)
	var unconverged []*v1.Service
	for _, svc := range svcs {
		if ensured(svc) {
			unconverged = append(unconverged, svc)
		}
	}
	if len(unconverged) == 0 || len(nodes) == 0 {
		return
	}
	pass, err := c.o.LB.StartPass(ctx)
	if err != nil {
		log.Error(err, "Comparing no load balancer this pass")
		return
	}
	g := errgroup.Group{}
	g.SetLimit(c.o.Workers)
	for _, svc := range unconverged {
		g.Go(func() error { c.repair(ctx, pass, svc, nodes); return nil })
	}
	_ = g.Wait()
}

// ensured: the Service wants a load balancer of ours and the service
// controller has made one (its finalizer is on). Before that, and while
// the Service is being deleted, the service controller is at work.
func ensured(svc *v1.Service) bool {
	return wantsLB(svc) && svc.DeletionTimestamp == nil && hasFinalizer(svc, lbFinalizer)
}

// wantsLB: a Service of type LoadBalancer without a class (a class names
// another controller).
func wantsLB(svc *v1.Service) bool {
	return svc.Spec.Type == v1.ServiceTypeLoadBalancer && svc.Spec.LoadBalancerClass == nil
}

// lbFinalizer is the service controller's finalizer on a Service whose
// load balancer it made.
const lbFinalizer = "service.kubernetes.io/load-balancer-cleanup"

func hasFinalizer(svc *v1.Service, f string) bool {
	for _, x := range svc.Finalizers {
		if x == f {
			return true
		}
	}
	return false
}

func (c *Controller) repair(ctx context.Context, pass *lb.Pass, svc *v1.Service, nodes []*v1.Node) {
	log := klog.FromContext(ctx).WithValues("service", klog.KObj(svc))
	ctx = klog.NewContext(ctx, log)
	status, findings, err := pass.Repair(ctx, c.o.ClusterName, svc, nodes, c.confirm(svc, nodes))
	if err != nil {
		if isChanged(err) {
			log.V(2).Info("Not repairing the load balancer", "why", err)
			return
		}
		log.Error(err, "Comparing the load balancer with its plan")
		return
	}
	if len(findings) == 0 {
		return
	}
	var what []string
	for _, f := range findings {
		drift.Repaired(f.Kind)
		what = append(what, f.What)
	}
	log.Info("Repaired load balancer", "what", what)
	c.o.Recorder.Event(svc, v1.EventTypeNormal, drift.ReasonLoadBalancerRepaired, "repaired what changed in GCE: "+strings.Join(what, "; "))
	c.updateStatus(ctx, svc, status)
}
