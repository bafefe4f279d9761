package fakecompute_test

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestLBTargetPoolInsert(t *testing.T) {
	e := newLBEnv(t)
	hc := e.healthCheck("hc")
	// Every reference form a client sends: relative, the custom-endpoint
	// http:// form gcloud builds, and a full https link.
	e.must(e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String("tp"),
			Instances: []string{"zones/us-central1-a/instances/node-a",
				e.ts.URL + "/compute/v1/projects/demo/zones/us-central1-a/instances/node-b",
				lbInstanceLink("node-a")},
			HealthChecks: []string{"global/httpHealthChecks/hc"}}}))
	want := &computepb.TargetPool{Kind: proto.String("compute#targetPool"), Name: proto.String("tp"),
		Region: proto.String(lbLink("regions/" + lbRegion)), SelfLink: proto.String(lbLink("regions/" + lbRegion + "/targetPools/tp")),
		SessionAffinity: proto.String("NONE"), Instances: []string{lbInstanceLink("node-a"), lbInstanceLink("node-b")},
		HealthChecks: []string{hc}}
	got := e.getPool("tp")
	if diff := cmp.Diff(want, got, protocmp.Transform(), protocmp.IgnoreFields(&computepb.TargetPool{}, "id", "creation_timestamp")); diff != "" {
		t.Fatalf("stored pool (-want +got):\n%s", diff)
	}

	// A backup pool with a failover ratio.
	e.must(e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String("primary"), BackupPool: proto.String("tp"),
			FailoverRatio: proto.Float32(0.5), SessionAffinity: proto.String("CLIENT_IP_PROTO")}}))
	if p := e.getPool("primary"); p.GetBackupPool() != got.GetSelfLink() || p.GetFailoverRatio() != 0.5 || p.GetSessionAffinity() != "CLIENT_IP_PROTO" {
		t.Fatalf("primary: %v", p)
	}
	// A pool another one fails over to is in use.
	op, err := e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp"})
	lbWantErr(t, lbDo(e.ctx, op, err), 400, "targetPools/primary")
}

func TestLBTargetPoolInsertErrors(t *testing.T) {
	e := newLBEnv(t)
	e.healthCheck("hc1")
	e.healthCheck("hc2")
	cases := []struct {
		name     string
		tp       *computepb.TargetPool
		code     int
		fragment string
	}{
		{"missing health check", &computepb.TargetPool{HealthChecks: []string{"global/httpHealthChecks/nope"}}, 404, "httpHealthChecks/nope"},
		{"two health checks", &computepb.TargetPool{HealthChecks: []string{"global/httpHealthChecks/hc1", "global/httpHealthChecks/hc2"}}, 400, "at most one"},
		{"non-legacy health check", &computepb.TargetPool{HealthChecks: []string{"global/healthChecks/hc1"}}, 400, "resource.healthChecks[0]"},
		{"bad affinity", &computepb.TargetPool{SessionAffinity: proto.String("GENERATED_COOKIE")}, 400, "sessionAffinity"},
		{"missing instance", &computepb.TargetPool{Instances: []string{"zones/us-central1-a/instances/ghost"}}, 404, "instances/ghost"},
		{"instance of another region", &computepb.TargetPool{Instances: []string{"zones/europe-west1-b/instances/node-a"}}, 400, "region 'us-central1'"},
		{"instance without a zone", &computepb.TargetPool{Instances: []string{"node-a"}}, 400, "resource.instances[0]"},
		{"missing backup pool", &computepb.TargetPool{BackupPool: proto.String("nope"), FailoverRatio: proto.Float32(0.1)}, 404, "targetPools/nope"},
		{"failover without backup", &computepb.TargetPool{FailoverRatio: proto.Float32(0.1)}, 400, "failoverRatio"},
		{"failover above one", &computepb.TargetPool{BackupPool: proto.String("nope"), FailoverRatio: proto.Float32(1.5)}, 400, "failoverRatio"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.tp.Name = proto.String(fmt.Sprintf("bad-%d", i))
			op, err := e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPoolResource: tc.tp})
			lbWantErr(t, lbDo(e.ctx, op, err), tc.code, tc.fragment)
		})
	}
}

func (e *lbEnv) addInstances(pool string, names ...string) error {
	op, err := e.tp.AddInstance(e.ctx, &computepb.AddInstanceTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: pool,
		TargetPoolsAddInstanceRequestResource: &computepb.TargetPoolsAddInstanceRequest{Instances: lbInstanceRefs(names...)}})
	return lbDo(e.ctx, op, err)
}

