package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetForwardingRule reads one regional forwarding rule.
func (c *Client) GetForwardingRule(ctx context.Context, region, name string) (*computepb.ForwardingRule, error) {
	return readOne(c, ctx, "forwardingRules.get", regional(region, "forwardingRules", name), func(ctx context.Context) (*computepb.ForwardingRule, error) {
		return c.forwardingRules.Get(ctx, &computepb.GetForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name}, noRetry)
	})
}

// ListForwardingRules lists a region's forwarding rules matching a filter.
func (c *Client) ListForwardingRules(ctx context.Context, region, filter string) ([]*computepb.ForwardingRule, error) {
	return readOne(c, ctx, "forwardingRules.list", "regions/"+region+"/forwardingRules", func(ctx context.Context) ([]*computepb.ForwardingRule, error) {
		return collect(c.forwardingRules.List(ctx, &computepb.ListForwardingRulesRequest{Project: c.Project, Region: region, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// InsertForwardingRule creates a forwarding rule and waits until it exists.
func (c *Client) InsertForwardingRule(ctx context.Context, region string, fr *computepb.ForwardingRule) error {
	return submit(ctx, c, "forwardingRules.insert", regional(region, "forwardingRules", fr.GetName()), c.forwardingRules.Insert,
		&computepb.InsertForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRuleResource: fr})
}

// DeleteForwardingRule deletes a forwarding rule and waits until it is gone.
func (c *Client) DeleteForwardingRule(ctx context.Context, region, name string) error {
	return submit(ctx, c, "forwardingRules.delete", regional(region, "forwardingRules", name), c.forwardingRules.Delete,
		&computepb.DeleteForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name})
}

// SetForwardingRuleTarget repoints a forwarding rule at another target
// (a target pool URL) without changing its IP, protocol or ports.
func (c *Client) SetForwardingRuleTarget(ctx context.Context, region, name, target string) error {
	return submit(ctx, c, "forwardingRules.setTarget", regional(region, "forwardingRules", name), c.forwardingRules.SetTarget,
		&computepb.SetTargetForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name,
			TargetReferenceResource: &computepb.TargetReference{Target: proto.String(target)}})
}

// SetForwardingRuleGlobalAccess changes allowGlobalAccess of an INTERNAL
// rule in place (forwardingRules.patch, the one field of such a rule GCE
// patches): the rule keeps its IP and id. fingerprint is the rule's as
// read; a stale one fails with a precondition error (412).
func (c *Client) SetForwardingRuleGlobalAccess(ctx context.Context, region, name, fingerprint string, allow bool) error {
	fr := &computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(allow)}
	if fingerprint != "" {
		fr.Fingerprint = proto.String(fingerprint)
	}
	return submit(ctx, c, "forwardingRules.patch", regional(region, "forwardingRules", name), c.forwardingRules.Patch,
		&computepb.PatchForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name, ForwardingRuleResource: fr})
}
