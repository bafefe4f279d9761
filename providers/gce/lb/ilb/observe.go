package ilb

import (
	"context"
	"slices"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// observe reads what exists under the load balancer's names from the
// shared snapshots (lists.go) of the recency r: the event path's at most
// snapshot.TTL old, a periodic pass's begun after it started, deletion's
// and Status's fresh (they must not miss anything); never a list begun
// before our own last write to one of these names. All of the region's
// backend services are read (who else uses a shared check or group) and
// all its addresses (a user's reserved address may have any name); the
// addresses afresh when the Service asks for an IP, whose holder is
// decided before any write.
func (c *Controller) observe(ctx context.Context, n Names, requestedIP string, r snapshot.Recency) (Seen, error) {
	v, err := c.read(ctx, n, requestedIP, r)
	if err != nil {
		return Seen{}, err
	}
	return seenOf(n, requestedIP, v), nil
}

// views are what observe read, before seenOf sorts it.
type views struct {
	zones     []string
	groups    []*Group // by zone (zones' order); nil: none there
	backends  map[string]*computepb.BackendService
	checks    map[string]*computepb.HealthCheck
	firewalls map[string]*computepb.Firewall
	rules     map[string]*computepb.ForwardingRule
	addresses map[string]*computepb.Address
}

// read views every collection at once; n.LB "" (the shared objects
// alone, DeleteShared) reads no rules and no addresses.
func (c *Controller) read(ctx context.Context, n Names, requestedIP string, r snapshot.Recency) (views, error) {
	l := c.lists()
	v := views{zones: c.Zones, groups: make([]*Group, len(c.Zones))}
	g, gctx := errgroup.WithContext(ctx)
	for i, zone := range c.Zones {
		g.Go(func() error {
			seen, err := c.group(zone, n.Group).View(gctx, r, n.Group)
			v.groups[i] = seen[n.Group]
			return err
		})
	}
	snapshot.Go(g, gctx, l.backends, &v.backends, "backend services", r, append(n.All(), anyBackend)...)
	snapshot.Go(g, gctx, l.checks, &v.checks, "health checks", r, n.LocalCheck, n.SharedCheck)
	snapshot.Go(g, gctx, l.Firewalls, &v.firewalls, "firewalls", r, n.Firewall, n.LocalCheckFirewall, n.SharedCheckFirewall)
	if n.LB != "" {
		ar := r
		if requestedIP != "" {
			ar = snapshot.Fresh()
		}
		snapshot.Go(g, gctx, l.Rules, &v.rules, "forwarding rules", r, n.All()...)
		snapshot.Go(g, gctx, l.Addresses, &v.addresses, "addresses", ar, n.LB)
	}
	err := g.Wait()
	return v, err
}

// seenOf keeps, of what was read, the objects under the load balancer's
// names, the other backend services' users of each check and group (by
// identity), <lb> and the user's internal address holding requestedIP.
func seenOf(n Names, requestedIP string, v views) Seen {
	s := Seen{Groups: map[string]*Group{}, Backends: map[string]*computepb.BackendService{}, Checks: map[string]*computepb.HealthCheck{},
		Firewalls: map[string]*computepb.Firewall{}, Rules: map[string]*computepb.ForwardingRule{},
		CheckUsers: map[gceref.Key][]string{}, GroupUsers: map[gceref.Key][]string{}}
	for i, zone := range v.zones {
		if v.groups[i] != nil {
			s.Groups[zone] = v.groups[i]
		}
	}
	for _, b := range v.backends {
		if slices.Contains(n.All(), b.GetName()) {
			s.Backends[b.GetName()] = b
			continue
		}
		// A reference that does not parse names nothing of ours.
		for _, hc := range b.GetHealthChecks() {
			if k, err := gceref.Parse(hc); err == nil {
				s.CheckUsers[k] = append(s.CheckUsers[k], b.GetName())
			}
		}
		for _, be := range b.GetBackends() {
			if k, err := gceref.Parse(be.GetGroup()); err == nil {
				s.GroupUsers[k] = append(s.GroupUsers[k], b.GetName())
			}
		}
	}
	snapshot.Pick(s.Checks, v.checks, n.LocalCheck, n.SharedCheck)
	snapshot.Pick(s.Firewalls, v.firewalls, n.Firewall, n.LocalCheckFirewall, n.SharedCheckFirewall)
	snapshot.Pick(s.Rules, v.rules, n.All()...)
	for _, a := range v.addresses {
		switch {
		case a.GetName() == n.LB:
			s.Address = a
		case requestedIP != "" && a.GetAddress() == requestedIP && a.GetAddressType() == "INTERNAL":
			s.UserAddress = a
		}
	}
	return s
}
