//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// vpcNativeVM makes a VM in subnet "vpcnative" whose nic0 has an alias
// range of size /24 from the secondary range "pods", as GKE's node pools
// do, and returns the range GCE gave it.
func (e *env) vpcNativeVM(svc *compute.Service, name, zone string) string {
	e.t.Helper()
	op, err := svc.Instances.Insert(project, zone, &compute.Instance{Name: name, MachineType: "zones/" + zone + "/machineTypes/e2-standard-2",
		Tags:  &compute.Tags{Items: []string{"e2e-node"}},
		Disks: []*compute.AttachedDisk{{Boot: true, AutoDelete: true, InitializeParams: &compute.AttachedDiskInitializeParams{SourceImage: "projects/debian-cloud/global/images/family/debian-12"}}},
		NetworkInterfaces: []*compute.NetworkInterface{{Subnetwork: "regions/us-central1/subnetworks/vpcnative",
			AliasIpRanges: []*compute.AliasIpRange{{IpCidrRange: "/24", SubnetworkRangeName: "pods"}}}},
	}).Context(e.ctx).Do()
	if err == nil {
		_, err = svc.ZoneOperations.Wait(project, zone, op.Name).Context(e.ctx).Do()
	}
	if err != nil {
		e.t.Fatalf("VM %s: %v", name, err)
	}
	inst, err := svc.Instances.Get(project, zone, name).Context(e.ctx).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	return inst.NetworkInterfaces[0].AliasIpRanges[0].IpCidrRange
}

// TestCloudAllocatorFromAliasRanges: in a VPC-native cluster each node's
// pod CIDR is its VM's alias IP range, the node is marked network-ready
// without a route, and the route controller stays off and says why.
func TestCloudAllocatorFromAliasRanges(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	svc := e.computeService()
	op, err := svc.Subnetworks.Insert(project, "us-central1", &compute.Subnetwork{Name: "vpcnative", Network: "global/networks/default",
		IpCidrRange: "10.20.0.0/20", SecondaryIpRanges: []*compute.SubnetworkSecondaryRange{{RangeName: "pods", IpCidrRange: clusterCIDR}}}).Context(e.ctx).Do()
	if err == nil {
		_, err = svc.RegionOperations.Wait(project, "us-central1", op.Name).Context(e.ctx).Do()
	}
	if err != nil {
		t.Fatalf("VPC-native subnet: %v", err)
	}
	want := map[string]string{}
	for i := range 3 {
		name := fmt.Sprintf("vn-%d", i)
		want[name] = e.vpcNativeVM(svc, name, zones[i])
		e.createNode(name, "gce://"+project+"/"+zones[i]+"/"+name)
	}
	e.startCCM("ccm", false, "--allocate-node-cidrs=true", "--cidr-allocator-type=CloudAllocator", "--configure-cloud-routes=true")
	e.eventually("every node has its VM's alias range and NetworkUnavailable=False", 60*time.Second, func() (bool, string) {
		got := e.podCIDRsOf()
		for n, w := range want {
			if fmt.Sprint(got[n]) != "["+w+"]" {
				return false, fmt.Sprintf("%s has %v; its VM has %s", n, got[n], w)
			}
		}
		for n := range want {
			node, err := kube.CoreV1().Nodes().Get(e.ctx, n, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			if st, reason := networkUnavailable(node); st != v1.ConditionFalse || reason != "AliasIPRangeAssigned" {
				return false, fmt.Sprintf("%s: NetworkUnavailable %s/%s", n, st, reason)
			}
		}
		return true, ""
	})
	if rs := e.gceRoutes(); len(rs) != 0 {
		t.Errorf("routes in a VPC-native cluster: %v", routeSummary(rs))
	}
	log, err := os.ReadFile(filepath.Join(e.dir, "ccm.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `"The route controller is off" why="--cidr-allocator-type=CloudAllocator: the cluster is VPC-native`) {
		t.Error("the log does not say why the route controller is off")
	}
}
