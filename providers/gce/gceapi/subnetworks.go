package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Subnetworks live in the network's project (the Shared VPC host).

// GetSubnetwork reads one subnetwork of a region.
func (c *Client) GetSubnetwork(ctx context.Context, region, name string) (*computepb.Subnetwork, error) {
	var out *computepb.Subnetwork
	err := c.read(ctx, "subnetworks.get", "regions/"+region+"/subnetworks/"+name, func(ctx context.Context) error {
		var err error
		out, err = c.subnetworks.Get(ctx, &computepb.GetSubnetworkRequest{Project: c.NetworkProject, Region: region, Subnetwork: name}, noRetry)
		return err
	})
	return out, err
}

// ListSubnetworks lists a region's subnetworks that match a filter.
func (c *Client) ListSubnetworks(ctx context.Context, region, filter string) ([]*computepb.Subnetwork, error) {
	var out []*computepb.Subnetwork
	err := c.read(ctx, "subnetworks.list", "regions/"+region+"/subnetworks", func(ctx context.Context) error {
		req := &computepb.ListSubnetworksRequest{Project: c.NetworkProject, Region: region, MaxResults: proto.Uint32(pageSize)}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		var err error
		out, err = collect(c.subnetworks.List(ctx, req, noRetry))
		return err
	})
	return out, err
}
