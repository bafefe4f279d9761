package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// ListBackendServices lists a region's backend services that match a filter.
func (c *Client) ListBackendServices(ctx context.Context, region, filter string) ([]*computepb.BackendService, error) {
	return readOne(c, ctx, "regionBackendServices.list", "regions/"+region+"/backendServices", func(ctx context.Context) ([]*computepb.BackendService, error) {
		return collect(c.backendServices.List(ctx, &computepb.ListRegionBackendServicesRequest{Project: c.Project, Region: region, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// InsertBackendService creates a regional backend service.
func (c *Client) InsertBackendService(ctx context.Context, region string, bs *computepb.BackendService) error {
	return submit(ctx, c, "regionBackendServices.insert", regional(region, "backendServices", bs.GetName()), c.backendServices.Insert,
		&computepb.InsertRegionBackendServiceRequest{Project: c.Project, Region: region, BackendServiceResource: bs})
}

// PatchBackendService changes the fields bs sets; bs carries the
// fingerprint it was read with, so a concurrent change fails (412).
func (c *Client) PatchBackendService(ctx context.Context, region string, bs *computepb.BackendService) error {
	return submit(ctx, c, "regionBackendServices.patch", regional(region, "backendServices", bs.GetName()), c.backendServices.Patch,
		&computepb.PatchRegionBackendServiceRequest{Project: c.Project, Region: region, BackendService: bs.GetName(),
			BackendServiceResource: bs})
}

// DeleteBackendService deletes a regional backend service.
func (c *Client) DeleteBackendService(ctx context.Context, region, name string) error {
	return submit(ctx, c, "regionBackendServices.delete", regional(region, "backendServices", name), c.backendServices.Delete,
		&computepb.DeleteRegionBackendServiceRequest{Project: c.Project, Region: region, BackendService: name})
}
