package gce

import (
	"context"
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
