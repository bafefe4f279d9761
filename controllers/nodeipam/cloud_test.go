package nodeipam

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const (
	project = "demo"
	zone    = "us-central1-a"
)

// cloudEnv is the emulator with a VPC-native subnet (a secondary range
// "pods"), the real GCE clients over HTTP, and a fake clientset.
type cloudEnv struct {
	t    *testing.T
	api  *gceapi.Client
	vms  *compute.InstancesClient
	kube *fake.Clientset
}

func newCloudEnv(t *testing.T) *cloudEnv {
	t.Helper()
	gce := fakecompute.New(fakecompute.Options{Project: project})
	hs := httptest.NewServer(gce)
	t.Cleanup(hs.Close)
	ctx := context.Background()
	co := []option.ClientOption{option.WithEndpoint(hs.URL), option.WithoutAuthentication()}
	e := &cloudEnv{t: t, kube: fake.NewClientset()}
	var err error
	e.api, err = gceapi.New(ctx, gceapi.Config{Project: project, Endpoint: hs.URL,
		ClientOptions:  []option.ClientOption{option.WithoutAuthentication()},
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, MaxAttempts: 2,
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.api.Close() })
	if e.vms, err = compute.NewInstancesRESTClient(ctx, co...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.vms.Close() })
	subnets, err := compute.NewSubnetworksRESTClient(ctx, co...)
	if err != nil {
		t.Fatal(err)
	}
	defer subnets.Close()
	op, err := subnets.Insert(ctx, &computepb.InsertSubnetworkRequest{Project: project, Region: "us-central1",
		SubnetworkResource: &computepb.Subnetwork{Name: proto.String("nodes"), Network: proto.String("global/networks/default"),
			IpCidrRange:       proto.String("10.20.0.0/20"),
			SecondaryIpRanges: []*computepb.SubnetworkSecondaryRange{{RangeName: proto.String("pods"), IpCidrRange: proto.String("10.64.0.0/14")}}}})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err != nil {
		t.Fatalf("subnet with a secondary range: %v", err)
	}
	return e
}

// vm makes a VM in the subnet "nodes" with the given alias ranges.
func (e *cloudEnv) vm(name string, aliases ...string) {
	e.t.Helper()
	var rs []*computepb.AliasIpRange
	for _, a := range aliases {
		rs = append(rs, &computepb.AliasIpRange{IpCidrRange: proto.String(a), SubnetworkRangeName: proto.String("pods")})
	}
	ctx := context.Background()
	op, err := e.vms.Insert(ctx, &computepb.InsertInstanceRequest{Project: project, Zone: zone, InstanceResource: &computepb.Instance{
		Name: proto.String(name), MachineType: proto.String("zones/" + zone + "/machineTypes/e2-standard-2"),
		Disks: []*computepb.AttachedDisk{{Boot: proto.Bool(true), AutoDelete: proto.Bool(true),
			InitializeParams: &computepb.AttachedDiskInitializeParams{SourceImage: proto.String("projects/debian-cloud/global/images/family/debian-12")}}},
		NetworkInterfaces: []*computepb.NetworkInterface{{Subnetwork: proto.String("regions/us-central1/subnetworks/nodes"), AliasIpRanges: rs}},
	}})
	if err == nil {
		err = op.Wait(ctx)
	}
	if err != nil {
		e.t.Fatalf("VM %s with aliases %v: %v", name, aliases, err)
	}
}

