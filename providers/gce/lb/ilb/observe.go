package ilb

import (
	"context"
	"fmt"
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
	s := Seen{Groups: map[string]*Group{}, Backends: map[string]*computepb.BackendService{}, Checks: map[string]*computepb.HealthCheck{},
		Firewalls: map[string]*computepb.Firewall{}, Rules: map[string]*computepb.ForwardingRule{},
		CheckUsers: map[gceref.Key][]string{}, GroupUsers: map[gceref.Key][]string{}}
	l := c.lists()
	var backends map[string]*computepb.BackendService
	var checks map[string]*computepb.HealthCheck
	var firewalls map[string]*computepb.Firewall
	var rules map[string]*computepb.ForwardingRule
	var addresses map[string]*computepb.Address
	groups := make([]*Group, len(c.Zones))
	g, gctx := errgroup.WithContext(ctx)
	for i, zone := range c.Zones {
		g.Go(func() error {
			seen, err := c.group(zone, n.Group).View(gctx, r, n.Group)
			groups[i] = seen[n.Group]
			return err
		})
	}
	g.Go(func() (err error) {
		backends, err = l.backends.View(gctx, r, append(n.All(), anyBackend)...)
		return wrapIf(err, "listing backend services")
	})
	g.Go(func() (err error) {
		checks, err = l.checks.View(gctx, r, n.LocalCheck, n.SharedCheck)
		return wrapIf(err, "listing health checks")
	})
	g.Go(func() (err error) {
		firewalls, err = l.Firewalls.View(gctx, r, n.Firewall, n.LocalCheckFirewall, n.SharedCheckFirewall)
		return wrapIf(err, "listing firewalls")
	})
	if n.LB != "" { // "": the shared objects alone (DeleteShared)
		g.Go(func() (err error) {
			rules, err = l.Rules.View(gctx, r, n.All()...)
			return wrapIf(err, "listing forwarding rules")
		})
		g.Go(func() (err error) {
			ar := r
			if requestedIP != "" {
				ar = snapshot.Fresh()
			}
			addresses, err = l.Addresses.View(gctx, ar, n.LB)
			return wrapIf(err, "listing addresses")
		})
	}
	if err := g.Wait(); err != nil {
		return Seen{}, err
	}
	for i, zone := range c.Zones {
		if groups[i] != nil {
			s.Groups[zone] = groups[i]
		}
	}
	for _, b := range backends {
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
	pick(s.Checks, checks, n.LocalCheck, n.SharedCheck)
	pick(s.Firewalls, firewalls, n.Firewall, n.LocalCheckFirewall, n.SharedCheckFirewall)
	pick(s.Rules, rules, n.All()...)
	for _, a := range addresses {
		switch {
		case a.GetName() == n.LB:
			s.Address = a
		case requestedIP != "" && a.GetAddress() == requestedIP && a.GetAddressType() == "INTERNAL":
			s.UserAddress = a
		}
	}
	return s, nil
}

// pick copies the named objects that exist.
func pick[T any](dst, src map[string]T, names ...string) {
	for _, n := range names {
		if v, ok := src[n]; ok {
			dst[n] = v
		}
	}
}

func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
