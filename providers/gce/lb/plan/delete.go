package plan

import (
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Deletion, in the order that keeps a half-deleted load balancer visible:
// forwarding rules first (traffic stops, nothing references the pools),
// then the pools, then the health checks with their firewalls (the shared
// one only if no other pool uses it), and last k8s-fw-<lb> and our
// address. If deletion stops half-way, what is left still carries the
// Service's names, GetLoadBalancer still reports it, and the next call
// finishes the job. Objects already gone are fine.

// Delete deletes every object under the Service's names that is ours.
// strict (a Service with a loadBalancerClass) deletes only what this
// cluster made through gce-ccm, not upstream-named objects another
// controller may own.
func Delete(in Input, strict bool) []Action {
	mine := map[string]bool{}
	for _, c := range claims(in) {
		if c.who == ownership.Ours || (c.who == ownership.Upstream && !strict) {
			mine[c.kind+"/"+c.name] = true
		}
	}
	n, s := in.Names, in.Seen
	p := newPlanner(in)
	var rules, pools, checks []string
	for _, name := range n.Rules() {
		if mine["forwarding rule/"+name] {
			rules = append(rules, p.add(Action{Kind: OpDeleteRule, Name: name}))
		}
	}
	for _, name := range n.Pools() {
		if mine["target pool/"+name] {
			pools = append(pools, p.add(Action{Kind: OpDeletePool, Name: name}, rules...))
		}
	}
	pools = append(pools, rules...)
	for _, c := range []struct {
		check, firewall string
		recheck         Recheck
	}{{n.LocalCheck, n.LocalCheckFirewall, RecheckNone}, {n.NodesCheck, n.NodesCheckFirewall, RecheckUnused}} {
		hc, fw := mine["health check/"+c.check], mine["firewall/"+c.firewall]
		if (hc || s.Checks[c.check] == nil) && (fw || s.Firewalls[c.firewall] == nil) && (hc || fw) {
			checks = append(checks, p.add(Action{Kind: OpDeleteCheck, Name: c.check, CheckFirewall: c.firewall, Recheck: c.recheck}, pools...))
		}
	}
	last := append(checks, pools...)
	if mine["firewall/"+n.Firewall] {
		p.add(Action{Kind: OpDeleteFirewall, Name: n.Firewall}, last...)
	}
	if a := s.Address(n.LB); a != nil {
		who := ServiceOwner(a.GetDescription(), in.Spec.Service, in.Cluster)
		if who == ownership.Ours || (who == ownership.Upstream && !strict) {
			p.add(Action{Kind: OpReleaseAddress, Name: n.LB}, rules...)
		}
	}
	return p.actions
}
