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
	return submit(ctx, c, "healthChecks.insert", global("healthChecks", hc.GetName()), c.healthChecks.Insert,
		&computepb.InsertHealthCheckRequest{Project: c.Project, HealthCheckResource: hc})
}

// UpdateHealthCheck replaces a global health check.
func (c *Client) UpdateHealthCheck(ctx context.Context, hc *computepb.HealthCheck) error {
	return submit(ctx, c, "healthChecks.update", global("healthChecks", hc.GetName()), c.healthChecks.Update,
		&computepb.UpdateHealthCheckRequest{Project: c.Project, HealthCheck: hc.GetName(), HealthCheckResource: hc})
}

// DeleteHealthCheck deletes a global health check.
func (c *Client) DeleteHealthCheck(ctx context.Context, name string) error {
	return submit(ctx, c, "healthChecks.delete", global("healthChecks", name), c.healthChecks.Delete,
		&computepb.DeleteHealthCheckRequest{Project: c.Project, HealthCheck: name})
}
