package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
)

// Legacy HTTP health checks, the only kind a target pool accepts. apiv1
// has no client for them, so these go through google.golang.org/api's
// compute/v1 Service; their operations are converted and waited on by the
// same waiter as every other call.

// GetHTTPHealthCheck reads one legacy HTTP health check.
func (c *Client) GetHTTPHealthCheck(ctx context.Context, name string) (*computev1.HttpHealthCheck, error) {
	return readOne(c, ctx, "httpHealthChecks.get", global("httpHealthChecks", name), func(ctx context.Context) (*computev1.HttpHealthCheck, error) {
		return c.legacy.HttpHealthChecks.Get(c.Project, name).Context(ctx).Do()
	})
}

// ListHTTPHealthChecks lists the legacy HTTP health checks matching a filter.
func (c *Client) ListHTTPHealthChecks(ctx context.Context, filter string) ([]*computev1.HttpHealthCheck, error) {
	var out []*computev1.HttpHealthCheck
	err := c.read(ctx, "httpHealthChecks.list", "global/httpHealthChecks", func(ctx context.Context) error {
		out = out[:0]
		call := c.legacy.HttpHealthChecks.List(c.Project).MaxResults(pageSize)
		if filter != "" {
			call = call.Filter(filter)
		}
		return call.Pages(ctx, func(page *computev1.HttpHealthCheckList) error {
			out = append(out, page.Items...)
			return nil
		})
	})
	return out, err
}

// InsertHTTPHealthCheck creates a legacy HTTP health check and waits.
func (c *Client) InsertHTTPHealthCheck(ctx context.Context, hc *computev1.HttpHealthCheck) error {
	return c.mutate(ctx, "httpHealthChecks.insert", global("httpHealthChecks", hc.Name), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.legacy.HttpHealthChecks.Insert(c.Project, hc).RequestId(rid).Context(ctx).Do()
		return fromLegacyOp(op), err
	})
}

// UpdateHTTPHealthCheck replaces a legacy HTTP health check (PUT: fields
// left out go back to GCE's defaults, so callers send the whole check).
func (c *Client) UpdateHTTPHealthCheck(ctx context.Context, hc *computev1.HttpHealthCheck) error {
	return c.mutate(ctx, "httpHealthChecks.update", global("httpHealthChecks", hc.Name), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.legacy.HttpHealthChecks.Update(c.Project, hc.Name, hc).RequestId(rid).Context(ctx).Do()
		return fromLegacyOp(op), err
	})
}

// DeleteHTTPHealthCheck deletes a legacy HTTP health check; GCE refuses
// (KindInUse) while a target pool uses it.
func (c *Client) DeleteHTTPHealthCheck(ctx context.Context, name string) error {
	return c.mutate(ctx, "httpHealthChecks.delete", global("httpHealthChecks", name), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.legacy.HttpHealthChecks.Delete(c.Project, name).RequestId(rid).Context(ctx).Do()
		return fromLegacyOp(op), err
	})
}
