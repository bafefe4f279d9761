package fakecompute_test

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Legacy HTTP health checks exist only in the discovery-based client.

func (e *lbEnv) getHealthCheck(name string) *gce.HttpHealthCheck {
	e.t.Helper()
	hc, err := e.legacy.HttpHealthChecks.Get(lbProject, name).Context(e.ctx).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	return hc
}

var ignoreServerFields = cmpopts.IgnoreFields(gce.HttpHealthCheck{}, "Id", "CreationTimestamp", "ServerResponse")

func TestLBHealthCheckLifecycle(t *testing.T) {
	e := newLBEnv(t)
	link := e.healthCheck("k8s-node")
	want := &gce.HttpHealthCheck{Kind: "compute#httpHealthCheck", Name: "k8s-node", SelfLink: link, Port: 80, RequestPath: "/",
		CheckIntervalSec: 5, TimeoutSec: 5, HealthyThreshold: 2, UnhealthyThreshold: 2}
	if diff := cmp.Diff(want, e.getHealthCheck("k8s-node"), ignoreServerFields); diff != "" {
		t.Fatalf("defaults (-want +got):\n%s", diff)
	}

	// Update (PUT) as the upstream provider sends it: every field given.
	upd := &gce.HttpHealthCheck{Name: "k8s-node", Port: 10256, RequestPath: "/healthz", CheckIntervalSec: 8, TimeoutSec: 1,
		HealthyThreshold: 1, UnhealthyThreshold: 3, Description: `{"kubernetes.io/service-name":"k8s-node"}`}
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Update(lbProject, "k8s-node", upd).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	want = &gce.HttpHealthCheck{Kind: "compute#httpHealthCheck", Name: "k8s-node", SelfLink: link, Port: 10256, RequestPath: "/healthz",
		CheckIntervalSec: 8, TimeoutSec: 1, HealthyThreshold: 1, UnhealthyThreshold: 3, Description: upd.Description}
	if diff := cmp.Diff(want, e.getHealthCheck("k8s-node"), ignoreServerFields); diff != "" {
		t.Fatalf("after update (-want +got):\n%s", diff)
	}

	// Patch changes only what it names.
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Patch(lbProject, "k8s-node", &gce.HttpHealthCheck{UnhealthyThreshold: 5}).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	want.UnhealthyThreshold = 5
	if diff := cmp.Diff(want, e.getHealthCheck("k8s-node"), ignoreServerFields); diff != "" {
		t.Fatalf("after patch (-want +got):\n%s", diff)
	}

	// An update that leaves fields out resets them to the defaults.
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Update(lbProject, "k8s-node", &gce.HttpHealthCheck{Name: "k8s-node"}).Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	if got := e.getHealthCheck("k8s-node"); got.Port != 80 || got.RequestPath != "/" || got.UnhealthyThreshold != 2 || got.Description != "" {
		t.Fatalf("after bare update: %+v", got)
	}

	list, err := e.legacy.HttpHealthChecks.List(lbProject).Context(e.ctx).Do()
	if err != nil || len(list.Items) != 1 || list.Kind != "compute#httpHealthCheckList" {
		t.Fatalf("list: %v %+v", err, list)
	}
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Delete(lbProject, "k8s-node").Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
	_, err = e.legacy.HttpHealthChecks.Get(lbProject, "k8s-node").Context(e.ctx).Do()
	lbWantErr(t, err, 404, "global/httpHealthChecks/k8s-node")
}

func TestLBHealthCheckValidation(t *testing.T) {
	e := newLBEnv(t)
	cases := []struct {
		name     string
		hc       gce.HttpHealthCheck
		fragment string
	}{
		{"timeout above interval", gce.HttpHealthCheck{TimeoutSec: 10, CheckIntervalSec: 5}, "resource.timeoutSec"},
		{"timeout above default interval", gce.HttpHealthCheck{TimeoutSec: 6}, "resource.timeoutSec"},
		{"port too high", gce.HttpHealthCheck{Port: 70000}, "resource.port"},
		{"explicit port zero", gce.HttpHealthCheck{ForceSendFields: []string{"Port"}}, "resource.port"},
		{"negative threshold", gce.HttpHealthCheck{HealthyThreshold: -1}, "resource.healthyThreshold"},
		{"relative path", gce.HttpHealthCheck{RequestPath: "healthz"}, "resource.requestPath"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.hc.Name = fmt.Sprintf("bad-%d", i)
			lbWantErr(t, e.legacyDo(e.legacy.HttpHealthChecks.Insert(lbProject, &tc.hc).Context(e.ctx).Do()), 400, tc.fragment)
		})
	}
	e.healthCheck("hc")
	lbWantErr(t, e.legacyDo(e.legacy.HttpHealthChecks.Insert(lbProject, &gce.HttpHealthCheck{Name: "hc"}).Context(e.ctx).Do()), 409, "already exists")
	lbWantErr(t, e.legacyDo(e.legacy.HttpHealthChecks.Patch(lbProject, "hc", &gce.HttpHealthCheck{TimeoutSec: 30}).Context(e.ctx).Do()), 400, "timeoutSec")
	lbWantErr(t, e.legacyDo(e.legacy.HttpHealthChecks.Update(lbProject, "hc", &gce.HttpHealthCheck{Name: "other"}).Context(e.ctx).Do()), 400, "resource.name")
	lbWantErr(t, e.legacyDo(e.legacy.HttpHealthChecks.Patch(lbProject, "nope", &gce.HttpHealthCheck{Port: 81}).Context(e.ctx).Do()), 404, "nope")
}

// TestLBHealthCheckInUse: a check a pool uses cannot go; the message is
// the one the upstream provider matches ("being used by").
func TestLBHealthCheckInUse(t *testing.T) {
	e := newLBEnv(t)
	link := e.healthCheck("shared")
	e.must(e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String("tp"), HealthChecks: []string{link}}}))
	err := e.legacyDo(e.legacy.HttpHealthChecks.Delete(lbProject, "shared").Context(e.ctx).Do())
	lbWantErr(t, err, 400, "is already being used by 'projects/demo/regions/us-central1/targetPools/tp'")
	e.must(e.tp.RemoveHealthCheck(e.ctx, &computepb.RemoveHealthCheckTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp",
		TargetPoolsRemoveHealthCheckRequestResource: &computepb.TargetPoolsRemoveHealthCheckRequest{
			HealthChecks: []*computepb.HealthCheckReference{{HealthCheck: proto.String(link)}}}}))
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Delete(lbProject, "shared").Context(e.ctx).Do()); err != nil {
		t.Fatal(err)
	}
}

func TestLBHealthCheckQuota(t *testing.T) {
	e := newLBEnv(t)
	e.ts.SetQuota(fakecompute.QuotaHealthChecks, 1)
	e.healthCheck("one")
	op, err := e.legacy.HttpHealthChecks.Insert(lbProject, &gce.HttpHealthCheck{Name: "two"}).Context(e.ctx).Do()
	if err != nil {
		t.Fatalf("refused synchronously: %v", err)
	}
	lbWantErr(t, e.legacyDo(op, nil), 403, "HEALTH_CHECKS")
}
