package fakecompute_test

import (
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/protobuf/proto"
)

// ilbEnv is lbEnv with the clients of the internal load balancer's
// collections: apiv1 for each, and the discovery-based client (lbEnv's
// legacy) where a test says so.
type ilbEnv struct {
	*lbEnv
	ig   *compute.InstanceGroupsClient
	bs   *compute.RegionBackendServicesClient
	hc   *compute.HealthChecksClient
	rhc  *compute.RegionHealthChecksClient
	subs *compute.SubnetworksClient
}

func newILBEnv(t *testing.T) *ilbEnv {
	t.Helper()
	e := &ilbEnv{lbEnv: newLBEnv(t)}
	opts := e.ts.ClientOptions()
	var err error
	closeAfter := func(c interface{ Close() error }) { t.Cleanup(func() { _ = c.Close() }) }
	if e.ig, err = compute.NewInstanceGroupsRESTClient(e.ctx, opts...); err == nil {
		closeAfter(e.ig)
	}
	if e.bs, err = compute.NewRegionBackendServicesRESTClient(e.ctx, opts...); err == nil {
		closeAfter(e.bs)
	}
	if e.hc, err = compute.NewHealthChecksRESTClient(e.ctx, opts...); err == nil {
		closeAfter(e.hc)
	}
	if e.rhc, err = compute.NewRegionHealthChecksRESTClient(e.ctx, opts...); err == nil {
		closeAfter(e.rhc)
	}
	if e.subs, err = compute.NewSubnetworksRESTClient(e.ctx, opts...); err == nil {
		closeAfter(e.subs)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// do is the error of a mutation or of its operation.
func (e *ilbEnv) do(op *compute.Operation, err error) error { return lbDo(e.ctx, op, err) }

// zonalLegacyDo waits on a zonal operation of the discovery-based client.
func (e *ilbEnv) zonalLegacyDo(op *gce.Operation, err error) error {
	for err == nil && op.Status != "DONE" {
		op, err = e.legacy.ZoneOperations.Wait(lbProject, lbZone, op.Name).Context(e.ctx).Do()
	}
	if err != nil {
		return err
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		return &googleapi.Error{Code: int(op.HttpErrorStatusCode), Message: op.Error.Errors[0].Message}
	}
	return nil
}

// group creates an instance group in lbZone holding the named VMs.
func (e *ilbEnv) group(name string, vms ...string) string {
	e.t.Helper()
	e.must(e.ig.Insert(e.ctx, &computepb.InsertInstanceGroupRequest{Project: lbProject, Zone: lbZone,
		InstanceGroupResource: &computepb.InstanceGroup{Name: proto.String(name)}}))
	if len(vms) > 0 {
		e.must(e.addToGroup(name, vms...))
	}
	return lbLink("zones/" + lbZone + "/instanceGroups/" + name)
}

func (e *ilbEnv) addToGroup(name string, vms ...string) (*compute.Operation, error) {
	return e.ig.AddInstances(e.ctx, &computepb.AddInstancesInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: name,
		InstanceGroupsAddInstancesRequestResource: &computepb.InstanceGroupsAddInstancesRequest{Instances: lbInstanceRefs(vms...)}})
}

func (e *ilbEnv) getGroup(name string) *computepb.InstanceGroup {
	e.t.Helper()
	got, err := e.ig.Get(e.ctx, &computepb.GetInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// tcpCheck creates a global TCP health check on a port.
func (e *ilbEnv) tcpCheck(name string, port int32) string {
	e.t.Helper()
	e.must(e.hc.Insert(e.ctx, &computepb.InsertHealthCheckRequest{Project: lbProject, HealthCheckResource: &computepb.HealthCheck{
		Name: proto.String(name), Type: proto.String("TCP"), TcpHealthCheck: &computepb.TCPHealthCheck{Port: proto.Int32(port)}}}))
	return lbLink("global/healthChecks/" + name)
}

func (e *ilbEnv) insertBackend(b *computepb.BackendService) error {
	op, err := e.bs.Insert(e.ctx, &computepb.InsertRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendServiceResource: b})
	return lbDo(e.ctx, op, err)
}

// backend creates an INTERNAL TCP backend service over the groups.
func (e *ilbEnv) backend(name, check string, groups ...string) string {
	e.t.Helper()
	b := &computepb.BackendService{Name: proto.String(name), LoadBalancingScheme: proto.String("INTERNAL"),
		Protocol: proto.String("TCP"), HealthChecks: []string{check}}
	for _, g := range groups {
		b.Backends = append(b.Backends, &computepb.Backend{Group: proto.String(g)})
	}
	if err := e.insertBackend(b); err != nil {
		e.t.Fatalf("insert backend service %s: %v", name, err)
	}
	return lbLink("regions/" + lbRegion + "/backendServices/" + name)
}

func (e *ilbEnv) getBackend(name string) *computepb.BackendService {
	e.t.Helper()
	got, err := e.bs.Get(e.ctx, &computepb.GetRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

// ilbStack is a group of node-a and node-b, a TCP check and a backend
// service "bs" over them.
func (e *ilbEnv) ilbStack() (group, check, backend string) {
	group = e.group("ig", "node-a", "node-b")
	check = e.tcpCheck("hc", 10256)
	return group, check, e.backend("bs", check, group)
}

// internalRule is an INTERNAL rule to a backend service on ports.
func internalRule(name, backend string, ports ...string) *computepb.ForwardingRule {
	return &computepb.ForwardingRule{Name: proto.String(name), LoadBalancingScheme: proto.String("INTERNAL"),
		BackendService: proto.String(backend), IPProtocol: proto.String("TCP"), Ports: ports}
}
