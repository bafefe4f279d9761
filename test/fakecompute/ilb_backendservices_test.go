package fakecompute_test

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
)

func TestILBHealthChecks(t *testing.T) {
	e := newILBEnv(t)
	link := e.tcpCheck("hc", 10256)
	got, err := e.hc.Get(e.ctx, &computepb.GetHealthCheckRequest{Project: lbProject, HealthCheck: "hc"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetSelfLink() != link || got.GetCheckIntervalSec() != 5 || got.GetTimeoutSec() != 5 || got.GetHealthyThreshold() != 2 ||
		got.GetTcpHealthCheck().GetPort() != 10256 || got.GetTcpHealthCheck().GetPortSpecification() != "USE_FIXED_PORT" {
		t.Fatalf("defaults: %v", got)
	}
	// update (PUT) to HTTP through the discovery-based client: the TCP block goes.
	upd := &gce.HealthCheck{Name: "hc", Type: "HTTP", HttpHealthCheck: &gce.HTTPHealthCheck{Port: 10256, RequestPath: "/healthz"}, CheckIntervalSec: 8, TimeoutSec: 1}
	if err := e.legacyDo(e.legacy.HealthChecks.Update(lbProject, "hc", upd).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	hc, err := e.legacy.HealthChecks.Get(lbProject, "hc").Context(e.ctx).Do()
	if err != nil || hc.Type != "HTTP" || hc.TcpHealthCheck != nil || hc.HttpHealthCheck.RequestPath != "/healthz" || hc.CheckIntervalSec != 8 {
		t.Fatalf("after update: %v %+v", err, hc)
	}
	// patch changes what it names.
	e.must(e.hc.Patch(e.ctx, &computepb.PatchHealthCheckRequest{Project: lbProject, HealthCheck: "hc",
		HealthCheckResource: &computepb.HealthCheck{UnhealthyThreshold: proto.Int32(4)}}))
	if hc, _ := e.hc.Get(e.ctx, &computepb.GetHealthCheckRequest{Project: lbProject, HealthCheck: "hc"}); hc.GetUnhealthyThreshold() != 4 || hc.GetHttpHealthCheck().GetPort() != 10256 {
		t.Fatalf("after patch: %v", hc)
	}
	// A regional check lives beside the global one with the same name.
	e.must(e.rhc.Insert(e.ctx, &computepb.InsertRegionHealthCheckRequest{Project: lbProject, Region: lbRegion,
		HealthCheckResource: &computepb.HealthCheck{Name: proto.String("hc"), Type: proto.String("HTTPS")}}))
	rhc, err := e.rhc.Get(e.ctx, &computepb.GetRegionHealthCheckRequest{Project: lbProject, Region: lbRegion, HealthCheck: "hc"})
	if err != nil || rhc.GetHttpsHealthCheck().GetPort() != 443 || rhc.GetRegion() != lbLink("regions/"+lbRegion) {
		t.Fatalf("regional: %v %v", err, rhc)
	}

	bad := []struct {
		name     string
		hc       *computepb.HealthCheck
		code     int
		fragment string
	}{
		{"no type", &computepb.HealthCheck{}, 400, "resource.type"},
		{"unserved type", &computepb.HealthCheck{Type: proto.String("GRPC")}, 400, "resource.type"},
		{"block of another type", &computepb.HealthCheck{Type: proto.String("TCP"), HttpHealthCheck: &computepb.HTTPHealthCheck{}}, 400, "HTTP block"},
		{"port out of range", &computepb.HealthCheck{Type: proto.String("TCP"), TcpHealthCheck: &computepb.TCPHealthCheck{Port: proto.Int32(70000)}}, 400, "tcpHealthCheck.port"},
		{"relative path", &computepb.HealthCheck{Type: proto.String("HTTP"), HttpHealthCheck: &computepb.HTTPHealthCheck{RequestPath: proto.String("healthz")}}, 400, "requestPath"},
		{"timeout above interval", &computepb.HealthCheck{Type: proto.String("TCP"), CheckIntervalSec: proto.Int32(2), TimeoutSec: proto.Int32(3)}, 400, "timeoutSec"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			tc.hc.Name = proto.String("bad")
			lbWantErr(t, e.do(e.hc.Insert(e.ctx, &computepb.InsertHealthCheckRequest{Project: lbProject, HealthCheckResource: tc.hc})), tc.code, tc.fragment)
		})
	}
	e.must(e.hc.Delete(e.ctx, &computepb.DeleteHealthCheckRequest{Project: lbProject, HealthCheck: "hc"}))
	_, err = e.hc.Get(e.ctx, &computepb.GetHealthCheckRequest{Project: lbProject, HealthCheck: "hc"})
	lbWantErr(t, err, 404, "global/healthChecks/hc")
}

func TestILBBackendServiceLifecycle(t *testing.T) {
	e := newILBEnv(t)
	group, check, link := e.ilbStack()
	bs := e.getBackend("bs")
	if bs.GetSelfLink() != link || bs.GetProtocol() != "TCP" || bs.GetSessionAffinity() != "NONE" || bs.GetTimeoutSec() != 30 ||
		len(bs.GetBackends()) != 1 || bs.GetBackends()[0].GetGroup() != group || bs.GetBackends()[0].GetBalancingMode() != "CONNECTION" ||
		len(bs.GetHealthChecks()) != 1 || bs.GetHealthChecks()[0] != check || bs.GetFingerprint() == "" {
		t.Fatalf("created: %v", bs)
	}
	// patch: session affinity and draining, with the current fingerprint.
	fp := bs.GetFingerprint()
	patch := func(fp string, b *computepb.BackendService) error {
		b.Fingerprint = proto.String(fp)
		return e.do(e.bs.Patch(e.ctx, &computepb.PatchRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs", BackendServiceResource: b}))
	}
	if err := patch(fp, &computepb.BackendService{SessionAffinity: proto.String("CLIENT_IP"),
		ConnectionDraining: &computepb.ConnectionDraining{DrainingTimeoutSec: proto.Int32(300)}}); err != nil {
		t.Fatal(err)
	}
	bs = e.getBackend("bs")
	if bs.GetSessionAffinity() != "CLIENT_IP" || bs.GetConnectionDraining().GetDrainingTimeoutSec() != 300 || len(bs.GetBackends()) != 1 {
		t.Fatalf("after patch: %v", bs)
	}
	lbWantErr(t, patch(fp, &computepb.BackendService{SessionAffinity: proto.String("NONE")}), 412, "fingerprint")

	// update (PUT) through the discovery-based client swaps the health check.
	e.tcpCheck("hc2", 8080)
	cur, err := e.legacy.RegionBackendServices.Get(lbProject, lbRegion, "bs").Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	cur.HealthChecks = []string{lbLink("global/healthChecks/hc2")}
	if err := e.legacyDo(e.legacy.RegionBackendServices.Update(lbProject, lbRegion, "bs", cur).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	if got := e.getBackend("bs").GetHealthChecks(); len(got) != 1 || got[0] != lbLink("global/healthChecks/hc2") {
		t.Fatalf("after update: checks %v", got)
	}
	// The first check is free now; the second is in use.
	e.must(e.hc.Delete(e.ctx, &computepb.DeleteHealthCheckRequest{Project: lbProject, HealthCheck: "hc"}))
	lbWantErr(t, e.do(e.hc.Delete(e.ctx, &computepb.DeleteHealthCheckRequest{Project: lbProject, HealthCheck: "hc2"})), 400, "backendServices/bs")

	// getHealth: one status per member; HEALTHY while RUNNING.
	if err := e.ts.SetInstanceStatus(lbZone, "node-b", "TERMINATED"); err != nil {
		t.Fatal(err)
	}
	h, err := e.bs.GetHealth(e.ctx, &computepb.GetHealthRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs",
		ResourceGroupReferenceResource: &computepb.ResourceGroupReference{Group: proto.String(group)}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, s := range h.GetHealthStatus() {
		states[s.GetInstance()] = s.GetHealthState()
	}
	if states[lbInstanceLink("node-a")] != "HEALTHY" || states[lbInstanceLink("node-b")] != "UNHEALTHY" || len(states) != 2 {
		t.Fatalf("health: %v", states)
	}
	list, err := e.legacy.RegionBackendServices.List(lbProject, lbRegion).Context(e.ctx).Do()
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v %v", err, list)
	}
	e.must(e.bs.Delete(e.ctx, &computepb.DeleteRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs"}))
	// Nothing uses the group and the check any more.
	e.must(e.ig.Delete(e.ctx, &computepb.DeleteInstanceGroupRequest{Project: lbProject, Zone: lbZone, InstanceGroup: "ig"}))
	e.must(e.hc.Delete(e.ctx, &computepb.DeleteHealthCheckRequest{Project: lbProject, HealthCheck: "hc2"}))
}

func TestILBBackendServiceErrors(t *testing.T) {
	e := newILBEnv(t)
	group, check, _ := e.ilbStack()
	e.healthCheck("legacy")
	base := func() *computepb.BackendService {
		return &computepb.BackendService{LoadBalancingScheme: proto.String("INTERNAL"), HealthChecks: []string{check},
			Backends: []*computepb.Backend{{Group: proto.String(group)}}}
	}
	with := func(f func(b *computepb.BackendService)) *computepb.BackendService { b := base(); f(b); return b }
	cases := []struct {
		name     string
		b        *computepb.BackendService
		code     int
		fragment string
	}{
		{"no scheme", with(func(b *computepb.BackendService) { b.LoadBalancingScheme = nil }), 400, "loadBalancingScheme"},
		{"external scheme", with(func(b *computepb.BackendService) { b.LoadBalancingScheme = proto.String("EXTERNAL") }), 400, "loadBalancingScheme"},
		{"HTTP protocol", with(func(b *computepb.BackendService) { b.Protocol = proto.String("HTTP") }), 400, "resource.protocol"},
		{"bad affinity", with(func(b *computepb.BackendService) { b.SessionAffinity = proto.String("COOKIE") }), 400, "sessionAffinity"},
		{"no health check", with(func(b *computepb.BackendService) { b.HealthChecks = nil }), 400, "needs exactly one"},
		{"legacy health check", with(func(b *computepb.BackendService) { b.HealthChecks = []string{lbLink("global/httpHealthChecks/legacy")} }), 400, "Legacy"},
		{"missing health check", with(func(b *computepb.BackendService) { b.HealthChecks = []string{"global/healthChecks/nope"} }), 404, "healthChecks/nope"},
		{"check of another region", with(func(b *computepb.BackendService) { b.HealthChecks = []string{"regions/europe-west1/healthChecks/x"} }), 400, "global or in region"},
		{"missing group", with(func(b *computepb.BackendService) {
			b.Backends[0].Group = proto.String("zones/" + lbZone + "/instanceGroups/nope")
		}), 404, "instanceGroups/nope"},
		{"duplicate group", with(func(b *computepb.BackendService) {
			b.Backends = append(b.Backends, &computepb.Backend{Group: proto.String(group)})
		}), 400, "Duplicate"},
		{"rate balancing", with(func(b *computepb.BackendService) { b.Backends[0].BalancingMode = proto.String("RATE") }), 400, "CONNECTION"},
		{"draining too long", with(func(b *computepb.BackendService) {
			b.ConnectionDraining = &computepb.ConnectionDraining{DrainingTimeoutSec: proto.Int32(4000)}
		}), 400, "drainingTimeoutSec"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.b.Name = proto.String("bad")
			lbWantErr(t, e.insertBackend(tc.b), tc.code, tc.fragment)
		})
	}
	lbWantErr(t, e.insertBackend(with(func(b *computepb.BackendService) { b.Name = proto.String("bs") })), 409, "already exists")
	// A rule sends TCP to bs: bs cannot turn UDP, nor be deleted.
	e.rule(internalRule("fr", lbLink("regions/"+lbRegion+"/backendServices/bs"), "80"))
	cur := e.getBackend("bs")
	cur.Protocol = proto.String("UDP")
	lbWantErr(t, e.do(e.bs.Update(e.ctx, &computepb.UpdateRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs", BackendServiceResource: cur})), 400, "forwardingRules/fr")
	lbWantErr(t, e.do(e.bs.Delete(e.ctx, &computepb.DeleteRegionBackendServiceRequest{Project: lbProject, Region: lbRegion, BackendService: "bs"})), 400, "forwardingRules/fr")
}
