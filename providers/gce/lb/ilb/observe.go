package ilb

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"
)

// observe reads what exists under the load balancer's names: one filtered
// list per collection (the groups: one per zone, and the members of the
// groups found), all the region's backend services (to know who else uses
// a shared check) and all its addresses (a user's reserved address may
// have any name).
func (c *Controller) observe(ctx context.Context, n Names, requestedIP string) (Seen, error) {
	s := Seen{Groups: map[string]*Group{}, Backends: map[string]*computepb.BackendService{}, Checks: map[string]*computepb.HealthCheck{},
		Firewalls: map[string]*computepb.Firewall{}, Rules: map[string]*computepb.ForwardingRule{},
		CheckUsers: map[string][]string{}, GroupUsers: map[string][]string{}}
	ours := fmt.Sprintf(`name eq "%s(-tcp|-udp)?"`, n.LB)
	var backends []*computepb.BackendService
	var checks []*computepb.HealthCheck
	var firewalls []*computepb.Firewall
	var rules []*computepb.ForwardingRule
	var addresses []*computepb.Address
	groups := make([]*Group, len(c.Zones))
	g, gctx := errgroup.WithContext(ctx)
	for i, zone := range c.Zones {
		g.Go(func() error {
			igs, err := c.API.ListInstanceGroups(gctx, zone, fmt.Sprintf(`name eq "%s"`, n.Group))
			if err != nil || len(igs) == 0 {
				return wrapIf(err, "listing instance groups in "+zone)
			}
			members, err := c.API.ListGroupInstances(gctx, zone, n.Group)
			slices.Sort(members)
			groups[i] = &Group{Group: igs[0], Members: members}
			return wrapIf(err, "listing the members of "+n.Group+" in "+zone)
		})
	}
	g.Go(func() (err error) {
		backends, err = c.API.ListBackendServices(gctx, c.Region, "")
		return wrapIf(err, "listing backend services")
	})
	g.Go(func() (err error) {
		checks, err = c.API.ListHealthChecks(gctx, fmt.Sprintf(`name eq "(%s|%s)"`, n.LocalCheck, n.SharedCheck))
		return wrapIf(err, "listing health checks")
	})
	g.Go(func() (err error) {
		firewalls, err = c.API.ListFirewalls(gctx, fmt.Sprintf(`name eq "(%s|%s|%s)"`, n.Firewall, n.LocalCheckFirewall, n.SharedCheckFirewall))
		return wrapIf(err, "listing firewalls")
	})
	if n.LB != "" { // "": the shared objects alone (DeleteShared)
		g.Go(func() (err error) {
			rules, err = c.API.ListForwardingRules(gctx, c.Region, ours)
			return wrapIf(err, "listing forwarding rules")
		})
		g.Go(func() (err error) {
			addresses, err = c.API.ListAddresses(gctx, c.Region, "")
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
		for _, hc := range b.GetHealthChecks() {
			name := hc[strings.LastIndex(hc, "/")+1:]
			s.CheckUsers[name] = append(s.CheckUsers[name], b.GetName())
		}
		for _, be := range b.GetBackends() {
			s.GroupUsers[be.GetGroup()] = append(s.GroupUsers[be.GetGroup()], b.GetName())
		}
	}
	for _, hc := range checks {
		s.Checks[hc.GetName()] = hc
	}
	for _, fw := range firewalls {
		s.Firewalls[fw.GetName()] = fw
	}
	for _, r := range rules {
		s.Rules[r.GetName()] = r
	}
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

func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
