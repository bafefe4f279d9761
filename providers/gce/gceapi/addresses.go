package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetAddress reads one regional address, as it is after the call began:
// the reads of a wave share one list (addressbatch.go).
func (c *Client) GetAddress(ctx context.Context, region, name string) (*computepb.Address, error) {
	return c.getAddress(ctx, region, name)
}

// ListAddresses lists a region's addresses that match a filter.
func (c *Client) ListAddresses(ctx context.Context, region, filter string) ([]*computepb.Address, error) {
	return readOne(c, ctx, "addresses.list", "regions/"+region+"/addresses", func(ctx context.Context) ([]*computepb.Address, error) {
		return collect(c.addresses.List(ctx, &computepb.ListAddressesRequest{Project: c.Project, Region: region, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// InsertAddress reserves an address and waits until it is reserved.
func (c *Client) InsertAddress(ctx context.Context, region string, a *computepb.Address) error {
	return submit(ctx, c, "addresses.insert", regional(region, "addresses", a.GetName()), c.addresses.Insert,
		&computepb.InsertAddressRequest{Project: c.Project, Region: region, AddressResource: a})
}

// DeleteAddress releases an address. One that a forwarding rule holds
// stays with the rule as an ephemeral IP.
func (c *Client) DeleteAddress(ctx context.Context, region, name string) error {
	return submit(ctx, c, "addresses.delete", regional(region, "addresses", name), c.addresses.Delete,
		&computepb.DeleteAddressRequest{Project: c.Project, Region: region, Address: name})
}
