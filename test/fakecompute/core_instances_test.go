package fakecompute_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// vmView is what the tests expect of an instance as terraform, gcloud and
// the CCM read it; fingerprints are opaque, so only their presence counts.
type vmView struct {
	Name, Status, MachineType, Zone, SelfLink string
	Network, Subnetwork, NetworkIP            string
	AccessConfig                              string // name/type/tier
	PublicNatIP                               bool
	Tags                                      []string
	Fingerprints                              [4]bool // instance, tags, metadata, labels
	DiskSource, DeviceName                    string
	Boot, AutoDelete                          bool
	CanIPForward                              bool
}

func viewOf(i *computepb.Instance) vmView {
	v := vmView{Name: i.GetName(), Status: i.GetStatus(), MachineType: i.GetMachineType(), Zone: i.GetZone(),
		SelfLink: i.GetSelfLink(), Tags: i.GetTags().GetItems(), CanIPForward: i.GetCanIpForward(),
		Fingerprints: [4]bool{i.GetFingerprint() != "", i.GetTags().GetFingerprint() != "",
			i.GetMetadata().GetFingerprint() != "", i.GetLabelFingerprint() != ""}}
	if nis := i.GetNetworkInterfaces(); len(nis) > 0 {
		ni := nis[0]
		v.Network, v.Subnetwork, v.NetworkIP = ni.GetNetwork(), ni.GetSubnetwork(), ni.GetNetworkIP()
		if acs := ni.GetAccessConfigs(); len(acs) > 0 {
			ac := acs[0]
			v.AccessConfig = ac.GetName() + "/" + ac.GetType() + "/" + ac.GetNetworkTier()
			a, err := netip.ParseAddr(ac.GetNatIP())
			v.PublicNatIP = err == nil && a.Is4() && !a.IsPrivate() && !a.IsLoopback()
		}
	}
	if ds := i.GetDisks(); len(ds) > 0 {
		v.DiskSource, v.DeviceName, v.Boot, v.AutoDelete = ds[0].GetSource(), ds[0].GetDeviceName(), ds[0].GetBoot(), ds[0].GetAutoDelete()
	}
	return v
}

