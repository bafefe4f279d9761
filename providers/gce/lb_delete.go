package gce

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// Deletion, in the order that keeps a half-deleted load balancer visible:
// forwarding rules first (traffic stops, nothing references the pools),
// then the pools, then the health checks with their firewalls (the shared
// one only if no other pool uses it), and last k8s-fw-<lb> and our
// address. If deletion stops half-way, what is left still carries the
// Service's names, GetLoadBalancer still reports it, and the next call
// finishes the job. Objects already gone are fine.

// planDelete deletes every object under the Service's names that is ours.
// strict (a Service with a loadBalancerClass) deletes only what this
// cluster made through gce-ccm, not upstream-named objects another
// controller may own.
func planDelete(in planInput, strict bool) []action {
	mine := map[string]bool{}
	for _, c := range claims(in) {
		if c.who == ours || (c.who == upstream && !strict) {
			mine[c.kind+"/"+c.name] = true
		}
	}
	n, s := in.Names, in.Seen
	p := &planner{in: in, lastOn: map[string]string{}}
	for _, name := range n.rules() {
		if mine["forwarding rule/"+name] {
			p.add(action{Kind: opDeleteRule, Name: name})
		}
	}
	rules := p.keysOf(opDeleteRule)
	for _, name := range n.pools() {
		if mine["target pool/"+name] {
			p.add(action{Kind: opDeletePool, Name: name}, rules...)
		}
	}
	pools := append(p.keysOf(opDeletePool), rules...)
	for _, c := range []struct {
		check, firewall string
		shared          bool
	}{{n.LocalCheck, n.LocalCheckFirewall, false}, {n.NodesCheck, n.NodesCheckFirewall, true}} {
		hc, fw := mine["health check/"+c.check], mine["firewall/"+c.firewall]
		if (hc || s.Checks[c.check] == nil) && (fw || s.Firewalls[c.firewall] == nil) && (hc || fw) {
			p.add(action{Kind: opDeleteCheck, Name: c.check, CheckFirewall: c.firewall, Shared: c.shared}, pools...)
		}
	}
	last := append(p.keysOf(opDeleteCheck), pools...)
	if mine["firewall/"+n.Firewall] {
		p.add(action{Kind: opDeleteFirewall, Name: n.Firewall}, last...)
	}
	if a := s.address(n.LB); a != nil {
		who := serviceOwner(a.GetDescription(), in.Spec.Service, in.Cluster)
		if who == ours || (who == upstream && !strict) {
			p.add(action{Kind: opReleaseAddress, Name: n.LB}, rules...)
		}
	}
	return p.actions
}

// EnsureLoadBalancerDeleted deletes the Service's load balancer. It never
// answers ImplementedElsewhere: a Service whose class changed must still
// lose what we built for it.
func (l *loadBalancers) EnsureLoadBalancerDeleted(ctx context.Context, cluster string, svc *v1.Service) error {
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	defer l.locks.lock(name)()
	cid, err := l.clusterID(ctx)
	if err != nil {
		return err
	}
	in := planInput{Spec: lbSpec{Service: serviceKey(svc)}, Names: namesFor(svc, cid), Cluster: cluster, ClusterID: cid,
		Project: l.api().Project, Region: l.region()}
	if in.Seen, err = l.observe(ctx, in.Names, "", true); err != nil {
		return fmt.Errorf("deleting load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	actions := planDelete(in, svc.Spec.LoadBalancerClass != nil)
	if _, err := l.apply(ctx, name, actions, ""); err != nil {
		return fmt.Errorf("deleting load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	if len(actions) > 0 {
		klog.InfoS("Deleted load balancer", "service", in.Spec.Service, "lb", name, "steps", len(actions))
	}
	return nil
}
