package orphans_test

import (
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// upstreamLB makes what the upstream provider leaves of a Service's
// external load balancer: pool, rule and firewall under <lb>, described
// with the Service's name and no cluster, the pool using check.
func (e *env) upstreamLB(t *testing.T, lb, service, check string) {
	t.Helper()
	desc := proto.String(ownership.Description{ServiceName: service}.String())
	net := "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default"
	for _, err := range []error{
		e.api.InsertTargetPool(e.ctx, region, &computepb.TargetPool{Name: proto.String(lb), Description: desc,
			HealthChecks: []string{"https://www.googleapis.com/compute/v1/projects/demo/global/httpHealthChecks/" + check}}),
		e.api.InsertForwardingRule(e.ctx, region, &computepb.ForwardingRule{Name: proto.String(lb), Description: desc,
			IPProtocol: proto.String("TCP"), PortRange: proto.String("80-80"), LoadBalancingScheme: proto.String("EXTERNAL"),
			Target: proto.String("https://www.googleapis.com/compute/v1/projects/demo/regions/us-central1/targetPools/" + lb)}),
		e.api.InsertFirewall(e.ctx, &computepb.Firewall{Name: proto.String("k8s-fw-" + lb), Description: desc, Network: proto.String(net),
			Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80"}}}, SourceRanges: []string{"0.0.0.0/0"}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A load balancer upstream made for a Service of this cluster that is
// gone (nothing of gce-ccm's under its name) is collected when its pool
// uses this cluster's shared check k8s-<id>-node: the id ties it to the
// cluster. The same left by another cluster (its pool on that cluster's
// check) and an upstream pool with no check are left.
func TestCollectsUpstreamLoadBalancersOfThisCluster(t *testing.T) {
	e := newEnv(t)
	before := e.lookAlikes()
	web := service("web") // keeps the shared check k8s-<id>-node in use and existing
	e.build(web, true)
	e.settled()
	if err := e.api.InsertHTTPHealthCheck(e.ctx, &compute.HttpHealthCheck{Name: "k8s-fedcba9876543210-node",
		Description: ownership.Description{ServiceName: "k8s-fedcba9876543210-node"}.String(), Port: 10256}); err != nil {
		t.Fatal(err)
	}
	ours, theirs := "a1111111111111111111111111111111", "a2222222222222222222222222222222"
	e.upstreamLB(t, ours, "default/migrated", "k8s-"+clusterID+"-node")
	e.upstreamLB(t, theirs, "default/migrated", "k8s-fedcba9876543210-node") // the same Service name in another cluster
	kept := union(before, objectsOf(web), map[string][]string{
		"httpHealthChecks": {"k8s-" + clusterID + "-node", "k8s-fedcba9876543210-node"}, "firewalls": {"k8s-" + clusterID + "-node-http-hc", "k8s-fw-" + theirs},
		"targetPools": {theirs}, "forwardingRules": {theirs}})

	got := e.pass()
	if !contains(got, "wait lb "+ours+" of default/migrated (upstream-made, tied by the cluster id): the Service is gone") {
		t.Fatalf("first pass:\n%s", strings.Join(got, "\n"))
	}
	if contains(got, "wait lb "+theirs) {
		t.Fatalf("another cluster's upstream load balancer is a candidate:\n%s", strings.Join(got, "\n"))
	}
	e.now = e.now.Add(grace)
	e.pass()
	if diff := cmp.Diff(kept, e.names()); diff != "" {
		t.Fatalf("after the grace period (-want +got):\n%s", diff)
	}
}