func (e *lbEnv) removeInstances(pool string, names ...string) error {
	op, err := e.tp.RemoveInstance(e.ctx, &computepb.RemoveInstanceTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: pool,
		TargetPoolsRemoveInstanceRequestResource: &computepb.TargetPoolsRemoveInstanceRequest{Instances: lbInstanceRefs(names...)}})
	return lbDo(e.ctx, op, err)
}

// TestLBTargetPoolMembership runs a story on one pool; each step sees the
// state the previous one left.
func TestLBTargetPoolMembership(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("tp", "node-a")
	steps := []struct {
		name     string
		do       func() error
		code     int
		fragment string
		members  []string
	}{
		{"add a VM", func() error { return e.addInstances("tp", "node-b") }, 0, "", []string{"node-a", "node-b"}},
		{"add a member again", func() error { return e.addInstances("tp", "node-a") }, 0, "", []string{"node-a", "node-b"}},
		{"add a missing VM", func() error { return e.addInstances("tp", "node-c", "ghost") }, 404, "instances/ghost", []string{"node-a", "node-b"}},
		{"remove a VM that is not a member", func() error { return e.removeInstances("tp", "node-a", "node-c") }, 400, "Instance is not currently attached to this target pool", []string{"node-a", "node-b"}},
		{"remove a member", func() error { return e.removeInstances("tp", "node-b") }, 0, "", []string{"node-a"}},
		{"remove from a missing pool", func() error { return e.removeInstances("nope", "node-a") }, 404, "targetPools/nope", []string{"node-a"}},
		{"add nothing", func() error { return e.addInstances("tp") }, 400, "resource.instances", []string{"node-a"}},
	}
	for _, s := range steps {
		err := s.do()
		if s.code == 0 && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.code != 0 {
			lbWantErr(t, err, s.code, s.fragment)
		}
		var want []string
		for _, m := range s.members {
			want = append(want, lbInstanceLink(m))
		}
		if diff := cmp.Diff(want, e.getPool("tp").Instances); diff != "" {
			t.Fatalf("%s: members (-want +got):\n%s", s.name, diff)
		}
	}
}

// TestLBTargetPoolUpdateLimit: at most 1,000 instances per call, checked
// before anything else, through the client the upstream provider uses.
func TestLBTargetPoolUpdateLimit(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("tp")
	refs := make([]*gce.InstanceReference, 1001)
	for i := range refs {
		refs[i] = &gce.InstanceReference{Instance: lbInstanceLink(fmt.Sprintf("vm-%d", i))}
	}
	_, err := e.legacy.TargetPools.AddInstance(lbProject, lbRegion, "tp", &gce.TargetPoolsAddInstanceRequest{Instances: refs}).Context(e.ctx).Do()
	lbWantErr(t, err, 400, "1001 instances")
	_, err = e.legacy.TargetPools.RemoveInstance(lbProject, lbRegion, "tp", &gce.TargetPoolsRemoveInstanceRequest{Instances: refs}).Context(e.ctx).Do()
	lbWantErr(t, err, 400, "1001 instances")
	// 1,000 is fine as far as the limit goes (the VMs do not exist).
	_, err = e.legacy.TargetPools.AddInstance(lbProject, lbRegion, "tp", &gce.TargetPoolsAddInstanceRequest{Instances: refs[:1000]}).Context(e.ctx).Do()
	lbWantErr(t, err, 404, "instances/vm-0")
}

func (e *lbEnv) poolHealthCheck(add bool, pool, hc string) error {
	refs := []*computepb.HealthCheckReference{{HealthCheck: proto.String("global/httpHealthChecks/" + hc)}}
	if add {
		op, err := e.tp.AddHealthCheck(e.ctx, &computepb.AddHealthCheckTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: pool,
			TargetPoolsAddHealthCheckRequestResource: &computepb.TargetPoolsAddHealthCheckRequest{HealthChecks: refs}})
		return lbDo(e.ctx, op, err)
	}
	op, err := e.tp.RemoveHealthCheck(e.ctx, &computepb.RemoveHealthCheckTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: pool,
		TargetPoolsRemoveHealthCheckRequestResource: &computepb.TargetPoolsRemoveHealthCheckRequest{HealthChecks: refs}})
	return lbDo(e.ctx, op, err)
}

