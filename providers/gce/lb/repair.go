package lb

import (
	"context"
	"fmt"
	"slices"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// Pass is one periodic comparison of the load balancers with GCE: the
// service controller calls the provider only when a Service or the node set
// changes, so a forwarding rule deleted by hand, a node removed from a pool
// or a firewall widened would otherwise stay so. Each Service's load
// balancer goes through the same observe → plan → apply as
// EnsureLoadBalancer, so the repair is the plan's minimal writes.
type Pass struct {
	l     *LoadBalancers
	since time.Time
}

// StartPass lists every collection the external load balancers are made of
// (forwarding rules, target pools, firewalls, health checks, addresses):
// five lists per pass whatever the number of Services, every change made in
// GCE before the pass began is in them, and every comparison of the pass
// reads them (or a newer list where we wrote since).
func (l *LoadBalancers) StartPass(ctx context.Context) (*Pass, error) {
	since := time.Now()
	if _, err := l.read(ctx, viewNames{}, snapshot.Within(since), snapshot.Within(since)); err != nil {
		return nil, fmt.Errorf("reading the load balancers in GCE: %w", err)
	}
	return &Pass{l: l, since: since}, nil
}

// Repair compares the Service's load balancer with its plan and applies the
// difference; it returns the status and what was wrong. confirm runs under
// the load balancer's lock before the first write (for an internal load
// balancer, before it is read): it must fail when the Service no longer
// wants this load balancer as given (deleted, changed since it was listed),
// so a pass never rebuilds what the service controller just removed.
func (p *Pass) Repair(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node,
	confirm func(context.Context) error) (status *v1.LoadBalancerStatus, found []drift.Finding, err error) {
	if svc.Spec.LoadBalancerClass != nil {
		return nil, nil, cloudprovider.ImplementedElsewhere
	}
	kind := kindOf(svc)
	defer func(start time.Time) { observeSync(kind, "repair", start, err) }(time.Now())
	if kind == kindInternal {
		status, actions, err := p.l.ensureInternal(ctx, cluster, svc, nodes, syncOpts{recency: snapshot.Within(p.since), confirm: confirm})
		return status, internalFindingsOf(actions), err
	}
	status, actions, err := p.l.ensureExternal(ctx, cluster, svc, nodes, syncOpts{recency: snapshot.Within(p.since), confirm: confirm})
	return status, findingsOf(actions), err
}

// findingsOf says what each write of a plan put right.
func findingsOf(actions []plan.Action) []drift.Finding {
	return findings(actions, findingOf, func(a plan.Action) (string, bool) { return a.Name, a.Kind == plan.OpReserveAddress },
		func(a plan.Action) (string, bool) { return a.Name, a.Kind == plan.OpReleaseAddress })
}

// findings says what each write of either kind's sync put right (of), but
// for an address reserved only while a rule is made: a rule made again on
// an IP that is to stay ephemeral holds it with an address released after,
// so that reservation is part of making the rule. An address no release
// follows (a TCP+UDP Service's, an internal Service's shared VIP) was
// missing on its own: a repair of kind address. (A release listed before
// the reservation is of a stale address the reservation replaces.)
func findings[A any](actions []A, of func(A) (drift.Finding, bool), reserves, releases func(A) (string, bool)) []drift.Finding {
	var out []drift.Finding
	for i, a := range actions {
		if name, ok := reserves(a); ok && slices.ContainsFunc(actions[i+1:], func(r A) bool {
			n, ok := releases(r)
			return ok && n == name
		}) {
			continue
		}
		if f, ok := of(a); ok {
			out = append(out, f)
		}
	}
	return out
}

func findingOf(a plan.Action) (drift.Finding, bool) {
	f := func(k drift.Kind, format string, args ...any) (drift.Finding, bool) {
		return drift.Finding{Kind: k, What: fmt.Sprintf(format, args...)}, true
	}
	switch a.Kind {
	case plan.OpCreateRule:
		return f(drift.Rule, "forwarding rule %s was missing: created it", a.Name)
	case plan.OpSetTarget:
		return f(drift.Rule, "forwarding rule %s pointed elsewhere: set its target to %s", a.Name, a.Ref)
	case plan.OpCreatePool:
		return f(drift.PoolMembers, "target pool %s was missing: created it with %d node(s)", a.Name, len(a.Pool.GetInstances()))
	case plan.OpAddInstances:
		return f(drift.PoolMembers, "target pool %s lacked %d node(s): added them", a.Name, len(a.Instances))
	case plan.OpRemoveInstances:
		return f(drift.PoolMembers, "target pool %s held %d VM(s) that are not its nodes: removed them", a.Name, len(a.Instances))
	case plan.OpAttachCheck:
		return f(drift.PoolCheck, "target pool %s lacked its health check: attached %s", a.Name, a.Ref)
	case plan.OpDetachCheck:
		return f(drift.PoolCheck, "target pool %s had a health check it should not: detached %s", a.Name, a.Ref)
	case plan.OpCreateFirewall:
		return f(drift.Firewall, "firewall %s was missing: created it", a.Name)
	case plan.OpPatchFirewall:
		return f(drift.Firewall, "firewall %s differed (sources, ports or targets): patched it", a.Name)
	case plan.OpCreateCheck:
		return f(drift.Check, "health check %s was missing: created it", a.Name)
	case plan.OpUpdateCheck:
		return f(drift.Check, "health check %s differed: updated it", a.Name)
	case plan.OpReserveAddress:
		return f(drift.Address, "address %s was missing: reserved it", a.Name)
	}
	// Deletions and releases follow changes of the Service, which the
	// service controller makes: not drift.
	return drift.Finding{}, false
}