// TestInstanceInsertIsRealistic inserts a VM as terraform does and checks
// the fields clients depend on, then its boot disk, list and delete.
func TestInstanceInsertIsRealistic(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	op, err := e.instances.Insert(e.ctx, &computepb.InsertInstanceRequest{Project: project, Zone: zoneB, InstanceResource: &computepb.Instance{
		Name:         proto.String("node-a"),
		MachineType:  proto.String("projects/demo/zones/us-central1-b/machineTypes/e2-small"),
		CanIpForward: proto.Bool(true),
		Tags:         &computepb.Tags{Items: []string{"k8s-node"}},
		Disks: []*computepb.AttachedDisk{{Boot: proto.Bool(true), AutoDelete: proto.Bool(true),
			InitializeParams: &computepb.AttachedDiskInitializeParams{SourceImage: proto.String("projects/debian-cloud/global/images/family/debian-12")}}},
		NetworkInterfaces: []*computepb.NetworkInterface{{Network: proto.String("projects/demo/global/networks/default"),
			AccessConfigs: []*computepb.AccessConfig{{Name: proto.String("External NAT")}}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := op.Proto().GetZone(); got != base+"projects/demo/zones/us-central1-b" {
		t.Errorf("operation zone = %q", got)
	}
	if err := op.Wait(e.ctx); err != nil {
		t.Fatal(err)
	}
	inst, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneB, Instance: "node-a"})
	if err != nil {
		t.Fatal(err)
	}
	zoneLink := base + "projects/demo/zones/us-central1-b"
	diskLink := zoneLink + "/disks/node-a"
	want := vmView{
		Name: "node-a", Status: "RUNNING", MachineType: zoneLink + "/machineTypes/e2-small", Zone: zoneLink,
		SelfLink: zoneLink + "/instances/node-a", Network: base + "projects/demo/global/networks/default",
		Subnetwork: base + "projects/demo/regions/us-central1/subnetworks/default", NetworkIP: "10.128.0.2",
		AccessConfig: "External NAT/ONE_TO_ONE_NAT/PREMIUM", PublicNatIP: true, Tags: []string{"k8s-node"},
		Fingerprints: [4]bool{true, true, true, true}, DiskSource: diskLink, DeviceName: "persistent-disk-0",
		Boot: true, AutoDelete: true, CanIPForward: true,
	}
	if diff := cmp.Diff(want, viewOf(inst)); diff != "" {
		t.Errorf("instance (-want +got)\n%s", diff)
	}
	if op.Proto().GetTargetId() != inst.GetId() || inst.GetId() == 0 {
		t.Errorf("operation targetId %d, instance id %d", op.Proto().GetTargetId(), inst.GetId())
	}

	// The boot disk exists, names its user and the image the family
	// resolved to (its newest).
	d, err := e.disks.Get(e.ctx, &computepb.GetDiskRequest{Project: project, Zone: zoneB, Disk: "node-a"})
	if err != nil {
		t.Fatalf("boot disk: %v", err)
	}
	if diff := cmp.Diff([]string{diskLink, "READY", base + "projects/debian-cloud/global/images/debian-12-bookworm-v20250212", want.SelfLink},
		append([]string{d.GetSelfLink(), d.GetStatus(), d.GetSourceImage()}, d.GetUsers()...)); diff != "" {
		t.Errorf("disk (-want +got)\n%s", diff)
	}

	// The legacy client sees the same object.
	li, err := e.legacy.Instances.Get(project, zoneB, "node-a").Do()
	if err != nil {
		t.Fatal(err)
	}
	if li.NetworkInterfaces[0].NetworkIP != "10.128.0.2" || li.Status != "RUNNING" || li.Metadata == nil || li.Metadata.Fingerprint == "" {
		t.Errorf("legacy instance: %+v", li)
	}

	// A second VM gets the next address and another external one.
	if err := e.insertVM("node-b", zoneB, &computepb.NetworkInterface{AccessConfigs: []*computepb.AccessConfig{{}}}); err != nil {
		t.Fatal(err)
	}
	ib, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneB, Instance: "node-b"})
	if err != nil {
		t.Fatal(err)
	}
	if got := ib.GetNetworkInterfaces()[0]; got.GetNetworkIP() != "10.128.0.3" ||
		got.GetAccessConfigs()[0].GetNatIP() == inst.GetNetworkInterfaces()[0].GetAccessConfigs()[0].GetNatIP() {
		t.Errorf("second VM: networkIP %s natIP %s", got.GetNetworkIP(), got.GetAccessConfigs()[0].GetNatIP())
	}

	// Delete takes the auto-delete boot disk with it.
	if err := e.deleteVM("node-a", zoneB); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"instance": func() error {
			_, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneB, Instance: "node-a"})
			return err
		}(),
		"disk": func() error {
			_, err := e.disks.Get(e.ctx, &computepb.GetDiskRequest{Project: project, Zone: zoneB, Disk: "node-a"})
			return err
		}(),
	} {
		if diff := cmp.Diff(errSummary{404, "notFound"}, summarize(err)); diff != "" {
			t.Errorf("%s after delete (-want +got)\n%s", what, diff)
		}
	}
}

