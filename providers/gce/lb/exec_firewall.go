package lb

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// createFirewall inserts a rule. A rule that appeared since it was
// observed (a lost answer, or a sibling Service creating the shared one)
// is patched to what we want instead.
func (l *LoadBalancers) createFirewall(ctx context.Context, fw *computepb.Firewall) error {
	err := l.api.InsertFirewall(ctx, fw)
	if gceapi.IsAlreadyExists(err) {
		return l.patchFirewall(ctx, fw)
	}
	return wrote(l.firewalls, "creating firewall", fw.GetName(), err)
}

// patchFirewall sends only the fields we manage: a user's logging or
// disabled flag stays as it is.
func (l *LoadBalancers) patchFirewall(ctx context.Context, fw *computepb.Firewall) error {
	p := &computepb.Firewall{Name: fw.Name, Description: fw.Description, Allowed: fw.Allowed, SourceRanges: fw.SourceRanges,
		DestinationRanges: fw.DestinationRanges, TargetTags: fw.TargetTags, Priority: fw.Priority}
	return wrote(l.firewalls, "patching firewall", fw.GetName(), l.api.PatchFirewall(ctx, fw.GetName(), p))
}

func (l *LoadBalancers) deleteFirewall(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	return wrote(l.firewalls, "deleting firewall", name, gone(l.api.DeleteFirewall(ctx, name)))
}

// execFirewall creates or patches a rule, pinned to the load balancer's
// IP if the plan left it to the apply (FillIP). The shared check's rule
// (RecheckCurrent) is read afresh (or taken from what the last recheck
// read or wrote, recheck_memo.go), one writer at a time, and written as
// plan.SharedFirewallWrite decides.
func (l *LoadBalancers) execFirewall(ctx context.Context, a plan.Action, ip string) error {
	fw := a.Firewall
	if a.FillIP {
		fw = plan.PinnedTo(fw, ip)
	}
	if a.Recheck != plan.RecheckCurrent {
		return l.writeFirewall(ctx, a.Kind, fw)
	}
	defer l.sharedCreate.Lock(fw.GetName())()
	have, fromMemo := l.firewallMemo.get(fw.GetName())
	if !fromMemo {
		var err error
		have, err = l.api.GetFirewall(ctx, fw.GetName())
		if gceapi.IsNotFound(err) {
			have, err = nil, nil
		}
		if err != nil {
			return fmt.Errorf("reading firewall %s: %w", fw.GetName(), err)
		}
	}
	op := plan.SharedFirewallWrite(have, fw)
	err := l.writeFirewall(ctx, op, fw)
	switch {
	case err != nil:
	case op != "":
		l.firewallMemo.put(fw.GetName(), fw) // what the write made
	case !fromMemo:
		l.firewallMemo.put(fw.GetName(), have) // what the read found
	}
	return err
}

// writeFirewall creates or patches a rule as op says; any other op writes
// nothing.
func (l *LoadBalancers) writeFirewall(ctx context.Context, op plan.Op, fw *computepb.Firewall) error {
	switch op {
	case plan.OpCreateFirewall:
		return l.createFirewall(ctx, fw)
	case plan.OpPatchFirewall:
		return l.patchFirewall(ctx, fw)
	}
	return nil
}
