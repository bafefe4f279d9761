package gceapi

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
)

// fromLegacyOp converts an operation returned by google.golang.org/api into
// the form the waiter understands.
func fromLegacyOp(op *computev1.Operation) *computepb.Operation {
	if op == nil {
		return nil
	}
	out := &computepb.Operation{
		Name:       proto.String(op.Name),
		Zone:       proto.String(op.Zone),
		Region:     proto.String(op.Region),
		TargetLink: proto.String(op.TargetLink),
	}
	if s, ok := computepb.Operation_Status_value[op.Status]; ok {
		st := computepb.Operation_Status(s)
		out.Status = &st
	}
	if op.HttpErrorStatusCode != 0 {
		out.HttpErrorStatusCode = proto.Int32(int32(op.HttpErrorStatusCode))
		out.HttpErrorMessage = proto.String(op.HttpErrorMessage)
	}
	if op.Error != nil {
		e := &computepb.Error{}
		for _, it := range op.Error.Errors {
			e.Errors = append(e.Errors, &computepb.Errors{Code: proto.String(it.Code), Message: proto.String(it.Message)})
		}
		out.Error = e
	}
	return out
}