func TestLBTargetPoolHealthChecks(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("tp")
	hc1, hc2 := e.healthCheck("hc1"), e.healthCheck("hc2")
	steps := []struct {
		name     string
		add      bool
		hc       string
		code     int
		fragment string
		want     []string
	}{
		{"attach", true, "hc1", 0, "", []string{hc1}},
		{"attach the same again", true, "hc1", 0, "", []string{hc1}},
		{"attach a second", true, "hc2", 400, "at most one health check", []string{hc1}},
		{"detach one not attached", false, "hc2", 400, "Health check is not currently attached", []string{hc1}},
		{"detach", false, "hc1", 0, "", nil},
		{"attach a missing one", true, "nope", 404, "httpHealthChecks/nope", nil},
		{"swap in the other", true, "hc2", 0, "", []string{hc2}},
	}
	for _, s := range steps {
		err := e.poolHealthCheck(s.add, "tp", s.hc)
		if s.code == 0 && err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.code != 0 {
			lbWantErr(t, err, s.code, s.fragment)
		}
		if diff := cmp.Diff(s.want, e.getPool("tp").HealthChecks); diff != "" {
			t.Fatalf("%s: health checks (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestLBTargetPoolGetHealth(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	health := func(vm string) (*computepb.TargetPoolInstanceHealth, error) {
		return e.tp.GetHealth(e.ctx, &computepb.GetHealthTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp",
			InstanceReferenceResource: &computepb.InstanceReference{Instance: proto.String(lbInstanceLink(vm))}})
	}
	h, err := health("node-a")
	if err != nil || len(h.HealthStatus) != 1 || h.HealthStatus[0].GetHealthState() != "HEALTHY" || h.HealthStatus[0].IpAddress != nil {
		t.Fatalf("without a rule: %v %v", h, err)
	}
	ip := e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String(pool)}).GetIPAddress()
	want := &computepb.TargetPoolInstanceHealth{Kind: proto.String("compute#targetPoolInstanceHealth"),
		HealthStatus: []*computepb.HealthStatus{{HealthState: proto.String("HEALTHY"), Instance: proto.String(lbInstanceLink("node-a")), IpAddress: proto.String(ip)}}}
	h, err = health("node-a")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, h, protocmp.Transform()); diff != "" {
		t.Fatalf("health (-want +got):\n%s", diff)
	}
	if err := e.ts.SetInstanceStatus(lbZone, "node-a", fakecompute.StatusTerminated); err != nil {
		t.Fatal(err)
	}
	// The discovery-based client sees the same.
	lh, err := e.legacy.TargetPools.GetHealth(lbProject, lbRegion, "tp", &gce.InstanceReference{Instance: lbInstanceLink("node-a")}).Context(e.ctx).Do()
	if err != nil || len(lh.HealthStatus) != 1 || lh.HealthStatus[0].HealthState != "UNHEALTHY" || lh.HealthStatus[0].IpAddress != ip {
		t.Fatalf("stopped VM: %+v %v", lh, err)
	}
	_, err = health("node-b")
	lbWantErr(t, err, 400, "not currently attached")
	if n := e.ts.Stats().Calls["compute.targetPools.getHealth"]; n != 4 {
		t.Fatalf("getHealth counted %d times", n)
	}
}

func TestLBTargetPoolDelete(t *testing.T) {
	e := newLBEnv(t)
	pool := e.targetPool("tp", "node-a")
	e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String(pool)})
	del := func() error {
		op, err := e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp"})
		return lbDo(e.ctx, op, err)
	}
	lbWantErr(t, del(), 400, "is already being used by 'projects/demo/regions/us-central1/forwardingRules/lb'")
	e.must(e.fr.Delete(e.ctx, &computepb.DeleteForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "lb"}))
	if err := del(); err != nil {
		t.Fatal(err)
	}
	_, err := e.tp.Get(e.ctx, &computepb.GetTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "tp"})
	lbWantErr(t, err, 404, "targetPools/tp")
}

// TestLBInstanceDeletionDetaches: GCE drops a deleted VM from its pools, so a
// later removeInstance answers "not currently attached".
func TestLBInstanceDeletionDetaches(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("tp", "node-a", "node-b")
	if err := e.ts.DeleteInstanceNow(lbZone, "node-a"); err != nil {
		t.Fatal(err)
	}
	e.must(e.inst.Delete(e.ctx, &computepb.DeleteInstanceRequest{Project: lbProject, Zone: lbZone, Instance: "node-b"}))
	if got := e.getPool("tp").Instances; len(got) != 0 {
		t.Fatalf("pool still holds %v", got)
	}
	lbWantErr(t, e.removeInstances("tp", "node-b"), 400, "not currently attached")
}

func TestLBTargetPoolQuota(t *testing.T) {
	e := newLBEnv(t)
	e.ts.SetQuota(fakecompute.QuotaTargetPools, 1)
	e.targetPool("one")
	op, err := e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String("two")}})
	if err != nil {
		t.Fatalf("refused synchronously: %v", err)
	}
	lbWantErr(t, op.Wait(e.ctx), 403, "TARGET_POOLS")
}
