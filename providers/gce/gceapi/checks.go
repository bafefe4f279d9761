package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Health checks of the current kind (global), which backend services use.

// ListHealthChecks lists the global health checks that match a filter.
func (c *Client) ListHealthChecks(ctx context.Context, filter string) ([]*computepb.HealthCheck, error) {
	return readOne(c, ctx, "healthChecks.list", "global/healthChecks", func(ctx context.Context) ([]*computepb.HealthCheck, error) {
		return collect(c.healthChecks.List(ctx, &computepb.ListHealthChecksRequest{Project: c.Project, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// InsertHealthCheck creates a global health check.
func (c *Client) InsertHealthCheck(ctx context.Context, hc *computepb.HealthCheck) error {
	return c.mutate(ctx, "healthChecks.insert", "global/healthChecks/"+hc.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.healthChecks.Insert(ctx, &computepb.InsertHealthCheckRequest{Project: c.Project, HealthCheckResource: hc, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// UpdateHealthCheck replaces a global health check.
func (c *Client) UpdateHealthCheck(ctx context.Context, hc *computepb.HealthCheck) error {
	return c.mutate(ctx, "healthChecks.update", "global/healthChecks/"+hc.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.healthChecks.Update(ctx, &computepb.UpdateHealthCheckRequest{Project: c.Project, HealthCheck: hc.GetName(), HealthCheckResource: hc, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// DeleteHealthCheck deletes a global health check.
func (c *Client) DeleteHealthCheck(ctx context.Context, name string) error {
	return c.mutate(ctx, "healthChecks.delete", "global/healthChecks/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.healthChecks.Delete(ctx, &computepb.DeleteHealthCheckRequest{Project: c.Project, HealthCheck: name, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}
