package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetFirewall reads one firewall rule.
func (c *Client) GetFirewall(ctx context.Context, name string) (*computepb.Firewall, error) {
	return readOne(c, ctx, "firewalls.get", "global/firewalls/"+name, func(ctx context.Context) (*computepb.Firewall, error) {
		return c.firewalls.Get(ctx, &computepb.GetFirewallRequest{Project: c.Project, Firewall: name}, noRetry)
	})
}

// ListFirewalls lists the firewall rules that match a filter.
func (c *Client) ListFirewalls(ctx context.Context, filter string) ([]*computepb.Firewall, error) {
	return readOne(c, ctx, "firewalls.list", "global/firewalls", func(ctx context.Context) ([]*computepb.Firewall, error) {
		return collect(c.firewalls.List(ctx, &computepb.ListFirewallsRequest{Project: c.Project, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// InsertFirewall creates a firewall rule and waits until it exists.
func (c *Client) InsertFirewall(ctx context.Context, fw *computepb.Firewall) error {
	return c.mutate(ctx, "firewalls.insert", "global/firewalls/"+fw.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.firewalls.Insert(ctx, &computepb.InsertFirewallRequest{Project: c.Project, FirewallResource: fw, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// PatchFirewall merges the fields set in fw into the named rule: fields
// the caller leaves unset (logging, priority, ...) keep their value.
func (c *Client) PatchFirewall(ctx context.Context, name string, fw *computepb.Firewall) error {
	return c.mutate(ctx, "firewalls.patch", "global/firewalls/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.firewalls.Patch(ctx, &computepb.PatchFirewallRequest{Project: c.Project, Firewall: name, FirewallResource: fw, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// DeleteFirewall deletes a firewall rule and waits until it is gone.
func (c *Client) DeleteFirewall(ctx context.Context, name string) error {
	return c.mutate(ctx, "firewalls.delete", "global/firewalls/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.firewalls.Delete(ctx, &computepb.DeleteFirewallRequest{Project: c.Project, Firewall: name, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}
