package gce

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// ListRoutes returns this cluster's routes: one filtered list (a read per
// 500 routes), ownership checked on each, the node read from each next hop
// (routeReport).
func (c *Cloud) ListRoutes(ctx context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	routes, err := c.api.ListRoutes(ctx, routeListFilter(clusterName, c.cfg.NetworkURL))
	if err != nil {
		return nil, fmt.Errorf("listing routes of cluster %q: %w", clusterName, err)
	}
	ix := c.nodeIndex()
	var out []*cloudprovider.Route
	for _, r := range routes {
		rep, ok := routeReport(r, clusterName, ix)
		if !ok {
			continue
		}
		if hasWarning(r, warnNextHopCannotForward) && rep.TargetNode != "" {
			c.reportCannotForward(ctx, string(rep.TargetNode), r.GetName(), r.GetNextHopInstance())
		}
		out = append(out, rep)
	}
	return out, nil
}

// CreateRoute creates the route for one node CIDR. The node's VM comes
// from its providerID (no GCE read). An existing route of the same name is
// accepted if it is exactly the route we want, replaced if it is ours but
// points elsewhere or is blackholed, and refused otherwise. After a quota
// failure the node waits out a backoff before its next insert.
func (c *Cloud) CreateRoute(ctx context.Context, clusterName, nameHint string, route *cloudprovider.Route) error {
	node := string(route.TargetNode)
	if err := c.checkPodCIDR(route.DestinationCIDR); err != nil {
		return fmt.Errorf("route for node %s: %w", node, err)
	}
	vm, err := c.vmOfNodeName(ctx, node)
	if err != nil {
		return fmt.Errorf("route for node %s (%s): %w", node, route.DestinationCIDR, err)
	}
	want := desiredRoute(clusterName, node, route.DestinationCIDR, c.cfg.NetworkURL, vm)
	if err := c.routeBackoff.wait(node, c.now()); err != nil {
		return fmt.Errorf("route %s for node %s: %w", want.GetName(), node, err)
	}
	unlock := c.routeLocks.Lock(want.GetName())
	defer unlock()
	err = c.api.InsertRoute(ctx, want)
	if gceapi.IsAlreadyExists(err) {
		return c.reconcileExistingRoute(ctx, clusterName, node, want)
	}
	if err != nil {
		if gceapi.IsQuotaExceeded(err) {
			delay := c.routeBackoff.failed(node, c.now(), err, c.ResyncPeriod())
			var ge *gceapi.Error
			if asGCE(err, &ge) {
				return fmt.Errorf("GCE quota %s exhausted creating route %s for node %s (next try for this node in %v at the earliest): %w",
					ge.Quota, want.GetName(), node, delay, err)
			}
		}
		return fmt.Errorf("creating route %s for node %s (%s): %w", want.GetName(), node, route.DestinationCIDR, err)
	}
	c.routeBackoff.succeeded(node)
	klog.FromContext(ctx).Info("Created route", "route", want.GetName(), "node", node, "cidr", route.DestinationCIDR, "vm", vm.Short())
	if c.hadRoutes(node) {
		c.routeRepaired(ctx, node, want, "was missing in GCE; created it again")
	}
	return nil
}

// DeleteRoute deletes a route by name; one already gone is fine. The route
// controller decides from a listing that may be stale by the time it asks:
// the route is read again and deleted only if it is still what was listed
// and still this cluster's (CreateRoute may have replaced it meanwhile).
func (c *Cloud) DeleteRoute(ctx context.Context, clusterName string, route *cloudprovider.Route) error {
	log := klog.FromContext(ctx)
	unlock := c.routeLocks.Lock(route.Name)
	defer unlock()
	have, err := c.api.GetRoute(ctx, route.Name)
	if gceapi.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading route %s before deleting it: %w", route.Name, err)
	}
	if now, ok := routeReport(have, clusterName, c.nodeIndex()); !ok || !sameReport(now, route) {
		log.Info("Route changed since it was listed; not deleting it", "route", route.Name, "listedNode", route.TargetNode,
			"listedCIDR", route.DestinationCIDR, "ours", ok)
		return nil
	}
	err = c.api.DeleteRoute(ctx, route.Name)
	if err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting route %s: %w", route.Name, err)
	}
	log.Info("Deleted route", "route", route.Name, "node", route.TargetNode, "cidr", route.DestinationCIDR, "blackhole", route.Blackhole)
	return nil
}

// hadRoutes says whether the route controller had marked the node's
// network ready: a route made for such a node replaces one that was lost.
func (c *Cloud) hadRoutes(node string) bool {
	if c.nodes == nil {
		return false
	}
	n, err := c.nodes.Get(node)
	if err != nil {
		return false
	}
	for _, cond := range n.Status.Conditions {
		if cond.Type == v1.NodeNetworkUnavailable {
			return cond.Status == v1.ConditionFalse && cond.Reason == "RouteCreated"
		}
	}
	return false
}

// ResyncPeriod is the drift repair bound (gce.conf, or the flag through
// SetResyncPeriod).
func (c *Cloud) ResyncPeriod() time.Duration {
	if d := time.Duration(c.resync.Load()); d > 0 {
		return d
	}
	if c.cfg.ResyncPeriod > 0 {
		return c.cfg.ResyncPeriod
	}
	return DefaultResyncPeriod
}

// SetResyncPeriod overrides gce.conf's gce-ccm-resync-period (the
// --gce-resync-period flag).
func (c *Cloud) SetResyncPeriod(d time.Duration) { c.resync.Store(int64(d)) }

// reportCannotForward tells the node, at most once per node per 10
// minutes (routes are listed on every reconcile).
func (c *Cloud) reportCannotForward(ctx context.Context, node, route, vm string) {
	now := time.Now()
	if last, ok := c.cannotForwardReported.Load(node); ok && now.Sub(last.(time.Time)) < 10*time.Minute {
		return
	}
	c.cannotForwardReported.Store(node, now)
	msg := fmt.Sprintf("route %s points at VM %s, which does not have canIpForward: GCE drops the pod traffic it carries", route, vm)
	klog.FromContext(ctx).Info("Route next hop cannot forward", "node", node, "route", route, "vm", vm)
	c.eventOnNode(node, v1.EventTypeWarning, "RouteNextHopCannotForward", msg)
}
