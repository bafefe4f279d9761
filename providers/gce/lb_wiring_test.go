package gce

import (
	"context"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The provider hands the load balancer its dependencies: config (region,
// network, node tags), the API client, the cluster id from Kubernetes and
// the event recorder. The behaviour itself is tested in package lb.
func TestLoadBalancerIsWired(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, func(c *Config) { c.NodeTags = []string{"from-conf"} })
	ctx := context.Background()
	cm := &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "ingress-uid"}, Data: map[string]string{"uid": "cid"}}
	if _, err := e.kube.CoreV1().ConfigMaps("kube-system").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node := e.addNode(t, "node-a", "us-central1-a")
	lbs, ok := e.cloud.LoadBalancer()
	if !ok {
		t.Fatal("the provider offers no LoadBalancer interface")
	}
	svc := lbtest.Service("web")
	st, err := lbs.EnsureLoadBalancer(ctx, "prod", svc, []*v1.Node{node})
	if err != nil || len(st.Ingress) != 1 {
		t.Fatalf("EnsureLoadBalancer: %+v, %v", st, err)
	}
	name := lbs.GetLoadBalancerName(ctx, "prod", svc)
	if r, err := e.cloud.api.GetForwardingRule(ctx, "us-central1", name); err != nil || r.GetIPAddress() != st.Ingress[0].IP {
		t.Errorf("forwarding rule %s in the config's region: %v, %v", name, r, err)
	}
	if fw, err := e.cloud.api.GetFirewall(ctx, "k8s-fw-"+name); err != nil || len(fw.GetTargetTags()) != 1 || fw.GetTargetTags()[0] != "from-conf" ||
		fw.GetNetwork() != e.cloud.cfg.NetworkURL {
		t.Errorf("firewall not on the config's network and node tags: %v, %v", fw, err)
	}
	if _, err := e.cloud.api.GetHTTPHealthCheck(ctx, "k8s-cid-node"); err != nil {
		t.Errorf("shared check not named with the cluster id from Kubernetes: %v", err)
	}
}

// One VM inventory per process: the list the node metadata was served
// from also gives the load balancer its node tags, and it is the one the
// provider hands to the controllers gce-ccm adds (cmd's ipforward wiring).
func TestOneVMInventory(t *testing.T) {
	e := newTestEnv(t, fakecompute.Options{}, nil)
	ctx := context.Background()
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "node-a", Zone: "us-central1-a", Tags: []string{"node"}}); err != nil {
		t.Fatal(err)
	}
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-a", UID: "uid-node-a"}, Spec: v1.NodeSpec{ProviderID: "gce://demo/us-central1-a/node-a"}}
	e.gce.ResetStats()
	if _, err := e.cloud.InstanceMetadata(ctx, node); err != nil {
		t.Fatal(err)
	}
	lbs, _ := e.cloud.LoadBalancer()
	svc := lbtest.Service("web")
	if _, err := lbs.EnsureLoadBalancer(ctx, "prod", svc, []*v1.Node{node}); err != nil {
		t.Fatal(err)
	}
	if fw, err := e.cloud.api.GetFirewall(ctx, "k8s-fw-"+lbs.GetLoadBalancerName(ctx, "prod", svc)); err != nil || !slices.Equal(fw.GetTargetTags(), []string{"node"}) {
		t.Fatalf("firewall targets %v, %v; want the tag derived from the VM", fw.GetTargetTags(), err)
	}
	if n := e.gce.Stats().Calls["compute.instances.aggregatedList"]; n != 1 {
		t.Errorf("%d lists of the project's VMs for node metadata and a load balancer, want 1", n)
	}
}
