package fakecompute_test

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
)

// TestLBAddressSetLabels: labels on insert and through setLabels (apiv1),
// guarded by the label fingerprint; refused requests change nothing.
func TestLBAddressSetLabels(t *testing.T) {
	e := newLBEnv(t)
	a := e.address("ip", &computepb.Address{Labels: map[string]string{"env": "prod"}})
	if diff := cmp.Diff(map[string]string{"env": "prod"}, a.GetLabels()); diff != "" || a.GetLabelFingerprint() == "42WmSpB8rSM=" {
		t.Fatalf("inserted labels %v fingerprint %q (-want +got)\n%s", a.GetLabels(), a.GetLabelFingerprint(), diff)
	}
	set := func(fp string, labels map[string]string) error {
		op, err := e.addr.SetLabels(e.ctx, &computepb.SetLabelsAddressRequest{Project: lbProject, Region: lbRegion, Resource: "ip",
			RegionSetLabelsRequestResource: &computepb.RegionSetLabelsRequest{LabelFingerprint: proto.String(fp), Labels: labels}})
		return lbDo(e.ctx, op, err)
	}
	if err := set(a.GetLabelFingerprint(), map[string]string{"env": "dev", "team": "net"}); err != nil {
		t.Fatal(err)
	}
	b := e.getAddress("ip")
	if diff := cmp.Diff(map[string]string{"env": "dev", "team": "net"}, b.GetLabels()); diff != "" || b.GetLabelFingerprint() == a.GetLabelFingerprint() {
		t.Fatalf("after setLabels: %v %q (-want +got)\n%s", b.GetLabels(), b.GetLabelFingerprint(), diff)
	}
	// The old fingerprint is stale now.
	lbWantErr(t, set(a.GetLabelFingerprint(), map[string]string{"x": "y"}), 412, "fingerprint")
	// Bad input names the field; a missing fingerprint is as stale as an old one.
	lbWantErr(t, set(b.GetLabelFingerprint(), map[string]string{"Env": "x"}), 400, "resource.labels.Env")
	lbWantErr(t, set(b.GetLabelFingerprint(), map[string]string{"env": "Prod"}), 400, "resource.labels.env")
	lbWantErr(t, set("", map[string]string{"env": "x"}), 412, "fingerprint")
	if got := e.getAddress("ip"); !proto.Equal(got, b) {
		t.Fatalf("a refused setLabels changed the address:\n%v\nwas\n%v", got, b)
	}
	// The fingerprint follows the content: the first labels again give the
	// first fingerprint; no labels give GCE's empty one.
	if err := set(b.GetLabelFingerprint(), map[string]string{"env": "prod"}); err != nil {
		t.Fatal(err)
	}
	c := e.getAddress("ip")
	if c.GetLabelFingerprint() != a.GetLabelFingerprint() {
		t.Fatalf("fingerprint of the same labels: %q, first %q", c.GetLabelFingerprint(), a.GetLabelFingerprint())
	}
	if err := set(c.GetLabelFingerprint(), nil); err != nil {
		t.Fatal(err)
	}
	if d := e.getAddress("ip"); len(d.GetLabels()) != 0 || d.GetLabelFingerprint() != "42WmSpB8rSM=" {
		t.Fatalf("labels cleared: %v %q", d.GetLabels(), d.GetLabelFingerprint())
	}
	lbWantErr(t, func() error {
		op, err := e.addr.SetLabels(e.ctx, &computepb.SetLabelsAddressRequest{Project: lbProject, Region: lbRegion, Resource: "nope",
			RegionSetLabelsRequestResource: &computepb.RegionSetLabelsRequest{LabelFingerprint: proto.String("x")}})
		return lbDo(e.ctx, op, err)
	}(), 404, "addresses/nope")
	// Bad labels on insert: 400, nothing made.
	op, err := e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion,
		AddressResource: &computepb.Address{Name: proto.String("bad"), Labels: map[string]string{"1st": "x"}}})
	lbWantErr(t, lbDo(e.ctx, op, err), 400, "resource.labels.1st")
	if _, err := e.addr.Get(e.ctx, &computepb.GetAddressRequest{Project: lbProject, Region: lbRegion, Address: "bad"}); lbCode(err) != 404 {
		t.Fatalf("a refused insert made an address: %v", err)
	}
}

