package gce

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"
	computev1 "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
)

// observe reads what exists under a load balancer's names: one filtered
// list per collection, all at once (five reads, one round trip of time).
// The addresses are listed once the rules are known, to find the reserved
// address holding the rules' IP.
func (l *loadBalancers) observe(ctx context.Context, n lbNames, requestedIP string) (seen, error) {
	s := seen{Rules: map[string]*computepb.ForwardingRule{}, Pools: map[string]*computepb.TargetPool{},
		Firewalls: map[string]*computepb.Firewall{}, Checks: map[string]*computev1.HttpHealthCheck{}}
	api, region := l.api(), l.region()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		rules, err := api.ListForwardingRules(ctx, region, namesFilter(n.rules()...))
		if err != nil {
			return fmt.Errorf("listing forwarding rules: %w", err)
		}
		ips := []string{requestedIP}
		for _, r := range rules {
			s.Rules[r.GetName()] = r
			ips = append(ips, r.GetIPAddress())
		}
		s.Addresses, err = api.ListAddresses(ctx, region, addressFilter(n.LB, ips))
		if err != nil {
			return fmt.Errorf("listing addresses: %w", err)
		}
		return nil
	})
	var pools []*computepb.TargetPool
	var firewalls []*computepb.Firewall
	var checks []*computev1.HttpHealthCheck
	g.Go(func() (err error) {
		pools, err = api.ListTargetPools(ctx, region, namesFilter(n.pools()...))
		return wrapIf(err, "listing target pools")
	})
	g.Go(func() (err error) {
		firewalls, err = api.ListFirewalls(ctx, namesFilter(n.Firewall, n.LocalCheckFirewall, n.NodesCheckFirewall))
		return wrapIf(err, "listing firewalls")
	})
	g.Go(func() (err error) {
		checks, err = api.ListHTTPHealthChecks(ctx, namesFilter(n.LocalCheck, n.NodesCheck))
		return wrapIf(err, "listing health checks")
	})
	if err := g.Wait(); err != nil {
		return seen{}, err
	}
	for _, tp := range pools {
		s.Pools[tp.GetName()] = tp
	}
	for _, fw := range firewalls {
		s.Firewalls[fw.GetName()] = fw
	}
	for _, hc := range checks {
		s.Checks[hc.Name] = hc
	}
	return s, nil
}

// namesFilter selects objects by exact name (GCE filters match the whole
// value against an RE2 expression).
func namesFilter(names ...string) string {
	q := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			q = append(q, regexp.QuoteMeta(n))
		}
	}
	return fmt.Sprintf(`name eq "(%s)"`, strings.Join(q, "|"))
}

func addressFilter(name string, ips []string) string {
	var q []string
	for _, ip := range ips {
		if ip != "" && !containsString(q, regexp.QuoteMeta(ip)) {
			q = append(q, regexp.QuoteMeta(ip))
		}
	}
	if len(q) == 0 {
		return namesFilter(name)
	}
	return fmt.Sprintf(`(%s) OR (address eq "(%s)")`, namesFilter(name), strings.Join(q, "|"))
}

func wrapIf(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// prepare gathers everything a plan depends on, reading GCE as little as
// it can: the Service is checked first, and nothing is read for a Service
// that cannot be served.
func (l *loadBalancers) prepare(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (planInput, error) {
	spec, err := specOf(svc)
	if err != nil {
		return planInput{}, err
	}
	cid, err := l.clusterID(ctx)
	if err != nil {
		return planInput{}, err
	}
	in := planInput{Spec: spec, Names: namesFor(svc, cid), Cluster: cluster, ClusterID: cid, Project: l.api().Project,
		Region: l.region(), Network: l.c.cfg.NetworkURL}
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
		in.Seen, err = l.observe(gctx, in.Names, spec.RequestedIP)
		return err
	})
	if err := g.Wait(); err != nil {
		return planInput{}, err
	}
	if spec.Local && (in.Seen.Checks[in.Names.NodesCheck] != nil || in.Seen.Firewalls[in.Names.NodesCheckFirewall] != nil) {
		if in.NodesCheckInUse, err = l.usedByOthers(ctx, in.Names.NodesCheck, in.Names.pools()); err != nil {
			return planInput{}, err
		}
	}
	return in, nil
}

// usedByOthers says whether a pool other than ours uses a health check,
// from the shared pool list (the deletion itself checks again, afresh).
func (l *loadBalancers) usedByOthers(ctx context.Context, check string, ours []string) (bool, error) {
	pools, err := l.pools.all(ctx)
	if err != nil {
		return false, fmt.Errorf("listing target pools: %w", err)
	}
	for name, tp := range pools {
		if containsString(ours, name) {
			continue
		}
		for _, hc := range tp.GetHealthChecks() {
			if lastSegment(hc) == check {
				return true, nil
			}
		}
	}
	return false, nil
}