// TestInstanceInsertRefusals covers the synchronous refusals of instances.insert.
func TestInstanceInsertRefusals(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "taken", Zone: zoneA})
	before := e.stateJSON()
	good := func() *computepb.Instance {
		return &computepb.Instance{Name: proto.String("vm"), MachineType: proto.String("zones/us-central1-a/machineTypes/e2-small"),
			NetworkInterfaces: []*computepb.NetworkInterface{{}}}
	}
	cases := []struct {
		name   string
		zone   string
		mutate func(i *computepb.Instance)
		want   errSummary
	}{
		{"already exists", zoneA, func(i *computepb.Instance) { i.Name = proto.String("taken") }, errSummary{409, "alreadyExists"}},
		{"bad name", zoneA, func(i *computepb.Instance) { i.Name = proto.String("VM") }, errSummary{400, "invalid"}},
		{"no machine type", zoneA, func(i *computepb.Instance) { i.MachineType = nil }, errSummary{400, "required"}},
		{"unknown machine type", zoneA, func(i *computepb.Instance) { i.MachineType = proto.String("z9-huge") }, errSummary{400, "invalid"}},
		{"no interface", zoneA, func(i *computepb.Instance) { i.NetworkInterfaces = nil }, errSummary{400, "required"}},
		{"unknown network", zoneA, func(i *computepb.Instance) {
			i.NetworkInterfaces[0].Network = proto.String("global/networks/nope")
		}, errSummary{404, "notFound"}},
		{"unknown image", zoneA, func(i *computepb.Instance) {
			i.Disks = []*computepb.AttachedDisk{{Boot: proto.Bool(true), InitializeParams: &computepb.AttachedDiskInitializeParams{
				SourceImage: proto.String("projects/debian-cloud/global/images/debian-7")}}}
		}, errSummary{404, "notFound"}},
		{"a family named as an image", zoneA, func(i *computepb.Instance) {
			i.Disks = []*computepb.AttachedDisk{{Boot: proto.Bool(true), InitializeParams: &computepb.AttachedDiskInitializeParams{
				SourceImage: proto.String("projects/debian-cloud/global/images/debian-12")}}}
		}, errSummary{404, "notFound"}},
		{"unknown family", zoneA, func(i *computepb.Instance) {
			i.Disks = []*computepb.AttachedDisk{{Boot: proto.Bool(true), InitializeParams: &computepb.AttachedDiskInitializeParams{
				SourceImage: proto.String("projects/debian-cloud/global/images/family/debian-7")}}}
		}, errSummary{404, "notFound"}},
		{"unknown zone", "us-central1-z", func(*computepb.Instance) {}, errSummary{400, "invalid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.mutate(in)
			_, err := e.instances.Insert(e.ctx, &computepb.InsertInstanceRequest{Project: project, Zone: tc.zone, InstanceResource: in})
			if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff(before, e.stateJSON()); diff != "" {
		t.Errorf("refused inserts changed the state (-before +after)\n%s", diff)
	}
}

// TestInstanceListAndAggregatedList checks both list forms with both
// clients, including GCE's warning on scopes without results.
func TestInstanceListAndAggregatedList(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "a-1", Zone: zoneA}, fakecompute.InstanceSeed{Name: "a-2", Zone: zoneA},
		fakecompute.InstanceSeed{Name: "c-1", Zone: zoneC})

	var names []string
	it := e.instances.List(e.ctx, &computepb.ListInstancesRequest{Project: project, Zone: zoneA})
	for i, err := it.Next(); err == nil; i, err = it.Next() {
		names = append(names, i.GetName())
	}
	if diff := cmp.Diff([]string{"a-1", "a-2"}, names); diff != "" {
		t.Errorf("instances.list zone a (-want +got)\n%s", diff)
	}

	// apiv1: one pair per scope; empty scopes carry NO_RESULTS_ON_PAGE.
	got := map[string]string{}
	ait := e.instances.AggregatedList(e.ctx, &computepb.AggregatedListInstancesRequest{Project: project})
	for {
		p, err := ait.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var s string
		for _, i := range p.Value.GetInstances() {
			s += i.GetName() + " "
		}
		if w := p.Value.GetWarning(); w != nil {
			s += w.GetCode() + " " + w.GetData()[0].GetKey() + "=" + w.GetData()[0].GetValue()
		}
		got[p.Key] = s
	}
	// Every other scope GCE names, "global" and the zones of every region,
	// carries the warning.
	if !strings.HasPrefix(got["global"], "NO_RESULTS_ON_PAGE") || !strings.HasPrefix(got["zones/europe-west1-b"], "NO_RESULTS_ON_PAGE") {
		t.Errorf("aggregatedList scopes global, zones/europe-west1-b: %q, %q", got["global"], got["zones/europe-west1-b"])
	}
	for scope, s := range got {
		if !strings.HasPrefix(scope, "zones/us-central1-") {
			if s != "NO_RESULTS_ON_PAGE scope="+scope {
				t.Errorf("scope %s: %q", scope, s)
			}
			delete(got, scope)
		}
	}
	want := map[string]string{
		"zones/us-central1-a": "a-1 a-2 ",
		"zones/us-central1-b": "NO_RESULTS_ON_PAGE scope=zones/us-central1-b",
		"zones/us-central1-c": "c-1 ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apiv1 aggregatedList (-want +got)\n%s", diff)
	}

	// Legacy client, paged by one: every page names every scope, and the
	// scopes without an item on that page carry the warning.
	var pages []map[string]string
	err := e.legacy.Instances.AggregatedList(project).MaxResults(1).Pages(e.ctx, func(l *gce.InstanceAggregatedList) error {
		pg := map[string]string{}
		for scope, sl := range l.Items {
			if !strings.HasPrefix(scope, "zones/us-central1-") {
				if sl.Warning == nil || len(sl.Instances) > 0 {
					t.Errorf("scope %s: %+v", scope, sl)
				}
				continue
			}
			switch {
			case len(sl.Instances) > 0:
				pg[scope] = sl.Instances[0].Name
			case sl.Warning != nil:
				pg[scope] = sl.Warning.Code
			}
		}
		pages = append(pages, pg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const none = "NO_RESULTS_ON_PAGE"
	wantPages := []map[string]string{
		{"zones/us-central1-a": "a-1", "zones/us-central1-b": none, "zones/us-central1-c": none},
		{"zones/us-central1-a": "a-2", "zones/us-central1-b": none, "zones/us-central1-c": none},
		{"zones/us-central1-a": none, "zones/us-central1-b": none, "zones/us-central1-c": "c-1"},
	}
	if diff := cmp.Diff(wantPages, pages); diff != "" {
		t.Errorf("legacy aggregatedList pages (-want +got)\n%s", diff)
	}

	// A filter applies to the instances, not to the scopes.
	l, err := e.legacy.Instances.AggregatedList(project).Filter(`name eq "c-.*"`).Do()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.Items["zones/us-central1-c"].Instances); n != 1 || len(l.Items["zones/us-central1-a"].Instances) != 0 {
		t.Errorf("filtered aggregatedList: %+v", l.Items)
	}
}

// TestInstanceUpdate checks instances.update: fingerprint preconditions
// and the disruption a change needs against what the caller allows.
func TestInstanceUpdate(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "vm", Zone: zoneA},
		fakecompute.InstanceSeed{Name: "stopped", Zone: zoneA, Status: fakecompute.StatusTerminated})
	get := func(name string) *computepb.Instance {
		t.Helper()
		i, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneA, Instance: name})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	update := func(name string, in *computepb.Instance, allowed string) error {
		req := &computepb.UpdateInstanceRequest{Project: project, Zone: zoneA, Instance: name, InstanceResource: in}
		if allowed != "" {
			req.MostDisruptiveAllowedAction = proto.String(allowed)
		}
		op, err := e.instances.Update(e.ctx, req)
		if err != nil {
			return err
		}
		return op.Wait(e.ctx)
	}

	stale := get("vm")
	cur := get("vm")
	cur.CanIpForward = proto.Bool(true)
	if err := update("vm", cur, "REFRESH"); err != nil {
		t.Fatalf("canIpForward with REFRESH: %v", err)
	}
	after := get("vm")
	if !after.GetCanIpForward() || after.GetFingerprint() == stale.GetFingerprint() {
		t.Errorf("after update: canIpForward %v, fingerprint %q (was %q)", after.GetCanIpForward(), after.GetFingerprint(), stale.GetFingerprint())
	}

	cases := []struct {
		name    string
		vm      string
		mutate  func(i *computepb.Instance)
		allowed string
		want    errSummary
	}{
		{"stale fingerprint", "vm", func(i *computepb.Instance) {
			i.Fingerprint = stale.Fingerprint
			i.CanIpForward = proto.Bool(false)
		}, "REFRESH", errSummary{412, "conditionNotMet"}},
		{"no fingerprint", "vm", func(i *computepb.Instance) { i.Fingerprint = nil }, "REFRESH", errSummary{412, "conditionNotMet"}},
		{"machine type on a running VM needs a restart", "vm", func(i *computepb.Instance) {
			i.MachineType = proto.String("e2-standard-4")
		}, "REFRESH", errSummary{400, "invalid"}},
		{"unknown action", "vm", func(*computepb.Instance) {}, "REBOOT", errSummary{400, "invalid"}},
		{"rename", "vm", func(i *computepb.Instance) { i.Name = proto.String("other") }, "", errSummary{400, "invalid"}},
		{"machine type on a stopped VM", "stopped", func(i *computepb.Instance) {
			i.MachineType = proto.String("e2-standard-4")
		}, "REFRESH", errSummary{}},
		{"machine type on a running VM with RESTART allowed", "vm", func(i *computepb.Instance) {
			i.MachineType = proto.String("zones/us-central1-a/machineTypes/e2-standard-4")
		}, "RESTART", errSummary{}},
		{"labels and description", "vm", func(i *computepb.Instance) {
			i.Labels = map[string]string{"env": "test"}
			i.Description = proto.String("a node")
		}, "NO_EFFECT", errSummary{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := get(tc.vm)
			in := proto.Clone(before).(*computepb.Instance)
			tc.mutate(in)
			err := update(tc.vm, in, tc.allowed)
			if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
			now := get(tc.vm)
			if err != nil {
				if now.GetFingerprint() != before.GetFingerprint() {
					t.Errorf("a refused update changed the fingerprint")
				}
				return
			}
			if lastSegments([]string{now.GetMachineType()}) != lastSegments([]string{in.GetMachineType()}) ||
				!cmp.Equal(now.GetLabels(), in.GetLabels()) || now.GetDescription() != in.GetDescription() {
				t.Errorf("update not applied: machineType %s labels %v description %q", now.GetMachineType(), now.GetLabels(), now.GetDescription())
			}
		})
	}

	// The legacy client's Update, as k8s-cloud-provider sends it.
	li, err := e.legacy.Instances.Get(project, zoneA, "vm").Do()
	if err != nil {
		t.Fatal(err)
	}
	li.CanIpForward = false
	li.ForceSendFields = []string{"CanIpForward"}
	if _, err := e.legacy.Instances.Update(project, zoneA, "vm", li).MostDisruptiveAllowedAction("REFRESH").Do(); err != nil {
		t.Fatalf("legacy update: %v", err)
	}
	if get("vm").GetCanIpForward() {
		t.Errorf("legacy update did not clear canIpForward")
	}
	if _, err := e.legacy.Instances.Update(project, zoneA, "vm", li).MostDisruptiveAllowedAction("REFRESH").Do(); summarize(err) != (errSummary{412, "conditionNotMet"}) {
		t.Errorf("legacy update with the old fingerprint: %v", err)
	}
}

