package ilb_test

import (
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Who uses the shared check is decided by identity, not by name: a backend
// service using a regional health check that only shares the name of our
// (global) one is not its user, so deleting the last internal Service
// still deletes the shared check (keyed by name, it was kept forever).
func TestSharedCheckUsersByIdentity(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	e.ensure(svc)
	rhc, err := compute.NewRegionHealthChecksRESTClient(e.ctx, e.gce.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rhc.Close() })
	op, err := rhc.Insert(e.ctx, &computepb.InsertRegionHealthCheckRequest{Project: "demo", Region: region,
		HealthCheckResource: &computepb.HealthCheck{Name: proto.String(sharedCheck), Type: proto.String("TCP"),
			TcpHealthCheck: &computepb.TCPHealthCheck{Port: proto.Int32(80)}}})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	other := &computepb.BackendService{Name: proto.String("other"), LoadBalancingScheme: proto.String("INTERNAL"), Protocol: proto.String("TCP"),
		HealthChecks: []string{base + "regions/" + region + "/healthChecks/" + sharedCheck}}
	if err := e.api.InsertBackendService(e.ctx, region, other); err != nil {
		t.Fatal(err)
	}
	e.delete(svc)
	if hcs, err := e.api.ListHealthChecks(e.ctx, ""); err != nil || len(hcs) != 0 {
		t.Errorf("global health checks after the last internal Service went: %d, %v; want none", len(hcs), err)
	}
	if _, err := e.api.GetFirewall(e.ctx, sharedCheckFirewall); err == nil {
		t.Errorf("the shared check's firewall stayed")
	}
}
