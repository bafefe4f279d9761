package gce

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// routeVerdict is what to do with a route that already has the name of the
// route a node needs.
type routeVerdict int

const (
	routeKeep    routeVerdict = iota // it is the route we want
	routeReplace                     // ours, for this node, but wrong: delete and create
	routeRefuse                      // not provably ours for this node: never touched
)

// judgeExistingRoute decides, without any API call, what to do with have
// when want is the route node needs. A route is replaced only when its
// description names this cluster, us, and this very node; anything else
// (another cluster's description, a description that is not JSON) is left
// alone even under our name. The string says what is wrong.
func judgeExistingRoute(have, want *computepb.Route, cluster, node string) (routeVerdict, string) {
	diff := routeConflict(have, want)
	blackhole := hasWarning(have, warnNextHopNotFound)
	if diff == "" && !blackhole {
		return routeKeep, ""
	}
	if blackhole {
		diff = "a next hop VM that does not exist"
		if d := routeConflict(have, want); d != "" {
			diff += ", " + d
		}
	}
	if o, ok := ourRouteOwner(have, cluster); !ok || o.NodeName != node {
		return routeRefuse, diff
	}
	return routeReplace, diff
}

// reconcileExistingRoute handles an insert that found the name taken.
func (c *Cloud) reconcileExistingRoute(ctx context.Context, cluster, node string, want *computepb.Route) error {
	name := want.GetName()
	have, err := c.api.GetRoute(ctx, name)
	if gceapi.IsNotFound(err) {
		// Deleted between the insert and the read: make it now.
		return c.insertReplacement(ctx, node, want, "was deleted while it was being made")
	}
	if err != nil {
		return fmt.Errorf("route %s exists but cannot be read: %w", name, err)
	}
	switch verdict, diff := judgeExistingRoute(have, want, cluster, node); verdict {
	case routeKeep:
		return nil
	case routeRefuse:
		return fmt.Errorf("route %s exists with %s and is not this cluster's route for node %s: not ours to change; delete it to let the controller recreate it", name, diff, node)
	default:
		klog.FromContext(ctx).Info("Replacing a route of ours that changed in GCE", "route", name, "node", node, "wrong", diff)
		if err := c.api.DeleteRoute(ctx, name); err != nil && !gceapi.IsNotFound(err) {
			return fmt.Errorf("route %s has %s; deleting it to replace it: %w", name, diff, err)
		}
		return c.insertReplacement(ctx, node, want, "had "+diff+"; replaced it")
	}
}

func (c *Cloud) insertReplacement(ctx context.Context, node string, want *computepb.Route, what string) error {
	if err := c.api.InsertRoute(ctx, want); err != nil {
		return fmt.Errorf("route %s %s, but creating it failed: %w", want.GetName(), what, err)
	}
	c.routeBackoff.succeeded(node)
	c.routeRepaired(ctx, node, want, what)
	return nil
}

// routeRepaired reports one repaired route: a metric, a log line and an
// Event on the node.
func (c *Cloud) routeRepaired(ctx context.Context, node string, r *computepb.Route, what string) {
	drift.Repaired(drift.Route)
	msg := fmt.Sprintf("route %s for %s %s", r.GetName(), r.GetDestRange(), what)
	klog.FromContext(ctx).Info("Repaired route", "node", node, "route", r.GetName(), "cidr", r.GetDestRange(), "what", what)
	c.eventOnNode(node, v1.EventTypeNormal, drift.ReasonRouteRepaired, msg)
}
