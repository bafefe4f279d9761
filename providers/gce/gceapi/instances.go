package gceapi

import (
	"context"
	"errors"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"
)

// protoOf unwraps apiv1's operation handle; the waiter works on the proto.
func protoOf(op *compute.Operation) *computepb.Operation {
	if op == nil {
		return nil
	}
	return op.Proto()
}

// GetInstance reads one VM.
func (c *Client) GetInstance(ctx context.Context, project, zone, name string) (*computepb.Instance, error) {
	var out *computepb.Instance
	err := c.read(ctx, "instances.get", "zones/"+zone+"/instances/"+name, func(ctx context.Context) error {
		var err error
		out, err = c.instances.Get(ctx, &computepb.GetInstanceRequest{Project: project, Zone: zone, Instance: name}, noRetry)
		return err
	})
	return out, err
}

// ListInstances lists the VMs of one zone that match a filter.
func (c *Client) ListInstances(ctx context.Context, zone, filter string) ([]*computepb.Instance, error) {
	var out []*computepb.Instance
	err := c.read(ctx, "instances.list", "zones/"+zone+"/instances", func(ctx context.Context) error {
		out = out[:0]
		req := &computepb.ListInstancesRequest{Project: c.Project, Zone: zone, MaxResults: proto.Uint32(500)}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		it := c.instances.List(ctx, req, noRetry)
		for {
			inst, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, inst)
		}
	})
	return out, err
}

// AggregatedListInstances lists the project's VMs in every zone at once.
func (c *Client) AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error) {
	var out []*computepb.Instance
	err := c.read(ctx, "instances.aggregatedList", "aggregated/instances", func(ctx context.Context) error {
		out = out[:0]
		req := &computepb.AggregatedListInstancesRequest{Project: c.Project, MaxResults: proto.Uint32(500)}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		it := c.instances.AggregatedList(ctx, req, noRetry)
		for {
			pair, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, pair.Value.GetInstances()...)
		}
	})
	return out, err
}

// UpdateInstance is instances.update: a PUT of the full resource, guarded by
// its fingerprint, with the most disruptive action the caller accepts.
func (c *Client) UpdateInstance(ctx context.Context, zone string, inst *computepb.Instance, mostDisruptive string) error {
	name := inst.GetName()
	return c.mutate(ctx, "instances.update", "zones/"+zone+"/instances/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.instances.Update(ctx, &computepb.UpdateInstanceRequest{Project: c.Project, Zone: zone, Instance: name,
			InstanceResource: inst, MostDisruptiveAllowedAction: proto.String(mostDisruptive), RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// ListZones lists the project's zones.
func (c *Client) ListZones(ctx context.Context, filter string) ([]*computepb.Zone, error) {
	var out []*computepb.Zone
	err := c.read(ctx, "zones.list", "zones", func(ctx context.Context) error {
		out = out[:0]
		req := &computepb.ListZonesRequest{Project: c.Project}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		it := c.zones.List(ctx, req, noRetry)
		for {
			z, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, z)
		}
	})
	return out, err
}
