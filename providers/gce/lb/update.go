package lb

import (
	"context"
	"errors"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// UpdateLoadBalancer brings the pool(s) up to the node set: one list of
// the region's pools serves a burst of calls, and each pool gets at most
// one add and one remove per 1,000 changed nodes.
func (l *LoadBalancers) UpdateLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (err error) {
	if svc.Spec.LoadBalancerClass != nil {
		return cloudprovider.ImplementedElsewhere
	}
	kind := kindOf(svc)
	defer func(start time.Time) { observeSync(kind, "update", start, err) }(time.Now())
	if kind == kindInternal {
		// The groups follow the nodes; one sync of the whole load
		// balancer decides it (it writes nothing else when nothing else
		// changed).
		_, _, err = l.ensureInternal(ctx, cluster, svc, nodes, syncOpts{})
		return err
	}
	return l.updateExternal(ctx, cluster, svc, nodes)
}

// updateExternal is UpdateLoadBalancer for the external kind.
func (l *LoadBalancers) updateExternal(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) error {
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	defer l.locks.Lock(name)()
	hosts, err := l.hostsOf(ctx, nodes)
	if err != nil {
		return fmt.Errorf("load balancer %s: %w", name, err)
	}
	// An empty node set is far likelier a transient than the wish to
	// drop every backend (upstream learnt this in kubernetes#11327).
	if len(hosts) == 0 {
		return fmt.Errorf("load balancer %s: no node VM in region %s among %d nodes: keeping the current members", name, l.region, len(nodes))
	}
	err = l.updateMembers(ctx, cluster, svc, hosts, false)
	if err != nil && !errors.Is(err, plan.ErrNoPool) {
		// The shared list may be older than a change GCE made by itself
		// (a deleted VM leaves its pools): list afresh, once.
		klog.FromContext(ctx).V(2).Info("Retrying load balancer update on fresh pools", "lb", name, "err", err)
		err = l.updateMembers(ctx, cluster, svc, hosts, true)
	}
	if err != nil {
		return fmt.Errorf("load balancer %s of %s: %w", name, plan.ServiceKey(svc), err)
	}
	return nil
}

// updateMembers observes the pools (afresh if fresh), plans their member
// changes and applies them.
func (l *LoadBalancers) updateMembers(ctx context.Context, cluster string, svc *v1.Service, hosts []string, fresh bool) error {
	n := plan.NamesFor(svc, "")
	pools, err := l.pools.View(ctx, snapshot.FreshIf(fresh), n.Pools()...)
	if err != nil {
		return fmt.Errorf("listing target pools: %w", err)
	}
	actions, err := plan.Members(n, plan.ServiceKey(svc), cluster, pools, hosts)
	if err != nil {
		return l.refuse(svc, err)
	}
	_, err = l.apply(ctx, n.LB, actions, "")
	return err
}
