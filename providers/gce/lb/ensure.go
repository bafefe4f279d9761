package lb

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// EnsureLoadBalancer creates or updates the Service's load balancer:
// spec → observe → plan → apply. Every check comes before the first
// write: a Service GCE cannot serve changes nothing and gets a Warning
// event saying why.
func (l *LoadBalancers) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (status *v1.LoadBalancerStatus, err error) {
	// A class names another controller; the service controller does not
	// even call us for one, but a direct caller may.
	if svc.Spec.LoadBalancerClass != nil {
		return nil, cloudprovider.ImplementedElsewhere
	}
	kind := kindOf(svc)
	defer func(start time.Time) { observeSync(kind, "ensure", start, err) }(time.Now())
	if kind == kindInternal {
		status, _, err = l.ensureInternal(ctx, cluster, svc, nodes, syncOpts{})
		return status, err
	}
	status, _, err = l.ensureExternal(ctx, cluster, svc, nodes, syncOpts{})
	return status, err
}

// syncOpts is how a sync of an external load balancer reads and writes.
// The zero value is the service controller's: lists at most a second old,
// and the plan applied. A periodic pass reads the lists it began with and
// has the Service confirmed, under the load balancer's lock, before its
// first write.
type syncOpts struct {
	recency snapshot.Recency
	confirm func(ctx context.Context) error // nil: nothing to confirm
}

// confirmed runs confirm once; later calls return its first answer.
func (o *syncOpts) confirmed(ctx context.Context) error {
	if o.confirm == nil {
		return nil
	}
	err := o.confirm(ctx)
	o.confirm = func(context.Context) error { return err }
	return err
}

// ensureExternal is EnsureLoadBalancer for an external load balancer; it
// also returns the writes the plan made.
func (l *LoadBalancers) ensureExternal(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node, o syncOpts) (*v1.LoadBalancerStatus, []plan.Action, error) {
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	unlock := l.locks.Lock(name)
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	refuse := func(err error) error {
		return l.refuse(svc, fmt.Errorf("load balancer %s of %s: %w", name, plan.ServiceKey(svc), err))
	}
	spec, err := plan.SpecOf(svc)
	if err != nil {
		return nil, nil, refuse(err)
	}
	leave, err := l.enterShared(ctx, spec)
	if err != nil {
		return nil, nil, fmt.Errorf("load balancer %s: %w", name, err)
	}
	defer leave()
	in, err := l.observeFor(ctx, cluster, svc, spec, nodes, o.recency)
	if err != nil {
		return nil, nil, refuse(err)
	}
	if internalRuleSeen(in) {
		// A switch from internal: the internal load balancer goes first.
		if err := o.confirmed(ctx); err != nil {
			return nil, nil, err
		}
		if err := l.deleteInternal(ctx, cluster, svc, name); err != nil {
			return nil, nil, fmt.Errorf("load balancer %s of %s: deleting the internal one first: %w", name, in.Spec.Service, err)
		}
		if in, err = l.observeFor(ctx, cluster, svc, spec, nodes, o.recency); err != nil {
			return nil, nil, refuse(err)
		}
	}
	p, err := plan.Build(in)
	if err != nil {
		return nil, nil, refuse(err)
	}
	if len(p.Actions) > 0 {
		if err := o.confirmed(ctx); err != nil {
			return nil, nil, err
		}
	}
	actions, release := plan.SplitRelease(p.Actions)
	ip, err := l.apply(ctx, name, actions, p.IP)
	if err != nil {
		return nil, nil, fmt.Errorf("load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	if release != nil {
		l.releaseLater(ctx, svc, name, *release, unlock)
		unlock = nil // the release holds the lock until it is done
	}
	if len(p.Actions) > 0 {
		klog.FromContext(ctx).Info("Ensured load balancer", "service", in.Spec.Service, "lb", name, "ip", ip, "steps", len(p.Actions))
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: ip}}}, p.Actions, nil
}

// enterShared counts a Service of externalTrafficPolicy Cluster as about to
// attach the shared check, which is then not deleted under it
// (plan.SharedCheckUnused); a Local Service does not use it.
func (l *LoadBalancers) enterShared(ctx context.Context, spec plan.Spec) (leave func(), err error) {
	if spec.Local {
		return func() {}, nil
	}
	return l.shared.enter(ctx)
}
