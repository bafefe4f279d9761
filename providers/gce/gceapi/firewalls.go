package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetFirewall reads one firewall rule.
func (c *Client) GetFirewall(ctx context.Context, name string) (*computepb.Firewall, error) {
	return readOne(c, ctx, "firewalls.get", global("firewalls", name), func(ctx context.Context) (*computepb.Firewall, error) {
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
	return submit(ctx, c, "firewalls.insert", global("firewalls", fw.GetName()), c.firewalls.Insert,
		&computepb.InsertFirewallRequest{Project: c.Project, FirewallResource: fw})
}

// PatchFirewall merges the fields set in fw into the named rule: fields
// the caller leaves unset (logging, priority, ...) keep their value.
func (c *Client) PatchFirewall(ctx context.Context, name string, fw *computepb.Firewall) error {
	return submit(ctx, c, "firewalls.patch", global("firewalls", name), c.firewalls.Patch,
		&computepb.PatchFirewallRequest{Project: c.Project, Firewall: name, FirewallResource: fw})
}

// DeleteFirewall deletes a firewall rule and waits until it is gone.
func (c *Client) DeleteFirewall(ctx context.Context, name string) error {
	return submit(ctx, c, "firewalls.delete", global("firewalls", name), c.firewalls.Delete,
		&computepb.DeleteFirewallRequest{Project: c.Project, Firewall: name})
}
