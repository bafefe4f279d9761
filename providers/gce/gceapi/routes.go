package gceapi

import (
	"context"
	"errors"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"
)

// ListRoutes lists the project's routes that match a GCE list filter.
func (c *Client) ListRoutes(ctx context.Context, filter string) ([]*computepb.Route, error) {
	var out []*computepb.Route
	err := c.read(ctx, "routes.list", "global/routes", func(ctx context.Context) error {
		out = out[:0]
		req := &computepb.ListRoutesRequest{Project: c.Project, MaxResults: proto.Uint32(500)}
		if filter != "" {
			req.Filter = proto.String(filter)
		}
		it := c.routes.List(ctx, req, noRetry)
		for {
			r, err := it.Next()
			if errors.Is(err, iterator.Done) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, r)
		}
	})
	return out, err
}

// GetRoute reads one route.
func (c *Client) GetRoute(ctx context.Context, name string) (*computepb.Route, error) {
	var out *computepb.Route
	err := c.read(ctx, "routes.get", "global/routes/"+name, func(ctx context.Context) error {
		var err error
		out, err = c.routes.Get(ctx, &computepb.GetRouteRequest{Project: c.Project, Route: name}, noRetry)
		return err
	})
	return out, err
}

// InsertRoute creates a route and waits until it exists.
func (c *Client) InsertRoute(ctx context.Context, r *computepb.Route) error {
	return c.mutate(ctx, "routes.insert", "global/routes/"+r.GetName(), func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.routes.Insert(ctx, &computepb.InsertRouteRequest{Project: c.Project, RouteResource: r, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}

// DeleteRoute deletes a route and waits until it is gone.
func (c *Client) DeleteRoute(ctx context.Context, name string) error {
	return c.mutate(ctx, "routes.delete", "global/routes/"+name, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		op, err := c.routes.Delete(ctx, &computepb.DeleteRouteRequest{Project: c.Project, Route: name, RequestId: &rid}, noRetry)
		return protoOf(op), err
	})
}
