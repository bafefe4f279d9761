package gce

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// testEnv is a provider talking HTTP to an emulator, with a node cache.
type testEnv struct {
	cloud *Cloud
	gce   *fakecompute.TestServer
	nodes cache.Indexer
	kube  *fake.Clientset
}

func newTestEnv(t *testing.T, opts fakecompute.Options, tweak func(*Config)) *testEnv {
	return newTestEnvTB(t, opts, tweak)
}

func newTestEnvTB(t testing.TB, opts fakecompute.Options, tweak func(*Config)) *testEnv {
	t.Helper()
	if opts.Project == "" {
		opts.Project = "demo"
	}
	ts := fakecompute.NewTestServer(t, opts)
	guardSystemRoutes(t, ts)
	cfg := &Config{ProjectID: opts.Project, NetworkProjectID: opts.Project, LocalZone: "us-central1-a",
		NetworkName: "default", NetworkURL: "https://www.googleapis.com/compute/v1/projects/" + opts.Project + "/global/networks/default",
		APIEndpoint: ts.URL, StackType: StackIPv4, IPForwardMode: IPForwardEnforce, PollInterval: 20 * time.Millisecond}
	if tweak != nil {
		tweak(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := NewCloud(ctx, cfg, option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.api.Close() })
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	kube := fake.NewSimpleClientset()
	c.setKube(kube, ctx.Done())
	c.nodes = corelisters.NewNodeLister(idx)
	return &testEnv{cloud: c, gce: ts, nodes: idx, kube: kube}
}

// addNode seeds a VM and registers a Node pointing at it.
func (e *testEnv) addNode(t *testing.T, name, zone string, podCIDRs ...string) *v1.Node {
	t.Helper()
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: true}); err != nil {
		t.Fatal(err)
	}
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
		Spec: v1.NodeSpec{ProviderID: "gce://" + e.cloud.cfg.ProjectID + "/" + zone + "/" + name, PodCIDRs: podCIDRs}}
	if err := e.nodes.Add(n); err != nil {
		t.Fatal(err)
	}
	return n
}

// guardSystemRoutes: every project starts with its default network's
// system routes (its route to the internet, a local route per subnet),
// which GCE lists with the cluster's; the test fails if any of them is
// changed or gone at its end: the provider must never touch them.
func guardSystemRoutes(t testing.TB, ts *fakecompute.TestServer) {
	start := map[string][]string{}
	for path, items := range ts.Dump() {
		if strings.HasSuffix(path, "/global/routes") {
			for _, it := range items {
				start[path] = append(start[path], string(it))
			}
		}
	}
	if len(start) == 0 {
		t.Fatal("the emulator made no system routes")
	}
	t.Cleanup(func() {
		now := ts.Dump()
		for path, items := range start {
			have := map[string]bool{}
			for _, it := range now[path] {
				have[string(it)] = true
			}
			for _, it := range items {
				if !have[it] {
					t.Errorf("system route changed or gone in %s: %s", path, it)
				}
			}
		}
	})
}
