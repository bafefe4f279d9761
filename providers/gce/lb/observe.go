package lb

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"
	computev1 "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// observe reads what exists under a load balancer's names, from the
// collections' shared snapshots (at most a second old, and never older
// than our own last write to one of these names), or from new lists when
// fresh (deletion and GetLoadBalancer must not miss anything), or from the
// lists a periodic pass began with.
func (l *LoadBalancers) observe(ctx context.Context, n plan.Names, requestedIP string, r snapshot.Recency) (plan.Seen, error) {
	s := plan.Seen{Rules: map[string]*computepb.ForwardingRule{}, Pools: map[string]*computepb.TargetPool{},
		Firewalls: map[string]*computepb.Firewall{}, Checks: map[string]*computev1.HttpHealthCheck{}}
	var rules map[string]*computepb.ForwardingRule
	var pools map[string]*computepb.TargetPool
	var firewalls map[string]*computepb.Firewall
	var checks map[string]*computev1.HttpHealthCheck
	var addresses map[string]*computepb.Address
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		rules, err = l.rules.View(ctx, r, n.Rules()...)
		return wrapIf(err, "listing forwarding rules")
	})
	g.Go(func() (err error) {
		pools, err = l.pools.View(ctx, r, n.Pools()...)
		return wrapIf(err, "listing target pools")
	})
	g.Go(func() (err error) {
		firewalls, err = l.firewalls.View(ctx, r, n.Firewall, n.LocalCheckFirewall, n.NodesCheckFirewall)
		return wrapIf(err, "listing firewalls")
	})
	g.Go(func() (err error) {
		checks, err = l.checks.View(ctx, r, n.LocalCheck, n.NodesCheck)
		return wrapIf(err, "listing health checks")
	})
	g.Go(func() (err error) {
		// Who uses the address of spec.loadBalancerIP is decided before
		// any write, so it is read afresh: the snapshot does not see
		// another load balancer taking the address.
		ar := r
		if requestedIP != "" {
			ar = snapshot.Fresh()
		}
		addresses, err = l.addresses.View(ctx, ar, n.LB)
		return wrapIf(err, "listing addresses")
	})
	if err := g.Wait(); err != nil {
		return plan.Seen{}, err
	}
	pick(s.Rules, rules, n.Rules()...)
	pick(s.Pools, pools, n.Pools()...)
	pick(s.Firewalls, firewalls, n.Firewall, n.LocalCheckFirewall, n.NodesCheckFirewall)
	pick(s.Checks, checks, n.LocalCheck, n.NodesCheck)
	// The address <lb>, and any reserved address holding an IP involved.
	ips := map[string]bool{requestedIP: requestedIP != ""}
	for _, r := range s.Rules {
		ips[r.GetIPAddress()] = true
	}
	for name, a := range addresses {
		if name == n.LB || ips[a.GetAddress()] {
			s.Addresses = append(s.Addresses, a)
		}
	}
	sort.Slice(s.Addresses, func(i, j int) bool { return s.Addresses[i].GetName() < s.Addresses[j].GetName() })
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

// observeFor gathers everything the plan of a checked spec depends on:
// the cluster id, the nodes' VMs and tags, and what exists.
func (l *LoadBalancers) observeFor(ctx context.Context, cluster string, svc *v1.Service, spec plan.Spec, nodes []*v1.Node, r snapshot.Recency) (plan.Input, error) {
	cid, err := l.deps.ClusterID.ClusterID(ctx)
	if err != nil {
		return plan.Input{}, err
	}
	in := plan.Input{Spec: spec, Names: plan.NamesFor(svc, cid), Cluster: cluster, ClusterID: cid, Project: l.api.Project,
		Region: l.region, Network: l.deps.NetworkURL}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if in.Hosts, err = l.hostsOf(gctx, nodes); err != nil {
			return err
		}
		if len(in.Hosts) == 0 {
			return fmt.Errorf("no node VM in region %s to put behind the load balancer (%d nodes given)", in.Region, len(nodes))
		}
		in.Tags, err = l.tagsOf(gctx, in.Hosts)
		return err
	})
	g.Go(func() (err error) {
		in.Seen, err = l.observe(gctx, in.Names, spec.RequestedIP, r)
		return err
	})
	if err := g.Wait(); err != nil {
		return plan.Input{}, err
	}
	if spec.Local && (in.Seen.Checks[in.Names.NodesCheck] != nil || in.Seen.Firewalls[in.Names.NodesCheckFirewall] != nil) {
		if in.NodesCheckInUse, err = l.usedByOthers(ctx, in.Names.NodesCheck, in.Names.Pools(), r); err != nil {
			return plan.Input{}, err
		}
	}
	return in, nil
}

// usedByOthers says whether a pool other than ours uses a health check,
// from the shared pool list (the deletion itself checks again, afresh).
func (l *LoadBalancers) usedByOthers(ctx context.Context, check string, ours []string, r snapshot.Recency) (bool, error) {
	pools, err := l.pools.View(ctx, r)
	if err != nil {
		return false, fmt.Errorf("listing target pools: %w", err)
	}
	id := gceref.GlobalKey(l.api.Project, "httpHealthChecks", check)
	for name, tp := range pools {
		if slices.Contains(ours, name) {
			continue
		}
		if slices.ContainsFunc(tp.GetHealthChecks(), id.Is) {
			return true, nil
		}
	}
	return false, nil
}