func (e *cloudEnv) run(clusterCIDR string) {
	e.t.Helper()
	cfg, err := ParseConfig(Flags{AllocatorType: string(CloudAllocator), ClusterCIDR: clusterCIDR})
	if err != nil {
		e.t.Fatal(err)
	}
	inf := informers.NewSharedInformerFactory(e.kube, 0)
	c, err := NewCloud(cfg, e.api, e.kube, inf.Core().V1().Nodes(), Options{Workers: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	inf.Start(ctx.Done())
	inf.WaitForCacheSync(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	e.t.Cleanup(func() { cancel(); <-done; inf.Shutdown() })
}

func (e *cloudEnv) node(name string, cidrs ...string) {
	e.t.Helper()
	n := node(name, cidrs...)
	n.Spec.ProviderID = fmt.Sprintf("gce://%s/%s/%s", project, zone, name)
	n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeNetworkUnavailable, Status: v1.ConditionTrue, Reason: "NoRouteCreated"}}
	if _, err := e.kube.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cloudEnv) get(name string) *v1.Node {
	n, err := e.kube.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestCloudAllocatorFromAliasRanges(t *testing.T) {
	e := newCloudEnv(t)
	e.vm("a", "10.64.1.0/24")
	e.vm("b", "10.64.2.0/24")
	e.vm("c")                    // no alias range (yet)
	e.vm("kept", "10.64.9.0/24") // already has its CIDR (takeover)
	e.node("kept", "10.64.9.0/24")
	e.run("10.64.0.0/14")
	for _, n := range []string{"a", "b", "c"} {
		e.node(n)
	}
	for n, want := range map[string]string{"a": "[10.64.1.0/24]", "b": "[10.64.2.0/24]", "kept": "[10.64.9.0/24]"} {
		eventually(t, n+" has its alias range and NetworkUnavailable=False", func() (bool, string) {
			got := e.get(n)
			return fmt.Sprint(got.Spec.PodCIDRs) == want && networkAvailable(got),
				fmt.Sprintf("podCIDRs %v, conditions %v", got.Spec.PodCIDRs, got.Status.Conditions)
		})
	}
	eventually(t, "a CIDRNotAvailable event on c", func() (bool, string) { return hasEvent(t, e.kube, "c", ReasonCIDRNotAvailable) })
	if got := e.get("c"); len(got.Spec.PodCIDRs) != 0 || networkAvailable(got) {
		t.Errorf("c without an alias range: podCIDRs %v, network available %v", got.Spec.PodCIDRs, networkAvailable(got))
	}
}

func TestCloudAllocatorRefusesIPv6(t *testing.T) {
	cfg, err := ParseConfig(Flags{AllocatorType: string(CloudAllocator), ClusterCIDR: "10.64.0.0/14,fd00::/48"})
	if err != nil {
		t.Fatal(err)
	}
	inf := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	_, err = NewCloud(cfg, nil, fake.NewClientset(), inf.Core().V1().Nodes(), Options{})
	if err == nil || err.Error() != "--cluster-cidr: fd00::/48: the CloudAllocator reads IPv4 alias IP ranges only; an IPv6 pod range is not served" {
		t.Errorf("NewCloud with an IPv6 cluster CIDR: %v", err)
	}
}

func TestAliasRange(t *testing.T) {
	pools := []Pool{{CIDR: mustPrefix("10.64.0.0/14"), MaskSize: 24}}
	inst := func(ranges ...string) *computepb.Instance {
		ni := &computepb.NetworkInterface{}
		for _, r := range ranges {
			ni.AliasIpRanges = append(ni.AliasIpRanges, &computepb.AliasIpRange{IpCidrRange: proto.String(r)})
		}
		return &computepb.Instance{NetworkInterfaces: []*computepb.NetworkInterface{ni}}
	}
	for _, tc := range []struct {
		in      *computepb.Instance
		want    string
		wantErr string
	}{
		{in: inst("10.64.3.0/24"), want: "10.64.3.0/24"},
		{in: inst("10.20.0.5/32", "10.64.3.0/24"), want: "10.64.3.0/24"},
		{in: inst("10.64.3.7/32"), wantErr: "no alias IP range inside --cluster-cidr on nic0 (it has [10.64.3.7/32])"},
		{in: inst("192.168.0.0/24"), wantErr: "no alias IP range inside --cluster-cidr on nic0 (it has [192.168.0.0/24])"},
		{in: inst(), wantErr: "no alias IP range on nic0"},
		{in: &computepb.Instance{}, wantErr: "no network interface"},
	} {
		got, err := aliasRange(tc.in, pools)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("%v: %v; want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tc.want {
			t.Errorf("%v: %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
