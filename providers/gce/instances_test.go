package gce

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func nodeFor(providerID, name string) *v1.Node {
	return &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{ProviderID: providerID}}
}

func TestInstanceMetadataAddresses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stack string
		seed  fakecompute.InstanceSeed
		want  []v1.NodeAddress
	}{
		{"internal only", StackIPv4, fakecompute.InstanceSeed{Name: "vm-1", Zone: "us-central1-a", NetworkIP: "10.128.0.10"},
			[]v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.128.0.10"}}},
		{"with external", StackIPv4, fakecompute.InstanceSeed{Name: "vm-2", Zone: "us-central1-b", NetworkIP: "10.128.0.11", ExternalIP: true},
			[]v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.128.0.11"}, {Type: v1.NodeExternalIP, Address: "34.118.0.1"}}},
		{"dual stack, v4 first", StackDualIPv4, fakecompute.InstanceSeed{Name: "vm-3", Zone: "us-central1-a", NetworkIP: "10.128.0.12", IPv6: true},
			[]v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.128.0.12"}, {Type: v1.NodeInternalIP, Address: "2600:1900:4000:3e9::"}}},
		{"ipv6 stack, v6 first", StackIPv6, fakecompute.InstanceSeed{Name: "vm-4", Zone: "us-central1-a", NetworkIP: "10.128.0.13", IPv6: true},
			[]v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "2600:1900:4000:3e9::"}, {Type: v1.NodeInternalIP, Address: "10.128.0.13"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, fakecompute.Options{}, func(c *Config) { c.StackType = tc.stack })
			insts, err := e.gce.SeedInstances(tc.seed)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				if tc.want[i].Address == "2600:1900:4000:3e9::" {
					tc.want[i].Address = insts[0].NetworkInterfaces[0].Ipv6AccessConfigs[0].ExternalIpv6
				}
			}
			md, err := e.cloud.InstanceMetadata(context.Background(), nodeFor("gce://demo/"+tc.seed.Zone+"/"+tc.seed.Name, tc.seed.Name))
			if err != nil {
				t.Fatal(err)
			}
			want := &cloudprovider.InstanceMetadata{ProviderID: "gce://demo/" + tc.seed.Zone + "/" + tc.seed.Name,
				InstanceType: "e2-standard-2", NodeAddresses: tc.want, Zone: tc.seed.Zone, Region: "us-central1"}
			if d := cmp.Diff(want, md); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestInstanceExistsAndShutdown(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	for _, st := range []string{"RUNNING", "TERMINATED", "STOPPED", "SUSPENDED", "STOPPING"} {
		if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "vm-" + lower(st), Zone: "us-central1-a", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for _, tc := range []struct {
		vm               string
		exists, shutdown bool
	}{{"vm-running", true, false}, {"vm-terminated", true, true}, {"vm-stopped", true, true},
		{"vm-suspended", true, true}, {"vm-stopping", true, false}} {
		n := nodeFor("gce://demo/us-central1-a/"+tc.vm, tc.vm)
		ex, err := e.cloud.InstanceExists(ctx, n)
		if err != nil || ex != tc.exists {
			t.Errorf("%s: exists = %v, %v", tc.vm, ex, err)
		}
		sd, err := e.cloud.InstanceShutdown(ctx, n)
		if err != nil || sd != tc.shutdown {
			t.Errorf("%s: shutdown = %v, %v", tc.vm, sd, err)
		}
	}
	gone := nodeFor("gce://demo/us-central1-a/vm-gone", "vm-gone")
	if ex, err := e.cloud.InstanceExists(ctx, gone); err != nil || ex {
		t.Errorf("missing VM: exists = %v, %v", ex, err)
	}
	if _, err := e.cloud.InstanceMetadata(ctx, gone); !errors.Is(err, cloudprovider.InstanceNotFound) {
		t.Errorf("missing VM metadata: %v", err)
	}
	if _, err := e.cloud.InstanceMetadata(ctx, nodeFor("aws:///i-123", "x")); err == nil {
		t.Error("a non-GCE providerID must be an error")
	}
	// One GET per question when the providerID is known: no zone scans.
	e.gce.ResetStats()
	_, _ = e.cloud.InstanceExists(ctx, nodeFor("gce://demo/us-central1-a/vm-running", "vm-running"))
	if st := e.gce.Stats(); st.Reads != 1 || st.Calls["compute.instances.get"] != 1 {
		t.Errorf("reads = %v", st.Calls)
	}
}

func TestZones(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, func(c *Config) { c.Regional = true })
	if d := cmp.Diff([]string{"us-central1-a", "us-central1-b", "us-central1-c"}, e.cloud.zones); d != "" {
		t.Errorf("managed zones (-want +got):\n%s", d)
	}
	z, err := e.cloud.GetZoneByProviderID(context.Background(), "gce://demo/us-central1-c/vm")
	if err != nil || z.FailureDomain != "us-central1-c" || z.Region != "us-central1" {
		t.Errorf("zone = %+v, %v", z, err)
	}
	e.addNode(t, "node-q", "us-central1-b")
	z, err = e.cloud.GetZoneByNodeName(context.Background(), "node-q")
	if err != nil || z.FailureDomain != "us-central1-b" {
		t.Errorf("zone by name = %+v, %v", z, err)
	}
}

func lower(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func TestInstanceMetadataIsServedInBulk(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	var nodes []*v1.Node
	for i := 0; i < 50; i++ {
		name := "vm-" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: "us-central1-b"}); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, nodeFor("gce://demo/us-central1-b/"+name, name))
	}
	e.gce.ResetStats()
	for _, n := range nodes {
		if _, err := e.cloud.InstanceMetadata(context.Background(), n); err != nil {
			t.Fatal(err)
		}
	}
	st := e.gce.Stats()
	if st.Calls["compute.instances.aggregatedList"] != 1 || st.Calls["compute.instances.get"] != 0 {
		t.Fatalf("50 metadata questions cost %v; want one aggregated list", st.Calls)
	}
	// A VM created after the refresh is read once, then cached.
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "vm-late", Zone: "us-central1-c"}); err != nil {
		t.Fatal(err)
	}
	late := nodeFor("gce://demo/us-central1-c/vm-late", "vm-late")
	for i := 0; i < 3; i++ {
		if _, err := e.cloud.InstanceMetadata(context.Background(), late); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.gce.Stats().Calls["compute.instances.get"]; n != 1 {
		t.Errorf("%d GETs for a new VM asked three times, want 1", n)
	}
	// Existence is never answered from the cache: a deleted VM is seen at once.
	if err := e.gce.DeleteInstanceNow("us-central1-c", "vm-late"); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.cloud.InstanceExists(context.Background(), late); ok || err != nil {
		t.Errorf("exists = %v, %v after deletion", ok, err)
	}
}
