package orphans

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The lists of one pass, filtered on the names a load balancer's objects
// and the shared ones may have (anything else is never ours): seven reads
// per resync period, whatever the number of Services.
const (
	lbFilter        = plan.RuleNamesFilter
	firewallFilter  = plan.FirewallNamesFilter
	checkFilter     = plan.CheckNamesFilter
	addressesFilter = `name eq "a[a-z0-9]+"`
)

// list reads every object of the region (and the global firewalls and
// checks) that may belong to a load balancer.
func list(ctx context.Context, api *gceapi.Client, region string) ([]Object, error) {
	var parts [7][]Object
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rs, err := api.ListForwardingRules(ctx, region, lbFilter)
		for _, r := range rs {
			parts[0] = append(parts[0], Object{Kind: Rule, Name: r.GetName(), Description: r.GetDescription()})
		}
		return wrapIf(err, "listing forwarding rules")
	})
	g.Go(func() error {
		// Every pool of the region: the shared check is unused only if
		// none refers to it, whoever made the pool.
		ps, err := api.ListTargetPools(ctx, region, "")
		for _, p := range ps {
			parts[1] = append(parts[1], Object{Kind: Pool, Name: p.GetName(), Description: p.GetDescription(), Uses: names(p.GetHealthChecks())})
		}
		return wrapIf(err, "listing target pools")
	})
	g.Go(func() error {
		fs, err := api.ListFirewalls(ctx, firewallFilter)
		for _, f := range fs {
			parts[2] = append(parts[2], Object{Kind: Firewall, Name: f.GetName(), Description: f.GetDescription()})
		}
		return wrapIf(err, "listing firewalls")
	})
	g.Go(func() error {
		hs, err := api.ListHTTPHealthChecks(ctx, checkFilter)
		for _, h := range hs {
			parts[3] = append(parts[3], Object{Kind: LegacyCheck, Name: h.Name, Description: h.Description})
		}
		return wrapIf(err, "listing HTTP health checks")
	})
	g.Go(func() error {
		hs, err := api.ListHealthChecks(ctx, checkFilter)
		for _, h := range hs {
			parts[4] = append(parts[4], Object{Kind: Check, Name: h.GetName(), Description: h.GetDescription()})
		}
		return wrapIf(err, "listing health checks")
	})
	g.Go(func() error {
		// Every backend service of the region: the internal shared check
		// is unused only if none refers to it.
		bs, err := api.ListBackendServices(ctx, region, "")
		for _, b := range bs {
			parts[5] = append(parts[5], Object{Kind: Backend, Name: b.GetName(), Description: b.GetDescription(), Uses: names(b.GetHealthChecks())})
		}
		return wrapIf(err, "listing backend services")
	})
	g.Go(func() error {
		as, err := api.ListAddresses(ctx, region, addressesFilter)
		for _, a := range as {
			parts[6] = append(parts[6], Object{Kind: Address, Name: a.GetName(), Description: a.GetDescription()})
		}
		return wrapIf(err, "listing addresses")
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []Object
	for _, p := range parts {
		out = append(out, p...)
	}
	return out, nil
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
