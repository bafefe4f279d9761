package ilb

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// The internal load balancer reads through the same shared snapshots as
// the external one (package snapshot): one list per collection serves
// every Service's sync for snapshot.TTL, a name we wrote since a list
// began makes the next reader of it list again, and a periodic pass reads
// lists begun after it started. Without them a sync reads about 12 lists
// (groups and members in each of 3 zones, backend services, checks,
// firewalls, rules, addresses), and 100 Services created at once would
// spend 1,200 of GCE's 1,500 reads a minute.

// Shared are the snapshots the external load balancer also reads; nil
// fields are made by the Controller.
type Shared struct {
	Rules     *snapshot.Cache[*computepb.ForwardingRule]
	Firewalls *snapshot.Cache[*computepb.Firewall]
	Addresses *snapshot.Cache[*computepb.Address]
}

// lists are the Controller's snapshots.
type lists struct {
	Shared
	backends *snapshot.Cache[*computepb.BackendService]
	checks   *snapshot.Cache[*computepb.HealthCheck]

	mu      sync.Mutex
	groups  map[string]*snapshot.Cache[*Group]               // by zone/name: the group and its members
	subnets map[string]*snapshot.List[*computepb.Subnetwork] // by name; "": the network's only one in the region
}

// SubnetTTL is how long a subnetwork read serves: every sync of every
// internal Service needs it (its self link, its range for
// spec.loadBalancerIP), and a node change syncs every Service: 100 reads
// per node change without it. A missing subnetwork is not cached (a read
// error is not a value).
const SubnetTTL = 30 * time.Second

// lists makes the snapshots on first use.
func (c *Controller) lists() *lists {
	c.listsOnce.Do(func() {
		api, region := c.API, c.Region
		l := &lists{Shared: c.Shared, groups: map[string]*snapshot.Cache[*Group]{}, subnets: map[string]*snapshot.List[*computepb.Subnetwork]{}}
		if l.Rules == nil {
			l.Rules = snapshot.New(snapshot.TTL, (*computepb.ForwardingRule).GetName,
				func(ctx context.Context) ([]*computepb.ForwardingRule, error) {
					return api.ListForwardingRules(ctx, region, plan.RuleNamesFilter)
				})
		}
		if l.Firewalls == nil {
			l.Firewalls = snapshot.New(snapshot.TTL, (*computepb.Firewall).GetName,
				func(ctx context.Context) ([]*computepb.Firewall, error) {
					return api.ListFirewalls(ctx, plan.FirewallNamesFilter)
				})
		}
		if l.Addresses == nil {
			l.Addresses = snapshot.New(snapshot.TTL, (*computepb.Address).GetName,
				func(ctx context.Context) ([]*computepb.Address, error) { return api.ListAddresses(ctx, region, "") })
		}
		// All of the region's backend services: who else uses a shared
		// check or group decides their deletion.
		l.backends = snapshot.New(snapshot.TTL, (*computepb.BackendService).GetName,
			func(ctx context.Context) ([]*computepb.BackendService, error) {
				return api.ListBackendServices(ctx, region, "")
			})
		l.checks = snapshot.New(snapshot.TTL, (*computepb.HealthCheck).GetName,
			func(ctx context.Context) ([]*computepb.HealthCheck, error) {
				return api.ListHealthChecks(ctx, plan.CheckNamesFilter)
			})
		c.snap = l
	})
	return c.snap
}

// group is the snapshot of one zone's group (at most one object).
func (c *Controller) group(zone, name string) *snapshot.Cache[*Group] {
	l := c.lists()
	l.mu.Lock()
	defer l.mu.Unlock()
	key := zone + "/" + name
	if g := l.groups[key]; g != nil {
		return g
	}
	api := c.API
	g := snapshot.New(snapshot.TTL, func(g *Group) string { return g.Group.GetName() },
		func(ctx context.Context) ([]*Group, error) {
			igs, err := api.ListInstanceGroups(ctx, zone, fmt.Sprintf(`name eq "%s"`, name))
			if err != nil || len(igs) == 0 {
				return nil, wrapIf(err, "listing instance groups in "+zone)
			}
			members, err := api.ListGroupInstances(ctx, zone, name)
			slices.Sort(members)
			return []*Group{{Group: igs[0], Members: members}}, wrapIf(err, "listing the members of "+name+" in "+zone)
		})
	l.groups[key] = g
	return g
}

// anyBackend is a name no backend service has: every write of ours to a
// backend service also marks it, and a sync that decides on the users of a
// shared object (CheckUsers, GroupUsers: who else uses the shared check
// and the groups) names it, so it never reads a list older than another
// sync's backend service.
const anyBackend = "*"

// wrote marks the object an action writes (made, changed or deleted, or
// attempted) in the snapshot of its collection.
func (c *Controller) wrote(a Action) {
	l := c.lists()
	switch a.Kind {
	case CreateGroup, AddMembers, RemoveMembers, DeleteGroup:
		c.group(a.Zone, a.Name).Invalidate(a.Name)
	case CreateCheck, UpdateCheck, DeleteCheck:
		l.checks.Invalidate(a.Name)
	case CreateFirewall, PatchFirewall, DeleteFirewall:
		l.Firewalls.Invalidate(a.Name)
	case CreateBackend, PatchBackend, DeleteBackend:
		l.backends.Invalidate(a.Name)
		l.backends.Invalidate(anyBackend)
	case ReserveAddress, ReleaseAddress:
		l.Addresses.Invalidate(a.Name)
	case CreateRule, PatchRule, DeleteRule:
		l.Rules.Invalidate(a.Name)
	}
}

// subnetOf is the cached read of a subnetwork of the region by name, or
// of the network's only subnetwork there when name is "".
func (c *Controller) subnetOf(name string) *snapshot.List[*computepb.Subnetwork] {
	l := c.lists()
	l.mu.Lock()
	defer l.mu.Unlock()
	if sn := l.subnets[name]; sn != nil {
		return sn
	}
	api, region, network := c.API, c.Region, c.Network
	sn := snapshot.NewList(SubnetTTL, func(ctx context.Context) (*computepb.Subnetwork, error) {
		if name != "" {
			return api.GetSubnetwork(ctx, region, name)
		}
		subs, err := api.ListSubnetworks(ctx, region, fmt.Sprintf(`network eq "%s"`, network))
		if err != nil {
			return nil, fmt.Errorf("listing the subnetworks of %s: %w", network, err)
		}
		if len(subs) != 1 {
			return nil, fmt.Errorf("network %s has %d subnetworks in region %s: set subnetwork-name in gce.conf", network, len(subs), region)
		}
		return subs[0], nil
	})
	l.subnets[name] = sn
	return sn
}

// wrapIf wraps a list's error with what was listed; nil stays nil.
func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