// TestLBForwardingRuleSetLabels: the same verb on forwarding rules, through
// the discovery-based client terraform's provider and the upstream provider use.
func TestLBForwardingRuleSetLabels(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("pool", "node-a")
	r := e.rule(&computepb.ForwardingRule{Name: proto.String("lb"), Target: proto.String("regions/us-central1/targetPools/pool"),
		PortRange: proto.String("80"), Labels: map[string]string{"app": "web"}})
	set := func(fp string, labels map[string]string) error {
		return e.legacyDo(e.legacy.ForwardingRules.SetLabels(lbProject, lbRegion, "lb",
			&gce.RegionSetLabelsRequest{LabelFingerprint: fp, Labels: labels}).Context(e.ctx).Do())
	}
	if err := set(r.GetLabelFingerprint(), map[string]string{"app": "api"}); err != nil {
		t.Fatal(err)
	}
	after := e.getRule("lb")
	if diff := cmp.Diff(map[string]string{"app": "api"}, after.GetLabels()); diff != "" {
		t.Fatalf("labels (-want +got)\n%s", diff)
	}
	if after.GetIPAddress() != r.GetIPAddress() || after.GetTarget() != r.GetTarget() || after.GetLabelFingerprint() == r.GetLabelFingerprint() {
		t.Fatalf("setLabels changed more or less than the labels: %v, was %v", after, r)
	}
	lbWantErr(t, set(r.GetLabelFingerprint(), nil), 412, "fingerprint")
	too := map[string]string{}
	for i := 0; i < 65; i++ {
		too[string(rune('a'+i%26))+string(rune('a'+i/26))] = ""
	}
	lbWantErr(t, set(after.GetLabelFingerprint(), too), 400, "at most 64")
	if got := e.getRule("lb"); !proto.Equal(got, after) {
		t.Fatalf("a refused setLabels changed the rule")
	}
}

// TestLBTargetPoolSetBackup: setBackup sets and removes a backup pool and
// its failover ratio; the backup is in use while it backs a pool.
func TestLBTargetPoolSetBackup(t *testing.T) {
	e := newLBEnv(t)
	e.targetPool("main", "node-a")
	backup := e.targetPool("spare", "node-b")
	setBackup := func(pool, target string, ratio *float32) error {
		op, err := e.tp.SetBackup(e.ctx, &computepb.SetBackupTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: pool,
			FailoverRatio: ratio, TargetReferenceResource: &computepb.TargetReference{Target: proto.String(target)}})
		return lbDo(e.ctx, op, err)
	}
	if err := setBackup("main", "regions/us-central1/targetPools/spare", proto.Float32(0.25)); err != nil {
		t.Fatal(err)
	}
	p := e.getPool("main")
	if p.GetBackupPool() != backup || p.GetFailoverRatio() != 0.25 {
		t.Fatalf("backup %q ratio %v", p.GetBackupPool(), p.GetFailoverRatio())
	}
	// The backup pool is in use now.
	op, err := e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "spare"})
	lbWantErr(t, lbDo(e.ctx, op, err), 400, "already being used")
	// Bad input: nothing changes.
	lbWantErr(t, setBackup("main", "regions/us-central1/targetPools/ghost", nil), 404, "targetPools/ghost")
	lbWantErr(t, setBackup("main", "regions/us-central1/targetPools/main", nil), 400, "its own backup")
	lbWantErr(t, setBackup("main", "regions/europe-west1/targetPools/spare", nil), 400, "resource.target")
	lbWantErr(t, setBackup("main", backup, proto.Float32(2)), 400, "failoverRatio")
	lbWantErr(t, setBackup("nope", backup, nil), 404, "targetPools/nope")
	if got := e.getPool("main"); !proto.Equal(got, p) {
		t.Fatalf("a refused setBackup changed the pool:\n%v\nwas\n%v", got, p)
	}
	// An empty target removes the backup (terraform sends that when
	// backup_pool is unset); the ratio stays unless given.
	if err := setBackup("main", "", nil); err != nil {
		t.Fatal(err)
	}
	if p := e.getPool("main"); p.GetBackupPool() != "" || p.GetFailoverRatio() != 0.25 {
		t.Fatalf("after removing the backup: %q %v", p.GetBackupPool(), p.GetFailoverRatio())
	}
	e.must(e.tp.Delete(e.ctx, &computepb.DeleteTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: "spare"}))
}
