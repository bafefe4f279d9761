package gce

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// ListRoutes returns this cluster's routes: one filtered list (a read per
// 500 routes), ownership checked on each. A route whose next-hop VM is gone
// is reported as a blackhole so the route controller replaces it.
func (c *Cloud) ListRoutes(ctx context.Context, clusterName string) ([]*cloudprovider.Route, error) {
	routes, err := c.api.ListRoutes(ctx, routeListFilter(clusterName, c.cfg.NetworkURL))
	if err != nil {
		return nil, fmt.Errorf("listing routes of cluster %q: %w", clusterName, err)
	}
	vmToNode := c.vmToNodeIndex()
	var out []*cloudprovider.Route
	for _, r := range routes {
		kind, node := routeOwnerOf(r, clusterName, vmToNode)
		if kind == ownership.Foreign {
			continue
		}
		if hasWarning(r, warnNextHopCannotForward) {
			c.reportCannotForward(ctx, node, r.GetName(), r.GetNextHopInstance())
		}
		out = append(out, &cloudprovider.Route{
			Name:            r.GetName(),
			TargetNode:      types.NodeName(node),
			DestinationCIDR: r.GetDestRange(),
			Blackhole:       hasWarning(r, warnNextHopNotFound),
		})
	}
	return out, nil
}

// CreateRoute creates the route for one node CIDR. The node's VM comes
// from its providerID (no GCE read). An existing route of the same name is
// accepted only if it is exactly the route we want.
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
	err = c.api.InsertRoute(ctx, want)
	if gceapi.IsAlreadyExists(err) {
		have, gerr := c.api.GetRoute(ctx, want.GetName())
		if gerr != nil {
			return fmt.Errorf("route %s exists but cannot be read: %w", want.GetName(), gerr)
		}
		if diff := routeConflict(have, want); diff != "" {
			return fmt.Errorf("route %s exists with %s: not ours to change; delete it to let the controller recreate it", want.GetName(), diff)
		}
		return nil
	}
	if err != nil {
		if gceapi.IsQuotaExceeded(err) {
			var ge *gceapi.Error
			if asGCE(err, &ge) {
				return fmt.Errorf("GCE quota %s exhausted creating route %s for node %s: %w", ge.Quota, want.GetName(), node, err)
			}
		}
		return fmt.Errorf("creating route %s for node %s (%s): %w", want.GetName(), node, route.DestinationCIDR, err)
	}
	klog.FromContext(ctx).Info("Created route", "route", want.GetName(), "node", node, "cidr", route.DestinationCIDR, "vm", vm.Short())
	return nil
}

// DeleteRoute deletes a route by name; one already gone is fine.
func (c *Cloud) DeleteRoute(ctx context.Context, clusterName string, route *cloudprovider.Route) error {
	err := c.api.DeleteRoute(ctx, route.Name)
	if err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting route %s: %w", route.Name, err)
	}
	klog.FromContext(ctx).Info("Deleted route", "route", route.Name, "node", route.TargetNode, "cidr", route.DestinationCIDR)
	return nil
}

// vmToNodeIndex maps VM names to node names using the providerIDs the
// informer holds, for upstream routes that name only the VM.
func (c *Cloud) vmToNodeIndex() func(vm string) string {
	idx := map[string]string{}
	if c.nodes != nil {
		if nodes, err := c.nodes.List(everything()); err == nil {
			for _, n := range nodes {
				if vm, err := gceref.ParseProviderID(n.Spec.ProviderID); err == nil {
					idx[vm.Name] = n.Name
				}
			}
		}
	}
	return func(vm string) string { return idx[vm] }
}

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
