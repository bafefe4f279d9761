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
		out = out[:0]
		idx := c.poolMembers.begin()
		req := &computepb.ListTargetPoolsRequest{Project: c.Project, Region: region, MaxResults: proto.Uint32(c.poolMembers.pageSize(idx))}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		it := c.targetPools.List(ctx, req, noRetry)
		for {
			tp, err := it.Next()
			if errors.Is(err, iterator.Done) {
				c.poolMembers.done(idx, filter == "")
				return nil
			}
			if err != nil {
				return err
			}
			c.poolMembers.share(idx, tp)
			out = append(out, tp)
			// The next page's size, from the pools seen so far.
			it.PageInfo().MaxSize = int(c.poolMembers.pageSize(idx))
		}
	})
	return out, err
}

// InsertTargetPool creates a target pool and waits until it exists.
func (c *Client) InsertTargetPool(ctx context.Context, region string, tp *computepb.TargetPool) error {
	return submit(ctx, c, "targetPools.insert", regional(region, "targetPools", tp.GetName()), c.targetPools.Insert,
		&computepb.InsertTargetPoolRequest{Project: c.Project, Region: region, TargetPoolResource: tp})
}

// DeleteTargetPool deletes a target pool; GCE refuses while a forwarding
// rule targets it.
func (c *Client) DeleteTargetPool(ctx context.Context, region, name string) error {
	return submit(ctx, c, "targetPools.delete", regional(region, "targetPools", name), c.targetPools.Delete,
		&computepb.DeleteTargetPoolRequest{Project: c.Project, Region: region, TargetPool: name})
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
	return submit(ctx, c, "targetPools.addInstance", regional(region, "targetPools", pool), c.targetPools.AddInstance,
		&computepb.AddInstanceTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsAddInstanceRequestResource: &computepb.TargetPoolsAddInstanceRequest{Instances: refs}})
}

// RemoveTargetPoolInstances removes up to MaxPoolUpdate VMs from a pool;
// GCE fails the whole call if one of them is not a member.
func (c *Client) RemoveTargetPoolInstances(ctx context.Context, region, pool string, instances []string) error {
	refs, err := instanceRefs(instances)
	if err != nil {
		return err
	}
	return submit(ctx, c, "targetPools.removeInstance", regional(region, "targetPools", pool), c.targetPools.RemoveInstance,
		&computepb.RemoveInstanceTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsRemoveInstanceRequestResource: &computepb.TargetPoolsRemoveInstanceRequest{Instances: refs}})
}

// AddTargetPoolHealthCheck attaches a legacy HTTP health check (URL).
func (c *Client) AddTargetPoolHealthCheck(ctx context.Context, region, pool, check string) error {
	return submit(ctx, c, "targetPools.addHealthCheck", regional(region, "targetPools", pool), c.targetPools.AddHealthCheck,
		&computepb.AddHealthCheckTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsAddHealthCheckRequestResource: &computepb.TargetPoolsAddHealthCheckRequest{HealthChecks: checkRefs(check)}})
}

// RemoveTargetPoolHealthCheck detaches a health check (URL) from a pool.
func (c *Client) RemoveTargetPoolHealthCheck(ctx context.Context, region, pool, check string) error {
	return submit(ctx, c, "targetPools.removeHealthCheck", regional(region, "targetPools", pool), c.targetPools.RemoveHealthCheck,
		&computepb.RemoveHealthCheckTargetPoolRequest{Project: c.Project, Region: region, TargetPool: pool,
			TargetPoolsRemoveHealthCheckRequestResource: &computepb.TargetPoolsRemoveHealthCheckRequest{HealthChecks: checkRefs(check)}})
}

func checkRefs(check string) []*computepb.HealthCheckReference {
	return []*computepb.HealthCheckReference{{HealthCheck: proto.String(check)}}
}
