package fakecompute

import (
	"fmt"
	"net/netip"

	compute "google.golang.org/api/compute/v1"
)

func insertRoute(c *call) (any, error) {
	return insertAs(c, c.prepareRoute, func(t *tx, k Key, r *compute.Route, nk Key) error {
		if err := mustExist(t, nk); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaRoutes, userRouteCount(t, c.project), ""); err != nil {
			return err
		}
		c.s.stamp(t, k, r)
		r.Network, r.RouteType, r.RouteStatus = nk.SelfLink(), "STATIC", "ACTIVE"
		t.put(k, r)
		return nil
	})
}

// prepareRoute checks a route and fills GCE's defaults; it returns the
// network's key.
func (c *call) prepareRoute(r *compute.Route) (Key, error) {
	if err := checkName(r.Name); err != nil {
		return Key{}, err
	}
	if _, err := checkCIDR("resource.destRange", r.DestRange); err != nil {
		return Key{}, err
	}
	nk, err := c.requiredRef("resource.network", r.Network, "networks")
	if err != nil {
		return Key{}, err
	}
	if r.Priority < 0 || r.Priority > 65535 {
		return Key{}, errInvalid("Invalid value for field 'resource.priority': '%d'. Must be between 0 and 65535.", r.Priority)
	}
	hops := 0
	for _, h := range []string{r.NextHopInstance, r.NextHopIp, r.NextHopGateway, r.NextHopIlb, r.NextHopVpnTunnel} {
		if h != "" {
			hops++
		}
	}
	if hops != 1 {
		return Key{}, errInvalid("Invalid value for field 'resource': exactly one of nextHopInstance, nextHopIp, nextHopGateway, nextHopIlb or nextHopVpnTunnel must be set; got %d.", hops)
	}
	var ik Key
	if r.NextHopInstance != "" {
		if ik, err = c.refTo("resource.nextHopInstance", r.NextHopInstance, "instances"); err != nil {
			return Key{}, err
		}
		r.NextHopInstance = ik.SelfLink()
	}
	if r.NextHopIp != "" {
		if _, err := netip.ParseAddr(r.NextHopIp); err != nil {
			return Key{}, errInvalid("Invalid value for field 'resource.nextHopIp': '%s'. Must be an IP address.", r.NextHopIp)
		}
	}
	if r.NextHopGateway != "" {
		// The internet gateway is the only gateway GCE has.
		if lastSegment(r.NextHopGateway) != "default-internet-gateway" {
			return Key{}, errInvalid("Invalid value for field 'resource.nextHopGateway': '%s'.", r.NextHopGateway)
		}
		r.NextHopGateway = SelfLinkBase + "projects/" + c.project + "/global/gateways/default-internet-gateway"
	}
	if r.Priority == 0 && !containsField(c.body, "priority") {
		r.Priority = 1000
	}
	return nk, nil
}

// renderRoute adds the warnings GCE reports on a route whose next-hop VM is
// missing or cannot forward, computed against the current state.
func renderRoute(t *tx, _ Key, o any) any {
	r := o.(*compute.Route)
	if r.NextHopInstance == "" {
		return r
	}
	ik := keyFromLink(r.NextHopInstance)
	inst, err := getAs[compute.Instance](t, ik)
	out := *r
	switch {
	case err != nil:
		out.Warnings = []*compute.RouteWarnings{{Code: "NEXT_HOP_INSTANCE_NOT_FOUND",
			Message: fmt.Sprintf("Next hop instance '%s' does not exist.", r.NextHopInstance),
			Data:    []*compute.RouteWarningsData{{Key: "instance", Value: r.NextHopInstance}}}}
		out.RouteStatus = "INACTIVE"
	case !inst.CanIpForward:
		out.Warnings = []*compute.RouteWarnings{{Code: "NEXT_HOP_CANNOT_IP_FORWARD",
			Message: fmt.Sprintf("Next hop instance '%s' cannot ip forward.", r.NextHopInstance),
			Data:    []*compute.RouteWarningsData{{Key: "instance", Value: r.NextHopInstance}}}}
	default:
		return r
	}
	return &out
}
