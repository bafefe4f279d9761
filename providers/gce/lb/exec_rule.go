package lb

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// createRule inserts a rule; one that already exists as wanted (a lost
// answer) is success.
func (l *LoadBalancers) createRule(ctx context.Context, r *computepb.ForwardingRule) error {
	err := l.api.InsertForwardingRule(ctx, l.region, r)
	if gceapi.IsAlreadyExists(err) {
		have, gerr := l.api.GetForwardingRule(ctx, l.region, r.GetName())
		if gerr == nil && plan.RuleFits(have, r) && plan.SameTarget(have, r) {
			err = nil
		}
	}
	return wrote(l.rules, "creating forwarding rule", r.GetName(), err)
}

func (l *LoadBalancers) deleteRule(ctx context.Context, name string) error {
	return wrote(l.rules, "deleting forwarding rule", name, gone(l.api.DeleteForwardingRule(ctx, l.region, name)))
}

func (l *LoadBalancers) setTarget(ctx context.Context, name, pool string) error {
	defer l.rules.Invalidate(name)
	if err := l.api.SetForwardingRuleTarget(ctx, l.region, name, pool); err != nil {
		return fmt.Errorf("pointing forwarding rule %s at %s: %w", name, gceref.Name(pool), err)
	}
	return nil
}
