package gceapi

import (
	"context"
	"errors"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"
)

// MaxPoolUpdate is how many instances one addInstance or removeInstance
// call may name.
const MaxPoolUpdate = 1000

// ListTargetPools lists a region's target pools that match a filter; the
// pools' members are shared (poolMembers) and the pages sized to bound
// what one decoded page holds.
func (c *Client) ListTargetPools(ctx context.Context, region, filter string) ([]*computepb.TargetPool, error) {
	var out []*computepb.TargetPool
	err := c.read(ctx, "targetPools.list", "regions/"+region+"/targetPools", func(ctx context.Context) error {
		req := &computepb.ListTargetPoolsRequest{Project: c.Project, Region: region, MaxResults: proto.Uint32(c.poolMembers.pageSize())}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		out = out[:0]
		idx := c.poolMembers.begin()
		it := c.targetPools.List(ctx, req, noRetry)
		for {
			tp, err := it.Next()
			if errors.Is(err, iterator.Done) {
				if filter == "" {
					c.poolMembers.done(idx)
				}
				return nil
			}
			if err != nil {
				return err
			}
			c.poolMembers.share(idx, tp)
			out = append(out, tp)
		}
	})
	return out, err
}

// InsertTargetPool creates a target pool and waits until it exists.
func (c *Client) InsertTargetPool(ctx context.Context, region string, tp *computepb.TargetPool) error {
	return c.mutate(ctx, "targetPools.insert", "regions/"+region+"/targetPools/"+tp.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.Insert(ctx, &computepb.InsertTargetPoolRequest{Project: c.Project, Region: region, TargetPoolResource: tp, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// DeleteTargetPool deletes a target pool; GCE refuses while a forwarding
// rule targets it.
func (c *Client) DeleteTargetPool(ctx context.Context, region, name string) error {
	return c.mutate(ctx, "targetPools.delete", "regions/"+region+"/targetPools/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.Delete(ctx, &computepb.DeleteTargetPoolRequest{Project: c.Project, Region: region, TargetPool: name, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

func instanceRefs(instances []string) ([]*computepb.InstanceReference, error) {
	if len(instances) == 0 || len(instances) > MaxPoolUpdate {
		return nil, fmt.Errorf("gceapi: %d instances in one target pool or instance group update; want 1 to %d", len(instances), MaxPoolUpdate)
	}
	refs := make([]*computepb.InstanceReference, len(instances))
	for i, u := range instances {
		refs[i] = &computepb.InstanceReference{Instance: proto.String(u)}
	}
	return refs, nil
}

// AddTargetPoolInstances adds up to MaxPoolUpdate VMs (URLs) to a pool.
func (c *Client) AddTargetPoolInstances(ctx context.Context, region, pool string, instances []string) error {
	refs, err := instanceRefs(instances)
	if err != nil {
		return err
	}
	return c.mutate(ctx, "targetPools.addInstance", "regions/"+region+"/targetPools/"+pool, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.AddInstance(ctx, &computepb.AddInstanceTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsAddInstanceRequestResource: &computepb.TargetPoolsAddInstanceRequest{Instances: refs}, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// RemoveTargetPoolInstances removes up to MaxPoolUpdate VMs from a pool;
// GCE fails the whole call if one of them is not a member.
func (c *Client) RemoveTargetPoolInstances(ctx context.Context, region, pool string, instances []string) error {
	refs, err := instanceRefs(instances)
	if err != nil {
		return err
	}
	return c.mutate(ctx, "targetPools.removeInstance", "regions/"+region+"/targetPools/"+pool, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.RemoveInstance(ctx, &computepb.RemoveInstanceTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsRemoveInstanceRequestResource: &computepb.TargetPoolsRemoveInstanceRequest{Instances: refs}, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// AddTargetPoolHealthCheck attaches a legacy HTTP health check (URL).
func (c *Client) AddTargetPoolHealthCheck(ctx context.Context, region, pool, check string) error {
	return c.mutate(ctx, "targetPools.addHealthCheck", "regions/"+region+"/targetPools/"+pool, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.AddHealthCheck(ctx, &computepb.AddHealthCheckTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsAddHealthCheckRequestResource: &computepb.TargetPoolsAddHealthCheckRequest{
				HealthChecks: []*computepb.HealthCheckReference{{HealthCheck: proto.String(check)}}}, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// RemoveTargetPoolHealthCheck detaches a health check (URL) from a pool.
func (c *Client) RemoveTargetPoolHealthCheck(ctx context.Context, region, pool, check string) error {
	return c.mutate(ctx, "targetPools.removeHealthCheck", "regions/"+region+"/targetPools/"+pool, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.targetPools.RemoveHealthCheck(ctx, &computepb.RemoveHealthCheckTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsRemoveHealthCheckRequestResource: &computepb.TargetPoolsRemoveHealthCheckRequest{
				HealthChecks: []*computepb.HealthCheckReference{{HealthCheck: proto.String(check)}}}, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}
