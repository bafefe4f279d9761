package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetForwardingRule reads one regional forwarding rule.
func (c *Client) GetForwardingRule(ctx context.Context, region, name string) (*computepb.ForwardingRule, error) {
	return readOne(c, ctx, "forwardingRules.get", "regions/"+region+"/forwardingRules/"+name, func(ctx context.Context) (*computepb.ForwardingRule, error) {
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
	return c.mutate(ctx, "forwardingRules.insert", "regions/"+region+"/forwardingRules/"+fr.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.forwardingRules.Insert(ctx, &computepb.InsertForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRuleResource: fr, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// DeleteForwardingRule deletes a forwarding rule and waits until it is gone.
func (c *Client) DeleteForwardingRule(ctx context.Context, region, name string) error {
	return c.mutate(ctx, "forwardingRules.delete", "regions/"+region+"/forwardingRules/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.forwardingRules.Delete(ctx, &computepb.DeleteForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// SetForwardingRuleTarget repoints a forwarding rule at another target
// (a target pool URL) without changing its IP, protocol or ports.
func (c *Client) SetForwardingRuleTarget(ctx context.Context, region, name, target string) error {
	return c.mutate(ctx, "forwardingRules.setTarget", "regions/"+region+"/forwardingRules/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.forwardingRules.SetTarget(ctx, &computepb.SetTargetForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name,
			TargetReferenceResource: &computepb.TargetReference{Target: proto.String(target)}, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// SetForwardingRuleGlobalAccess changes allowGlobalAccess of an INTERNAL
// rule in place (forwardingRules.patch, the one field of such a rule GCE
// patches): the rule keeps its IP and id. fingerprint is the rule's as
// read; a stale one fails with a precondition error (412).
func (c *Client) SetForwardingRuleGlobalAccess(ctx context.Context, region, name, fingerprint string, allow bool) error {
	return c.mutate(ctx, "forwardingRules.patch", "regions/"+region+"/forwardingRules/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		fr := &computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(allow)}
		if fingerprint != "" {
			fr.Fingerprint = proto.String(fingerprint)
		}
		op, err := c.forwardingRules.Patch(ctx, &computepb.PatchForwardingRuleRequest{Project: c.Project, Region: region, ForwardingRule: name,
			ForwardingRuleResource: fr, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}
