package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// MaxGroupUpdate is how many instances one addInstances or removeInstances
// call may name (GCE's limit is the target pools' 1,000); larger changes
// are split into batches of it.
const MaxGroupUpdate = MaxPoolUpdate

// ListInstanceGroups lists a zone's instance groups that match a filter.
func (c *Client) ListInstanceGroups(ctx context.Context, zone, filter string) ([]*computepb.InstanceGroup, error) {
	return readOne(c, ctx, "instanceGroups.list", "zones/"+zone+"/instanceGroups", func(ctx context.Context) ([]*computepb.InstanceGroup, error) {
		return collect(c.instanceGroups.List(ctx, &computepb.ListInstanceGroupsRequest{Project: c.Project, Zone: zone, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// ListGroupInstances lists the instance URLs of a group's members.
func (c *Client) ListGroupInstances(ctx context.Context, zone, name string) ([]string, error) {
	var out []string
	err := c.read(ctx, "instanceGroups.listInstances", zonal(zone, "instanceGroups", name), func(ctx context.Context) error {
		it := c.instanceGroups.ListInstances(ctx, &computepb.ListInstancesInstanceGroupsRequest{Project: c.Project, Zone: zone, InstanceGroup: name,
			MaxResults: proto.Uint32(pageSize),
			InstanceGroupsListInstancesRequestResource: &computepb.InstanceGroupsListInstancesRequest{InstanceState: proto.String("ALL")}}, noRetry)
		items, err := collect(it)
		out = out[:0]
		for _, i := range items {
			out = append(out, i.GetInstance())
		}
		return err
	})
	return out, err
}

// InsertInstanceGroup creates an unmanaged instance group.
func (c *Client) InsertInstanceGroup(ctx context.Context, zone string, ig *computepb.InstanceGroup) error {
	return submit(ctx, c, "instanceGroups.insert", zonal(zone, "instanceGroups", ig.GetName()), c.instanceGroups.Insert,
		&computepb.InsertInstanceGroupRequest{Project: c.Project, Zone: zone, InstanceGroupResource: ig})
}

// DeleteInstanceGroup deletes an instance group (not its VMs).
func (c *Client) DeleteInstanceGroup(ctx context.Context, zone, name string) error {
	return submit(ctx, c, "instanceGroups.delete", zonal(zone, "instanceGroups", name), c.instanceGroups.Delete,
		&computepb.DeleteInstanceGroupRequest{Project: c.Project, Zone: zone, InstanceGroup: name})
}

// AddGroupInstances adds at most MaxGroupUpdate VMs to a group.
func (c *Client) AddGroupInstances(ctx context.Context, zone, name string, instances []string) error {
	refs, err := instanceRefs(instances)
	if err != nil {
		return err
	}
	return submit(ctx, c, "instanceGroups.addInstances", zonal(zone, "instanceGroups", name), c.instanceGroups.AddInstances,
		&computepb.AddInstancesInstanceGroupRequest{Project: c.Project, Zone: zone, InstanceGroup: name,
			InstanceGroupsAddInstancesRequestResource: &computepb.InstanceGroupsAddInstancesRequest{Instances: refs}})
}

// RemoveGroupInstances removes at most MaxGroupUpdate VMs from a group.
func (c *Client) RemoveGroupInstances(ctx context.Context, zone, name string, instances []string) error {
	refs, err := instanceRefs(instances)
	if err != nil {
		return err
	}
	return submit(ctx, c, "instanceGroups.removeInstances", zonal(zone, "instanceGroups", name), c.instanceGroups.RemoveInstances,
		&computepb.RemoveInstancesInstanceGroupRequest{Project: c.Project, Zone: zone, InstanceGroup: name,
			InstanceGroupsRemoveInstancesRequestResource: &computepb.InstanceGroupsRemoveInstancesRequest{Instances: refs}})
}
