package lb

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// What the orphan collector (controllers/orphans) asks of the load
// balancer besides EnsureLoadBalancerDeleted: the cluster id that names
// the shared objects, and the shared check's deletion on its own, through
// the same re-check as a Service's deletion (a fresh list of the region's
// pools, and no sync of this process about to attach it).

// ClusterID is the id that names the cluster's shared objects.
func (l *LoadBalancers) ClusterID(ctx context.Context) (string, error) {
	return l.deps.ClusterID.ClusterID(ctx)
}

// DeleteSharedCheckIfUnused deletes the cluster's shared health check
// k8s-<id>-node and then its firewall, unless a target pool uses the check
// or a sync is about to; gone says whether the check no longer exists
// afterwards (read again: the deletion may have found it in use).
func (l *LoadBalancers) DeleteSharedCheckIfUnused(ctx context.Context) (gone bool, err error) {
	cid, err := l.ClusterID(ctx)
	if err != nil {
		return false, err
	}
	n := plan.NamesFor(&v1.Service{}, cid)
	if err := l.deleteSharedCheck(ctx, n.NodesCheck, n.NodesCheckFirewall); err != nil {
		return false, err
	}
	_, err = l.api.GetHTTPHealthCheck(ctx, n.NodesCheck)
	switch {
	case gceapi.IsNotFound(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("reading health check %s after its deletion: %w", n.NodesCheck, err)
	}
	return false, nil
}

// DeleteInternalSharedIfUnused deletes the internal load balancers' shared
// check, its firewall and each zone's instance group that no backend
// service uses; it returns how many objects it deleted.
func (l *LoadBalancers) DeleteInternalSharedIfUnused(ctx context.Context, cluster string) (int, error) {
	c, err := l.internal(ctx, cluster)
	if err != nil {
		return 0, err
	}
	cid, err := l.ClusterID(ctx)
	if err != nil {
		return 0, err
	}
	return c.DeleteShared(ctx, cid)
}

// InternalZones are the zones the internal load balancers' instance groups
// may be in: the region's (listed once per process).
func (l *LoadBalancers) InternalZones(ctx context.Context, cluster string) ([]string, error) {
	c, err := l.internal(ctx, cluster)
	if err != nil {
		return nil, err
	}
	return c.Zones, nil
}
