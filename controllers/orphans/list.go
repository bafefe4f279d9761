package orphans

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"
	computev1 "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The lists of one pass, filtered on the names a load balancer's objects
// and the shared ones may have (anything else is never ours): seven reads
// and one per zone of the region (the internal load balancers' instance
// groups) per resync period, whatever the number of Services (more only
// when a list is longer than a page of 500).
const (
	lbFilter        = plan.RuleNamesFilter
	firewallFilter  = plan.FirewallNamesFilter
	checkFilter     = plan.CheckNamesFilter
	addressesFilter = `name eq "a[a-z0-9]+"`
	groupsFilter    = `name eq "k8s-ig--.*"`
)

// list reads every object of the region (and the global firewalls and
// checks, and the zones' instance groups) that may belong to a load
// balancer.
func list(ctx context.Context, api *gceapi.Client, region string, zones []string) ([]Object, error) {
	parts := make([][]Object, 7+len(zones))
	g, ctx := errgroup.WithContext(ctx)
	g.Go(listInto(&parts[0], "forwarding rules", func() ([]*computepb.ForwardingRule, error) { return api.ListForwardingRules(ctx, region, lbFilter) },
		func(r *computepb.ForwardingRule) Object {
			return Object{Kind: Rule, Name: r.GetName(), Description: r.GetDescription()}
		}))
	// Every pool of the region: the shared check is unused only if none
	// refers to it, whoever made the pool.
	g.Go(listInto(&parts[1], "target pools", func() ([]*computepb.TargetPool, error) { return api.ListTargetPools(ctx, region, "") },
		func(p *computepb.TargetPool) Object {
			return Object{Kind: Pool, Name: p.GetName(), Description: p.GetDescription(), Uses: names(p.GetHealthChecks())}
		}))
	g.Go(listInto(&parts[2], "firewalls", func() ([]*computepb.Firewall, error) { return api.ListFirewalls(ctx, firewallFilter) },
		func(f *computepb.Firewall) Object {
			return Object{Kind: Firewall, Name: f.GetName(), Description: f.GetDescription()}
		}))
	g.Go(listInto(&parts[3], "HTTP health checks", func() ([]*computev1.HttpHealthCheck, error) { return api.ListHTTPHealthChecks(ctx, checkFilter) },
		func(h *computev1.HttpHealthCheck) Object {
			return Object{Kind: LegacyCheck, Name: h.Name, Description: h.Description}
		}))
	g.Go(listInto(&parts[4], "health checks", func() ([]*computepb.HealthCheck, error) { return api.ListHealthChecks(ctx, checkFilter) },
		func(h *computepb.HealthCheck) Object {
			return Object{Kind: Check, Name: h.GetName(), Description: h.GetDescription()}
		}))
	// Every backend service of the region: the internal shared check is
	// unused only if none refers to it.
	g.Go(listInto(&parts[5], "backend services", func() ([]*computepb.BackendService, error) { return api.ListBackendServices(ctx, region, "") },
		func(b *computepb.BackendService) Object {
			uses := names(b.GetHealthChecks())
			for _, be := range b.GetBackends() {
				if k, err := gceref.Parse(be.GetGroup()); err == nil {
					uses = append(uses, k.Path())
				}
			}
			return Object{Kind: Backend, Name: b.GetName(), Description: b.GetDescription(), Uses: uses}
		}))
	g.Go(listInto(&parts[6], "addresses", func() ([]*computepb.Address, error) { return api.ListAddresses(ctx, region, addressesFilter) },
		func(a *computepb.Address) Object {
			return Object{Kind: Address, Name: a.GetName(), Description: a.GetDescription()}
		}))
	for i, z := range zones {
		g.Go(listInto(&parts[7+i], "instance groups of zone "+z, func() ([]*computepb.InstanceGroup, error) { return api.ListInstanceGroups(ctx, z, groupsFilter) },
			func(ig *computepb.InstanceGroup) Object {
				return Object{Kind: InstanceGroup, Name: ig.GetName(), Zone: z, Description: ig.GetDescription(),
					Ref: gceref.ZonalKey(api.Project, z, "instanceGroups", ig.GetName()).Path()}
			}))
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Object
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
}

// listInto is one list of a pass: what list returns, as objects, into part
// (each list writes its own part, so the lists run in parallel).
func listInto[T any](part *[]Object, what string, list func() ([]T, error), object func(T) Object) func() error {
	return func() error {
		items, err := list()
		for _, it := range items {
			*part = append(*part, object(it))
		}
		return wrapIf(err, "listing "+what)
	}
}

// names are the last segments of URLs.
func names(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = gceref.Name(u)
	}
	return out
}

func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
