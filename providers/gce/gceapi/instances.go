package gceapi

import (
	"context"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// GetInstance reads one VM.
func (c *Client) GetInstance(ctx context.Context, project, zone, name string) (*computepb.Instance, error) {
	return readOne(c, ctx, "instances.get", zonal(zone, "instances", name), func(ctx context.Context) (*computepb.Instance, error) {
		return c.instances.Get(ctx, &computepb.GetInstanceRequest{Project: project, Zone: zone, Instance: name}, noRetry)
	})
}

// ListInstances lists the VMs of one zone that match a filter.
func (c *Client) ListInstances(ctx context.Context, zone, filter string) ([]*computepb.Instance, error) {
	return readOne(c, ctx, "instances.list", "zones/"+zone+"/instances", func(ctx context.Context) ([]*computepb.Instance, error) {
		return collect(c.instances.List(ctx, &computepb.ListInstancesRequest{Project: c.Project, Zone: zone, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// AggregatedListInstances lists the project's VMs in every zone at once.
func (c *Client) AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error) {
	var out []*computepb.Instance
	err := c.read(ctx, "instances.aggregatedList", "aggregated/instances", func(ctx context.Context) error {
		out = out[:0]
		req := &computepb.AggregatedListInstancesRequest{Project: c.Project, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}
		return drain(c.instances.AggregatedList(ctx, req, noRetry), func(pair compute.InstancesScopedListPair) {
			out = append(out, pair.Value.GetInstances()...)
		})
	})
	return out, err
}

// UpdateInstance is instances.update: a PUT of the full resource, guarded by
// its fingerprint, with the most disruptive action the caller accepts.
func (c *Client) UpdateInstance(ctx context.Context, zone string, inst *computepb.Instance, mostDisruptive string) error {
	name := inst.GetName()
	return submit(ctx, c, "instances.update", zonal(zone, "instances", name), c.instances.Update,
		&computepb.UpdateInstanceRequest{Project: c.Project, Zone: zone, Instance: name,
			InstanceResource: inst, MostDisruptiveAllowedAction: proto.String(mostDisruptive)})
}

// ListZones lists the project's zones.
func (c *Client) ListZones(ctx context.Context, filter string) ([]*computepb.Zone, error) {
	return readOne(c, ctx, "zones.list", "zones", func(ctx context.Context) ([]*computepb.Zone, error) {
		return collect(c.zones.List(ctx, &computepb.ListZonesRequest{Project: c.Project, Filter: optional(filter)}, noRetry))
	})
}
