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
// collections' shared snapshots (at most snapshot.TTL old, and never older
// than our own last write to one of these names), or from new lists when
// fresh (deletion and GetLoadBalancer must not miss anything), or from the
// lists a periodic pass began with.
func (l *LoadBalancers) observe(ctx context.Context, n plan.Names, requestedIP string, r snapshot.Recency) (plan.Seen, error) {
	// Who uses the address of spec.loadBalancerIP is decided before any
	// write, so it is read afresh: the snapshot does not see another load
	// balancer taking the address.
	ar := r
	if requestedIP != "" {
		ar = snapshot.Fresh()
	}
	w := namesIn(n)
	v, err := l.read(ctx, w, r, ar)
	if err != nil {
		return plan.Seen{}, err
	}
	return seenOf(w, requestedIP, v), nil
}

// viewNames are, per collection, the objects a view must not miss our
// writes to, and the ones observe keeps; none: any list r accepts.
type viewNames struct {
	lb                              string
	rules, pools, firewalls, checks []string
}

func namesIn(n plan.Names) viewNames {
	return viewNames{lb: n.LB, rules: n.Rules(), pools: n.Pools(), firewalls: []string{n.Firewall, n.LocalCheckFirewall, n.NodesCheckFirewall},
		checks: []string{n.LocalCheck, n.NodesCheck}}
}

// views are one view of each collection an external load balancer is made
// of.
type views struct {
	rules     map[string]*computepb.ForwardingRule
	pools     map[string]*computepb.TargetPool
	firewalls map[string]*computepb.Firewall
	checks    map[string]*computev1.HttpHealthCheck
	addresses map[string]*computepb.Address
}

// read views the five collections at once: of r, the addresses of ar.
func (l *LoadBalancers) read(ctx context.Context, w viewNames, r, ar snapshot.Recency) (views, error) {
	var v views
	var addresses []string
	if w.lb != "" {
		addresses = []string{w.lb}
	}
	g, gctx := errgroup.WithContext(ctx)
	snapshot.Go(g, gctx, l.rules, &v.rules, "forwarding rules", r, w.rules...)
	snapshot.Go(g, gctx, l.pools, &v.pools, "target pools", r, w.pools...)
	snapshot.Go(g, gctx, l.firewalls, &v.firewalls, "firewalls", r, w.firewalls...)
	snapshot.Go(g, gctx, l.checks, &v.checks, "health checks", r, w.checks...)
	snapshot.Go(g, gctx, l.addresses, &v.addresses, "addresses", ar, addresses...)
	err := g.Wait()
	return v, err
}

// seenOf keeps, of what was read, the objects under the load balancer's
// names: the address <lb>, and any reserved address holding an IP
// involved (the rules' and the requested one).
func seenOf(w viewNames, requestedIP string, v views) plan.Seen {
	s := plan.Seen{Rules: map[string]*computepb.ForwardingRule{}, Pools: map[string]*computepb.TargetPool{},
		Firewalls: map[string]*computepb.Firewall{}, Checks: map[string]*computev1.HttpHealthCheck{}}
	snapshot.Pick(s.Rules, v.rules, w.rules...)
	snapshot.Pick(s.Pools, v.pools, w.pools...)
	snapshot.Pick(s.Firewalls, v.firewalls, w.firewalls...)
	snapshot.Pick(s.Checks, v.checks, w.checks...)
	ips := map[string]bool{requestedIP: requestedIP != ""}
	for _, r := range s.Rules {
		ips[r.GetIPAddress()] = true
	}
	for name, a := range v.addresses {
		if name == w.lb || ips[a.GetAddress()] {
			s.Addresses = append(s.Addresses, a)
		}
	}
	sort.Slice(s.Addresses, func(i, j int) bool { return s.Addresses[i].GetName() < s.Addresses[j].GetName() })
	return s
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
