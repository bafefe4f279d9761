package routes

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	cloudprovider "k8s.io/cloud-provider"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	"k8s.io/controller-manager/pkg/features"
	_ "k8s.io/controller-manager/pkg/features/register"

	"github.com/gce-ccm/gce-ccm/providers/gce"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const (
	project = "demo"
	zone    = "us-central1-a"
	network = "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default"
)

// env is the framework's route controller on our provider, a fake
// clientset and the emulator over HTTP.
type env struct {
	t     *testing.T
	gce   *fakecompute.TestServer
	cloud *gce.Cloud
	kube  *fake.Clientset
	ctx   context.Context
	// system are the network's own routes as first listed (name and id).
	system []string
}

func start(t *testing.T, period time.Duration) *env {
	t.Helper()
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{
		string(features.CloudControllerManagerWatchBasedRoutesReconciliation): true}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, gce: fakecompute.NewTestServer(t, fakecompute.Options{Project: project}), kube: fake.NewClientset(), ctx: ctx}
	cloud, err := gce.NewCloud(ctx, &gce.Config{ProjectID: project, NetworkProjectID: project, LocalZone: zone,
		NetworkName: "default", NetworkURL: network, APIEndpoint: e.gce.URL, StackType: gce.StackIPv4,
		PollInterval: 10 * time.Millisecond, ResyncPeriod: period}, option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cloud.API().Close() })
	e.cloud = cloud
	// The CCM's shared informers resync every 12-24 h; with 0 (never) a
	// handler could not ask for a resync of its own.
	f := informers.NewSharedInformerFactory(e.kube, 12*time.Hour)
	nodes := f.Core().V1().Nodes()
	cloud.Initialize(fixedClient{kube: e.kube}, ctx.Done())
	cloud.SetInformers(f)
	if err := Start(ctx, Options{Routes: cloud, Client: e.kube, Nodes: nodes, ClusterName: "prod",
		ClusterCIDRs: "10.4.0.0/14", ResyncPeriod: period, SyncPeriod: time.Hour,
		Metrics: controllersmetrics.NewControllerManagerMetrics("test")}); err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	return e
}

// fixedClient hands the provider the fake clientset (Initialize asks for
// nothing else).
type fixedClient struct {
	cloudprovider.ControllerClientBuilder
	kube kubernetes.Interface
}

func (b fixedClient) ClientOrDie(string) kubernetes.Interface { return b.kube }

