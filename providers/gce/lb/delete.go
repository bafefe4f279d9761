package lb

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// EnsureLoadBalancerDeleted deletes the Service's load balancer. It never
// answers ImplementedElsewhere: a Service whose class changed must still
// lose what we built for it.
func (l *LoadBalancers) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) (err error) {
	defer func(start time.Time) { observeSync(kindOf(svc), "delete", start, err) }(time.Now())
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	defer l.locks.Lock(name)()
	// Either kind: the Service may have switched since the load balancer
	// was made.
	if err := l.deleteInternal(ctx, cluster, svc, name); err != nil {
		return err
	}
	return l.deleteExternal(ctx, cluster, svc, name)
}

// deleteExternal deletes the external load balancer; the caller holds the
// load balancer's lock.
func (l *LoadBalancers) deleteExternal(ctx context.Context, cluster string, svc *v1.Service, name string) error {
	cid, err := l.deps.ClusterID.ClusterID(ctx)
	if err != nil {
		return err
	}
	in := plan.Input{Spec: plan.Spec{ServiceSpec: plan.ServiceSpec{Service: plan.ServiceKey(svc)}}, Names: plan.NamesFor(svc, cid), Cluster: cluster, ClusterID: cid,
		Project: l.api.Project, Region: l.region}
	if in.Seen, err = l.observe(ctx, in.Names, "", snapshot.Fresh()); err != nil {
		return fmt.Errorf("deleting load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	actions := plan.Delete(in, svc.Spec.LoadBalancerClass != nil)
	if _, err := l.apply(ctx, name, actions, ""); err != nil {
		return fmt.Errorf("deleting load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	if len(actions) > 0 {
		klog.FromContext(ctx).Info("Deleted load balancer", "service", in.Spec.Service, "lb", name, "steps", len(actions))
	}
	return nil
}
