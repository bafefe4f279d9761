package fakecompute_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// permsOf is the permission trace of one client, method -> permissions.
func permsOf(ts *fakecompute.TestServer, client string) map[string][]string {
	out := map[string][]string{}
	for _, u := range ts.PermissionTrace() {
		if strings.HasPrefix(u.Client, client) {
			out[u.MethodID] = u.Perms
		}
	}
	return out
}

// The trace records what GCE checks per call, request fields included,
// per client (User-Agent), through the real clients.
func TestPermissionTraceOfALoadBalancer(t *testing.T) {
	e := newLBEnv(t)
	ua := option.WithUserAgent("perm-test/1.0")
	opts := append(e.ts.ClientOptions(), ua)
	addr, err := compute.NewAddressesRESTClient(e.ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer addr.Close()
	tp, err := compute.NewTargetPoolsRESTClient(e.ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Close()
	fr, err := compute.NewForwardingRulesRESTClient(e.ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	legacy, err := gce.NewService(e.ctx, append(e.ts.LegacyClientOptions(), ua)...)
	if err != nil {
		t.Fatal(err)
	}

	e.must(addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion,
		AddressResource: &computepb.Address{Name: proto.String("a1")}}))
	a, err := addr.Get(e.ctx, &computepb.GetAddressRequest{Project: lbProject, Region: lbRegion, Address: "a1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.legacyDo(legacy.HttpHealthChecks.Insert(lbProject, &gce.HttpHealthCheck{Name: "hc1", Port: 10256, RequestPath: "/healthz"}).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	e.must(tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPoolResource: &computepb.TargetPool{
		Name: proto.String("tp1"), Instances: []string{lbLink("zones/" + lbZone + "/instances/node-a")},
		HealthChecks: []string{lbLink("global/httpHealthChecks/hc1")}}}))
	e.must(tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String("tp2")}}))
	e.must(fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRuleResource: &computepb.ForwardingRule{
		Name: proto.String("fr1"), IPAddress: a.Address, IPProtocol: proto.String("TCP"), PortRange: proto.String("80"),
		Target: proto.String(lbLink("regions/" + lbRegion + "/targetPools/tp1"))}}))
	e.must(fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRuleResource: &computepb.ForwardingRule{
		Name: proto.String("fr2"), IPProtocol: proto.String("UDP"), PortRange: proto.String("53"),
		Target: proto.String(lbLink("regions/" + lbRegion + "/targetPools/tp2"))}}))

	got := permsOf(e.ts, "perm-test/1.0")
	want := map[string][]string{
		"compute.addresses.insert":        {"compute.addresses.create"},
		"compute.addresses.get":           {"compute.addresses.get"},
		"compute.httpHealthChecks.insert": {"compute.httpHealthChecks.create"},
		"compute.targetPools.insert":      {"compute.httpHealthChecks.useReadOnly", "compute.instances.use", "compute.targetPools.create"},
		"compute.forwardingRules.insert":  {"compute.addresses.use", "compute.forwardingRules.create", "compute.targetPools.use"},
		"compute.regionOperations.get":    {"compute.regionOperations.get"},
		"compute.globalOperations.get":    {"compute.globalOperations.get"},
		"compute.regionOperations.wait":   {"compute.regionOperations.get"},
		"compute.globalOperations.wait":   {"compute.globalOperations.get"},
	}
	// Operations are waited on by get or wait depending on the client: keep
	// only those this test saw, but all of them must map to .get.
	for k := range want {
		if strings.Contains(k, "Operations.") {
			if _, seen := got[k]; !seen {
				delete(want, k)
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("permissions of perm-test (-want +got):\n%s", diff)
	}
	// The newLBEnv setup's own calls are another client's.
	for _, u := range e.ts.PermissionTrace() {
		if u.Unknown {
			t.Errorf("%s by %q has no entry in the permission table", u.MethodID, u.Client)
		}
	}

	// The admin API serves the same trace, and resets it.
	resp, err := http.Get(e.ts.URL + "/_internal/permissions")
	if err != nil {
		t.Fatal(err)
	}
	var served []fakecompute.PermissionUse
	err = json.NewDecoder(resp.Body).Decode(&served)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(e.ts.PermissionTrace(), served); diff != "" {
		t.Errorf("GET /_internal/permissions (-want +got):\n%s", diff)
	}
	resp, err = http.Post(e.ts.URL+"/_internal/permissions/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if n := len(e.ts.PermissionTrace()); n != 0 {
		t.Errorf("%d entries after reset", n)
	}
}

// A route changes the network's policy: GCE checks updatePolicy too.
func TestPermissionTraceOfRoutes(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	rc, err := compute.NewRoutesRESTClient(e.ctx, append(e.ts.ClientOptions(), option.WithUserAgent("gce-cloud-controller-manager/v0 x"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	op, err := rc.Insert(e.ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
		Name: proto.String("r1"), Network: proto.String(base + "projects/demo/global/networks/default"),
		DestRange: proto.String("10.64.0.0/24"), NextHopIp: proto.String("10.128.0.9")}})
	if err == nil {
		err = op.Wait(e.ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	got := permsOf(e.ts, "gce-cloud-controller-manager/")
	if diff := cmp.Diff([]string{"compute.networks.updatePolicy", "compute.routes.create"}, got["compute.routes.insert"]); diff != "" {
		t.Errorf("routes.insert (-want +got):\n%s", diff)
	}
}

// An internal load balancer's pieces: a backend service uses its groups
// and reads its check; adding VMs to a group uses them.
func TestPermissionTraceOfAnInternalLoadBalancer(t *testing.T) {
	e := newILBEnv(t)
	e.ilbStack()
	got := map[string][]string{}
	for _, u := range e.ts.PermissionTrace() {
		if u.Unknown {
			t.Errorf("%s has no entry in the permission table", u.MethodID)
		}
		got[u.MethodID] = u.Perms
	}
	for m, want := range map[string][]string{
		"compute.instanceGroups.insert":        {"compute.instanceGroups.create"},
		"compute.instanceGroups.addInstances":  {"compute.instanceGroups.update", "compute.instances.use"},
		"compute.healthChecks.insert":          {"compute.healthChecks.create"},
		"compute.regionBackendServices.insert": {"compute.healthChecks.useReadOnly", "compute.instanceGroups.use", "compute.regionBackendServices.create"},
	} {
		if diff := cmp.Diff(want, got[m]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", m, diff)
		}
	}
}