func (e *env) node(name, cidr string) {
	e.t.Helper()
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: true}); err != nil {
		e.t.Fatal(err)
	}
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.NodeSpec{ProviderID: fmt.Sprintf("gce://%s/%s/%s", project, zone, name), PodCIDR: cidr, PodCIDRs: []string{cidr}}}
	if _, err := e.kube.CoreV1().Nodes().Create(e.ctx, n, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// routes is every route in the network as "name cidr -> vm", but the
// network's own (its route to the internet, a local route per subnet
// range), which must stay as they were at the start: the controller never
// touches them.
func (e *env) routes() []string {
	e.t.Helper()
	rs, err := e.cloud.API().ListRoutes(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	var out, system []string
	for _, r := range rs {
		if r.GetNextHopGateway() != "" || r.GetNextHopNetwork() != "" {
			system = append(system, fmt.Sprintf("%s %d", r.GetName(), r.GetId()))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s -> %s", r.GetName(), r.GetDestRange(), lastSegment(r.GetNextHopInstance())))
	}
	sort.Strings(out)
	sort.Strings(system)
	if e.system == nil {
		e.system = system
	} else if d := cmp.Diff(e.system, system); d != "" {
		e.t.Fatalf("the network's own routes changed (-start +now):\n%s", d)
	}
	return out
}

// waitRoutes polls until the network's routes are want.
func (e *env) waitRoutes(what string, want []string) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := e.routes()
		d := cmp.Diff(want, got)
		if d == "" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: routes (-want +got):\n%s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) insert(name, cidr, vm, desc string) {
	e.t.Helper()
	r := &computepb.Route{Name: proto.String(name), DestRange: proto.String(cidr), Network: proto.String(network),
		NextHopInstance: proto.String("zones/" + zone + "/instances/" + vm), Description: proto.String(desc)}
	if err := e.cloud.API().InsertRoute(e.ctx, r); err != nil {
		e.t.Fatal(err)
	}
}

func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// TestDriftIsRepairedWithinThePeriod: nothing happens to any Node after the
// routes converge, so only the periodic resync can repair what changes in
// GCE.
func TestDriftIsRepairedWithinThePeriod(t *testing.T) {
	e := start(t, time.Second)
	// Look-alikes that must never change: prod's name prefix with prod-2's
	// description, the same prefix with a description that is not JSON, an
	// upstream-style route of a cluster named prod-2 (not prod's), a
	// hand-made route.
	foreign := []string{
		gce.RouteName("prod", "node-x", "10.4.200.0/24") + " 10.4.200.0/24 -> a",
		gce.RouteName("prod", "node-y", "10.4.201.0/24") + " 10.4.201.0/24 -> a",
		"prod-2-0b5a9e0a-1111-4222-8333-444455556666 10.4.202.0/24 -> a",
		"my-vpn-route 10.4.203.0/24 -> a",
	}
	e.node("a", "10.4.0.0/24")
	e.node("b", "10.4.1.0/24")
	e.insert(gce.RouteName("prod", "node-x", "10.4.200.0/24"), "10.4.200.0/24", "a", gce.RouteDescription("prod-2", "node-x"))
	e.insert(gce.RouteName("prod", "node-y", "10.4.201.0/24"), "10.4.201.0/24", "a", "made by hand")
	e.insert("prod-2-0b5a9e0a-1111-4222-8333-444455556666", "10.4.202.0/24", "a", "k8s-node-route")
	e.insert("my-vpn-route", "10.4.203.0/24", "a", "")
	ra, rb := gce.RouteName("prod", "a", "10.4.0.0/24"), gce.RouteName("prod", "b", "10.4.1.0/24")
	converged := append([]string{ra + " 10.4.0.0/24 -> a", rb + " 10.4.1.0/24 -> b"}, foreign...)
	sort.Strings(converged)
	e.waitRoutes("converged", converged)

	// A route deleted in GCE comes back.
	if err := e.cloud.API().DeleteRoute(e.ctx, ra); err != nil {
		t.Fatal(err)
	}
	e.waitRoutes("after deleting a's route", converged)

	// A route of ours re-pointed at the other node, under its own name and
	// description, is replaced.
	r, err := e.cloud.API().GetRoute(e.ctx, rb)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.cloud.API().DeleteRoute(e.ctx, rb); err != nil {
		t.Fatal(err)
	}
	e.insert(rb, "10.4.1.0/24", "a", r.GetDescription())
	e.waitRoutes("after re-pointing b's route at a", converged)

	// A quota failure is retried within the period once the quota allows.
	e.gce.SetQuota(fakecompute.QuotaRoutes, 0)
	if err := e.cloud.API().DeleteRoute(e.ctx, ra); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a quota failure", func() bool { return e.gce.Stats().QuotaExceeded > 0 })
	e.gce.SetQuota(fakecompute.QuotaRoutes, -1)
	e.waitRoutes("after the quota was raised", converged)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestParseClusterCIDRs(t *testing.T) {
	for _, tc := range []struct {
		spec string
		n    int
		ok   bool
	}{{"10.4.0.0/14", 1, true}, {"10.4.0.0/14,fd00:10::/48", 2, true}, {"", 0, false},
		{"10.4.0.0/14,10.8.0.0/14", 0, false}, {"10.4.0.0", 0, false}} {
		got, err := parseClusterCIDRs(tc.spec)
		if (err == nil) != tc.ok || len(got) != tc.n {
			t.Errorf("%q: %d CIDRs, %v", tc.spec, len(got), err)
		}
	}
}