// TestInstanceSetTagsAndPower checks setTags' fingerprint and stop/start.
func TestInstanceSetTagsAndPower(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "vm", Zone: zoneC, Tags: []string{"a"}})
	get := func() *computepb.Instance {
		t.Helper()
		i, err := e.instances.Get(e.ctx, &computepb.GetInstanceRequest{Project: project, Zone: zoneC, Instance: "vm"})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	setTags := func(fp string, items ...string) error {
		req := &computepb.SetTagsInstanceRequest{Project: project, Zone: zoneC, Instance: "vm",
			TagsResource: &computepb.Tags{Items: items}}
		if fp != "" {
			req.TagsResource.Fingerprint = proto.String(fp)
		}
		op, err := e.instances.SetTags(e.ctx, req)
		if err != nil {
			return err
		}
		return op.Wait(e.ctx)
	}
	old := get().GetTags().GetFingerprint()
	if err := setTags(old, "a", "b"); err != nil {
		t.Fatalf("setTags: %v", err)
	}
	now := get().GetTags()
	if diff := cmp.Diff([]string{"a", "b"}, now.GetItems()); diff != "" || now.GetFingerprint() == old {
		t.Errorf("tags after setTags: %v fingerprint %q (was %q)", now.GetItems(), now.GetFingerprint(), old)
	}
	for _, tc := range []struct {
		name string
		fp   string
		tags []string
		want errSummary
	}{
		{"stale fingerprint", old, []string{"c"}, errSummary{412, "conditionNotMet"}},
		{"no fingerprint", "", []string{"c"}, errSummary{412, "conditionNotMet"}},
		{"bad tag", now.GetFingerprint(), []string{"Bad Tag"}, errSummary{400, "invalid"}},
	} {
		if diff := cmp.Diff(tc.want, summarize(setTags(tc.fp, tc.tags...))); diff != "" {
			t.Errorf("%s (-want +got)\n%s", tc.name, diff)
		}
	}
	if diff := cmp.Diff([]string{"a", "b"}, get().GetTags().GetItems()); diff != "" {
		t.Errorf("refused setTags changed the tags (-want +got)\n%s", diff)
	}

	for _, step := range []struct {
		verb string
		want string
	}{{"stop", "TERMINATED"}, {"start", "RUNNING"}} {
		var err error
		switch step.verb {
		case "stop":
			o, e2 := e.instances.Stop(e.ctx, &computepb.StopInstanceRequest{Project: project, Zone: zoneC, Instance: "vm"})
			if err = e2; err == nil {
				err = o.Wait(e.ctx)
			}
		case "start":
			o, e2 := e.instances.Start(e.ctx, &computepb.StartInstanceRequest{Project: project, Zone: zoneC, Instance: "vm"})
			if err = e2; err == nil {
				err = o.Wait(e.ctx)
			}
		}
		if err != nil {
			t.Fatalf("%s: %v", step.verb, err)
		}
		if got := get().GetStatus(); got != step.want {
			t.Errorf("after %s: status %s, want %s", step.verb, got, step.want)
		}
	}
}
