package gce

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
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
func ruleName(n lbNames, s lbSpec, protocol string) string {
	if s.mixed() && protocol == "UDP" {
		return n.UDPRule
	}
	return n.LB
}

// diffRules compares the rules wanted on ip, targeting pool, with those seen.
func diffRules(in planInput, ip, pool string) ruleChanges {
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
		out = append(out, ruleChange{Name: name, Want: want, Have: have, Recreate: have != nil && !ruleFits(have, want)})
	}
	for _, name := range in.Names.rules() {
		if have := in.Seen.Rules[name]; have != nil && !wanted[name] {
			out = append(out, ruleChange{Name: name, Have: have})
		}
	}
	return out
}

// ruleFits says whether have serves as want, its target aside.
func ruleFits(have, want *computepb.ForwardingRule) bool {
	return tierOf(have.GetNetworkTier()) == want.GetNetworkTier() &&
		(want.GetIPAddress() == "" || have.GetIPAddress() == want.GetIPAddress()) &&
		have.GetIPProtocol() == want.GetIPProtocol() && have.GetPortRange() == want.GetPortRange() &&
		len(have.GetPorts()) == 0 && !have.GetAllPorts() &&
		(have.GetLoadBalancingScheme() == "" || have.GetLoadBalancingScheme() == "EXTERNAL")
}

// planRuleDeletes deletes the rules to recreate or no longer wanted. A
// rule being recreated is deleted once its IP is reserved.
func (p *planner) planRuleDeletes(rc ruleChanges, ipKey string) {
	for _, c := range rc {
		if c.Have != nil && (c.Want == nil || c.Recreate) {
			p.add(action{Kind: opDeleteRule, Name: c.Name}, ipKey)
		}
	}
}

// planRuleWrites creates rules, last, and repoints the others.
func (p *planner) planRuleWrites(rc ruleChanges, ready []string) {
	deletes := p.keysOf(opDeleteRule)
	for _, c := range rc {
		switch {
		case c.Want == nil:
		case c.Have == nil || c.Recreate:
			p.add(action{Kind: opCreateRule, Name: c.Name, Rule: c.Want, FillIP: c.Want.GetIPAddress() == ""}, append(ready, deletes...)...)
		case lastSegment(c.Have.GetTarget()) != lastSegment(c.Want.GetTarget()):
			p.add(action{Kind: opSetTarget, Name: c.Name, Ref: c.Want.GetTarget()}, ready...)
		}
	}
}

// createRule inserts a rule; one that already exists as wanted (a lost
// answer) is success.
func (l *loadBalancers) createRule(ctx context.Context, r *computepb.ForwardingRule) error {
	defer l.rules.invalidate(r.GetName())
	err := l.api().InsertForwardingRule(ctx, l.region(), r)
	if gceapi.IsAlreadyExists(err) {
		have, gerr := l.api().GetForwardingRule(ctx, l.region(), r.GetName())
		if gerr == nil && ruleFits(have, r) && lastSegment(have.GetTarget()) == lastSegment(r.GetTarget()) {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("creating forwarding rule %s: %w", r.GetName(), err)
	}
	return nil
}

func (l *loadBalancers) deleteRule(ctx context.Context, name string) error {
	defer l.rules.invalidate(name)
	if err := l.api().DeleteForwardingRule(ctx, l.region(), name); err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting forwarding rule %s: %w", name, err)
	}
	return nil
}

func (l *loadBalancers) setTarget(ctx context.Context, name, pool string) error {
	defer l.rules.invalidate(name)
	if err := l.api().SetForwardingRuleTarget(ctx, l.region(), name, pool); err != nil {
		return fmt.Errorf("pointing forwarding rule %s at %s: %w", name, lastSegment(pool), err)
	}
	return nil
}
