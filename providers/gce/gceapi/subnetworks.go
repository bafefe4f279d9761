package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Subnetworks live in the network's project (the Shared VPC host).

// GetSubnetwork reads one subnetwork of a region.
func (c *Client) GetSubnetwork(ctx context.Context, region, name string) (*computepb.Subnetwork, error) {
	return readOne(c, ctx, "subnetworks.get", regional(region, "subnetworks", name), func(ctx context.Context) (*computepb.Subnetwork, error) {
		return c.subnetworks.Get(ctx, &computepb.GetSubnetworkRequest{Project: c.NetworkProject, Region: region, Subnetwork: name}, noRetry)
	})
}

// ListSubnetworks lists a region's subnetworks that match a filter.
func (c *Client) ListSubnetworks(ctx context.Context, region, filter string) ([]*computepb.Subnetwork, error) {
	return readOne(c, ctx, "subnetworks.list", "regions/"+region+"/subnetworks", func(ctx context.Context) ([]*computepb.Subnetwork, error) {
		return collect(c.subnetworks.List(ctx, &computepb.ListSubnetworksRequest{Project: c.NetworkProject, Region: region, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}
