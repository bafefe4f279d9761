package gceapi

import (
	"context"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/googleapis/gax-go/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// mutationRequest is an apiv1 request of a mutating call. Every such
// request has a request_id field (GetRequestId is generated only for it),
// which is what lets submit give it the id every retry reuses.
type mutationRequest interface {
	proto.Message
	GetRequestId() string
}

// sender is an apiv1 mutating method as a method value, e.g.
// c.addresses.Insert.
type sender[R mutationRequest] func(context.Context, R, ...gax.CallOption) (*compute.Operation, error)

// submit sends req with send through c.mutate (mutation budget, retries
// under one requestId, operation wait, metrics, classified errors) in the
// client's project.
func submit[R mutationRequest](ctx context.Context, c *Client, call, target string, send sender[R], req R) error {
	return submitIn(ctx, c, c.Project, call, target, send, req)
}

// submitIn is submit for a call in another project (routes of a Shared VPC
// network live in its host project).
func submitIn[R mutationRequest](ctx context.Context, c *Client, project, call, target string, send sender[R], req R) error {
	return c.mutateIn(ctx, project, call, target, func(ctx context.Context, rid string) (*computepb.Operation, error) {
		setRequestID(req, rid)
		op, err := send(ctx, req, noRetry)
		return protoOf(op), err
	})
}

var requestIDField = protoreflect.Name("request_id")

func setRequestID(req mutationRequest, rid string) {
	m := req.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName(requestIDField), protoreflect.ValueOfString(rid))
}

// protoOf unwraps apiv1's operation handle; the waiter works on the proto.
func protoOf(op *compute.Operation) *computepb.Operation {
	if op == nil {
		return nil
	}
	return op.Proto()
}

// Targets as the metrics and errors name them.
func global(collection, name string) string { return "global/" + collection + "/" + name }

func regional(region, collection, name string) string {
	return "regions/" + region + "/" + collection + "/" + name
}

func zonal(zone, collection, name string) string {
	return "zones/" + zone + "/" + collection + "/" + name
}
