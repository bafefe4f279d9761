package plan

import (
	"slices"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// Forwarding rules: one per protocol, on the load balancer's IP, over the
// range min-max of the Service's ports of that protocol (the firewall lets
// only the real ports in). A rule's IP, protocol and ports cannot change:
// a change recreates it, on the same IP, and a rule is created last and
// deleted first, so a rule that exists means a load balancer that works.
// A change of pool is a setTarget, which drops nothing.

// ruleChange is what happens to one forwarding rule name.
type ruleChange struct {
	Name     string
	Want     *computepb.ForwardingRule // nil: delete Have
	Have     *computepb.ForwardingRule // nil: create Want
	Recreate bool                      // Have cannot become Want in place
}

type ruleChanges []ruleChange

// creates says whether a rule will be created (so the IP must be static).
func (rc ruleChanges) creates() bool {
	for _, c := range rc {
		if c.Want != nil && (c.Have == nil || c.Recreate) {
			return true
		}
	}
	return false
}

// ruleName: <lb> for a single-protocol Service (as upstream), and for the
// TCP rule of a TCP+UDP one, whose UDP rule is <lb>-udp.
func ruleName(n Names, s Spec, protocol string) string {
	if s.mixed() && protocol == "UDP" {
		return n.UDPRule
	}
	return n.LB
}

// diffRules compares the rules wanted on ip, targeting pool, with those seen.
func diffRules(in Input, ip, pool string) ruleChanges {
	var out ruleChanges
	wanted := map[string]bool{}
	for _, r := range in.Spec.Rules {
		name := ruleName(in.Names, in.Spec, r.Protocol)
		wanted[name] = true
		want := &computepb.ForwardingRule{Name: proto.String(name), Description: proto.String(serviceDescription(in.Spec.Service, in.Cluster)),
			IPProtocol: proto.String(r.Protocol), PortRange: proto.String(r.PortRange), Target: proto.String(in.poolURL(pool)),
			NetworkTier: proto.String(in.Spec.Tier), LoadBalancingScheme: proto.String("EXTERNAL")}
		if ip != "" {
			want.IPAddress = proto.String(ip)
		}
		have := in.Seen.Rules[name]
		out = append(out, ruleChange{Name: name, Want: want, Have: have, Recreate: have != nil && !RuleFits(have, want)})
	}
	for _, name := range in.Names.Rules() {
		if have := in.Seen.Rules[name]; have != nil && !wanted[name] {
			out = append(out, ruleChange{Name: name, Have: have})
		}
	}
	return out
}

// RuleFits says whether have serves as want, its target aside.
func RuleFits(have, want *computepb.ForwardingRule) bool {
	return tierOf(have.GetNetworkTier()) == want.GetNetworkTier() &&
		(want.GetIPAddress() == "" || have.GetIPAddress() == want.GetIPAddress()) &&
		have.GetIPProtocol() == want.GetIPProtocol() && have.GetPortRange() == want.GetPortRange() &&
		len(have.GetPorts()) == 0 && !have.GetAllPorts() &&
		(have.GetLoadBalancingScheme() == "" || have.GetLoadBalancingScheme() == "EXTERNAL")
}

// planRuleDeletes deletes the rules to recreate or no longer wanted. A
// rule being recreated is deleted once its IP is reserved.
func (p *planner) planRuleDeletes(rc ruleChanges, ipKey string) (keys []string) {
	for _, c := range rc {
		if c.Have != nil && (c.Want == nil || c.Recreate) {
			keys = append(keys, p.add(Action{Kind: OpDeleteRule, Name: c.Name}, ipKey))
		}
	}
	return keys
}

// planRuleWrites creates rules, last (after everything in ready and the
// deletes of their names), and repoints the others (after ready).
func (p *planner) planRuleWrites(rc ruleChanges, ready, deletes []string) (keys []string) {
	for _, c := range rc {
		switch {
		case c.Want == nil:
		case c.Have == nil || c.Recreate:
			keys = append(keys, p.add(Action{Kind: OpCreateRule, Name: c.Name, Rule: c.Want, FillIP: c.Want.GetIPAddress() == ""},
				append(slices.Clip(ready), deletes...)...))
		case !SameTarget(c.Have, c.Want):
			keys = append(keys, p.add(Action{Kind: OpSetTarget, Name: c.Name, Ref: c.Want.GetTarget()}, ready...))
		}
	}
	return keys
}

// SameTarget: two rules point at one target, by identity (a rule's target
// is a full URL, as GCE returns it).
func SameTarget(a, b *computepb.ForwardingRule) bool {
	return gceref.Same(a.GetTarget(), b.GetTarget(), "targetPools", gceref.Defaults{})
}
