package gceapi

import (
	"context"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Routes live in the network's project (NetworkProject): with Shared VPC,
// the host project.

// ListRoutes lists the network project's routes that match a GCE list filter.
func (c *Client) ListRoutes(ctx context.Context, filter string) ([]*computepb.Route, error) {
	return readOne(c, ctx, "routes.list", "global/routes", func(ctx context.Context) ([]*computepb.Route, error) {
		return collect(c.routes.List(ctx, &computepb.ListRoutesRequest{Project: c.NetworkProject, MaxResults: proto.Uint32(pageSize), Filter: optional(filter)}, noRetry))
	})
}

// GetRoute reads one route.
func (c *Client) GetRoute(ctx context.Context, name string) (*computepb.Route, error) {
	return readOne(c, ctx, "routes.get", global("routes", name), func(ctx context.Context) (*computepb.Route, error) {
		return c.routes.Get(ctx, &computepb.GetRouteRequest{Project: c.NetworkProject, Route: name}, noRetry)
	})
}

// InsertRoute creates a route and waits until it exists.
func (c *Client) InsertRoute(ctx context.Context, r *computepb.Route) error {
	return submitIn(ctx, c, c.NetworkProject, "routes.insert", global("routes", r.GetName()), c.routes.Insert,
		&computepb.InsertRouteRequest{Project: c.NetworkProject, RouteResource: r})
}

// DeleteRoute deletes a route and waits until it is gone.
func (c *Client) DeleteRoute(ctx context.Context, name string) error {
	return submitIn(ctx, c, c.NetworkProject, "routes.delete", global("routes", name), c.routes.Delete,
		&computepb.DeleteRouteRequest{Project: c.NetworkProject, Route: name})
}
