package ilb_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

const (
	group      = "k8s-ig--" + clusterID
	sharedHC   = "k8s-" + clusterID + "-node"
	sharedHCFw = "k8s-" + clusterID + "-node-hc"
)

// TestCreateAndDelete: an internal Service gets exactly the expected
// objects, an IP from the cluster's subnetwork, a second sync writes
// nothing, and deletion leaves nothing.
func TestCreateAndDelete(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	lb := lbName(svc)
	r := e.ensure(svc)
	ip, err := netip.ParseAddr(r.IP)
	if err != nil || !netip.MustParsePrefix("10.128.0.0/20").Contains(ip) {
		t.Fatalf("IP %q is not from the subnetwork 10.128.0.0/20", r.IP)
	}
	want := []string{
		"group us-central1-a/" + group + " [node-a1 node-a2]",
		"group us-central1-b/" + group + " [node-b1]",
		"backend " + lb + " TCP NONE check=" + sharedHC + " [zones/us-central1-a/instanceGroups/" + group + " zones/us-central1-b/instanceGroups/" + group + "]",
		"check " + sharedHC + " HTTP:10256/healthz",
		"firewall " + sharedHCFw + " [tcp:10256] from [130.211.0.0/22 35.191.0.0/16] to [] tags [k8s-node]",
		"firewall k8s-fw-" + lb + " [tcp:80] from [0.0.0.0/0] to [" + r.IP + "/32] tags [k8s-node]",
		"rule " + lb + " INTERNAL TCP " + r.IP + ":80 -> " + lb + " global=false",
	}
	if d := cmp.Diff(want, e.state()); d != "" {
		t.Fatalf("objects (-want +got):\n%s", d)
	}
	e.gce.ResetStats()
	if again := e.ensure(svc); len(again.Actions) != 0 || again.IP != r.IP || e.mutations() != 0 {
		t.Fatalf("second sync: %d steps, IP %s, %d writes", len(again.Actions), again.IP, e.mutations())
	}
	if ipNow, exists, err := e.c.Status(e.ctx, svc, lb, clusterID); err != nil || !exists || ipNow != r.IP {
		t.Fatalf("status: %s %v %v", ipNow, exists, err)
	}
	e.delete(svc)
	if got := e.state(); len(got) != 0 {
		t.Fatalf("left after deletion: %v", got)
	}
	if _, exists, err := e.c.Status(e.ctx, svc, lb, clusterID); err != nil || exists {
		t.Fatalf("status after deletion: %v %v", exists, err)
	}
	e.delete(svc) // idempotent
}

// TestTrafficPolicyFlip: Cluster → Local swaps the backend service's check
// for the Service's own on healthCheckNodePort (one patch, the rule and
// its IP untouched) and removes the shared check nobody uses; and back.
func TestTrafficPolicyFlip(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	lb := lbName(svc)
	ip := e.ensure(svc).IP
	e.ensure(service("web", withLocal(30123)))
	got := strings.Join(e.state(), "\n")
	for _, want := range []string{"check=" + lb + " ", "check " + lb + " HTTP:30123/healthz", "firewall " + lb + "-hc [tcp:30123]", "rule " + lb + " INTERNAL TCP " + ip + ":80"} {
		if !strings.Contains(got, want) {
			t.Errorf("after the flip to Local, no %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, sharedHC) {
		t.Errorf("the shared check stays though nothing uses it:\n%s", got)
	}
	e.ensure(svc)
	got = strings.Join(e.state(), "\n")
	if !strings.Contains(got, "check="+sharedHC) || strings.Contains(got, "check "+lb) || !strings.Contains(got, ip+":80") {
		t.Errorf("after the flip back to Cluster:\n%s", got)
	}
}

// TestSharedObjectsOutliveOneService: two internal Services share the
// groups and the node check; deleting one keeps them, deleting the last
// removes them.
func TestSharedObjectsOutliveOneService(t *testing.T) {
	e := newEnv(t)
	web, api := service("web"), service("api")
	e.ensure(web)
	e.ensure(api)
	e.delete(web)
	got := strings.Join(e.state(), "\n")
	for _, want := range []string{"group us-central1-a/" + group, "check " + sharedHC, "firewall " + sharedHCFw} {
		if !strings.Contains(got, want) {
			t.Errorf("deleting one Service removed %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, lbName(web)) {
		t.Errorf("left of web:\n%s", got)
	}
	e.delete(api)
	if got := e.state(); len(got) != 0 {
		t.Fatalf("left after deleting both: %v", got)
	}
}

// TestSessionAffinityPatchesBackend: one patch of the backend service.
func TestSessionAffinityPatchesBackend(t *testing.T) {
	e := newEnv(t)
	ip := e.ensure(service("web")).IP
	e.gce.ResetStats()
	r := e.ensure(service("web", func(s *v1.Service) { s.Spec.SessionAffinity = v1.ServiceAffinityClientIP }))
	if len(r.Actions) != 1 || r.IP != ip || e.gce.Stats().Calls["compute.regionBackendServices.patch"] != 1 {
		t.Fatalf("affinity change: %d steps, IP %s (was %s), calls %v", len(r.Actions), r.IP, ip, e.gce.Stats().Calls)
	}
	if !strings.Contains(strings.Join(e.state(), "\n"), " TCP CLIENT_IP ") {
		t.Fatalf("affinity not set: %v", e.state())
	}
}

// TestNodesFollowZones: a node added in a new zone gets a group there and
// the backend service gains it; a node removed leaves its group.
func TestNodesFollowZones(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	e.ensure(svc)
	e.addNodes("us-central1-c", "node-c1")
	e.hosts[zoneA] = e.hosts[zoneA][:1] // node-a2 is no longer eligible
	e.ensure(svc)
	got := strings.Join(e.state(), "\n")
	for _, want := range []string{"group us-central1-a/" + group + " [node-a1]", "group us-central1-c/" + group + " [node-c1]",
		"zones/us-central1-c/instanceGroups/" + group + "]"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
}

// TestTCPAndUDPShareOneIP: two rules and two backend services on one
// address of purpose SHARED_LOADBALANCER_VIP; more than 5 ports take all
// ports.
func TestTCPAndUDPShareOneIP(t *testing.T) {
	e := newEnv(t)
	svc := service("dns", withPorts(port(v1.ProtocolTCP, 53), port(v1.ProtocolUDP, 53),
		port(v1.ProtocolUDP, 1), port(v1.ProtocolUDP, 2), port(v1.ProtocolUDP, 3), port(v1.ProtocolUDP, 4), port(v1.ProtocolUDP, 5)))
	lb := lbName(svc)
	ip := e.ensure(svc).IP
	got := strings.Join(e.state(), "\n")
	for _, want := range []string{"rule " + lb + " INTERNAL TCP " + ip + ":53 -> " + lb, "rule " + lb + "-udp INTERNAL UDP " + ip + ":all -> " + lb + "-udp",
		"address " + lb + " INTERNAL " + ip + " SHARED_LOADBALANCER_VIP", "backend " + lb + "-udp UDP"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in\n%s", want, got)
		}
	}
	e.delete(svc)
	if got := e.state(); len(got) != 0 {
		t.Fatalf("left after deletion: %v", got)
	}
}

// TestRequestedIP: spec.loadBalancerIP as the user's reserved internal
// address (kept on deletion) or as a free IP of the subnetwork.
func TestRequestedIP(t *testing.T) {
	e := newEnv(t)
	if err := e.api.InsertAddress(e.ctx, region, &computepb.Address{Name: proto.String("mine"), AddressType: proto.String("INTERNAL"),
		Address: proto.String("10.128.0.50")}); err != nil {
		t.Fatal(err)
	}
	svc := service("web", func(s *v1.Service) { s.Spec.LoadBalancerIP = "10.128.0.50" })
	if ip := e.ensure(svc).IP; ip != "10.128.0.50" {
		t.Fatalf("IP %s, want the reserved 10.128.0.50", ip)
	}
	free := service("api", func(s *v1.Service) { s.Spec.LoadBalancerIP = "10.128.0.60" })
	if ip := e.ensure(free).IP; ip != "10.128.0.60" {
		t.Fatalf("IP %s, want 10.128.0.60", ip)
	}
	e.delete(svc)
	e.delete(free)
	if got := e.state(); len(got) != 1 || !strings.HasPrefix(got[0], "address mine ") {
		t.Fatalf("after deletion: %v (the user's address must stay, nothing else)", got)
	}
}

// TestBadInputChangesNothing: each refusal names the field, and no GCE
// object is written.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	taken := service("taken", func(s *v1.Service) { s.Spec.LoadBalancerIP = "10.128.0.70" })
	e.ensure(taken)
	vm, err := e.api.GetInstance(e.ctx, "demo", zoneA, "node-a1")
	if err != nil {
		t.Fatal(err)
	}
	vmIP := vm.GetNetworkInterfaces()[0].GetNetworkIP()
	// Another Service's shared VIP, reserved before its rules exist.
	if err := e.api.InsertAddress(e.ctx, region, &computepb.Address{Name: proto.String("aother"), AddressType: proto.String("INTERNAL"),
		Purpose: proto.String("SHARED_LOADBALANCER_VIP"), Address: proto.String("10.128.0.80"),
		Description: proto.String(ownership.Description{ServiceName: "default/other", ClusterName: cluster}.String())}); err != nil {
		t.Fatal(err)
	}
	before := e.state()
	withIP := func(ip string) func(*v1.Service) { return func(s *v1.Service) { s.Spec.LoadBalancerIP = ip } }
	cases := []struct {
		name, field string
		svc         *v1.Service
		want        string
	}{
		{"IP of a VM", "spec.loadBalancerIP", service("x", withIP(vmIP)), vmIP + " is the internal IP of VM node-a1 (" + zoneA + ")"},
		{"IP reserved for another Service", "spec.loadBalancerIP", service("x", withIP("10.128.0.80")),
			"10.128.0.80 is held by address aother, reserved for Service default/other"},
		{"IP of another Service's rule", "spec.loadBalancerIP", service("x", withIP("10.128.0.70")),
			"10.128.0.70 is already used by forwarding rule " + lbName(taken)},
		{"SCTP", "spec.ports[0].protocol", service("x", withPorts(port(v1.ProtocolSCTP, 80))), ""},
		{"missing subnetwork", "annotation " + ilb.AnnSubnet, service("x", withAnnotation(ilb.AnnSubnet, "nope")), ""},
		{"subnetwork of another region", "annotation " + ilb.AnnSubnet, service("x", withAnnotation(ilb.AnnSubnet, "projects/demo/regions/europe-west1/subnetworks/default")), ""},
		{"IP outside the subnetwork", "spec.loadBalancerIP", service("x", func(s *v1.Service) { s.Spec.LoadBalancerIP = "192.168.1.1" }), ""},
		{"global access not a bool", "annotation " + ilb.AnnGlobalAccess, service("x", withAnnotation(ilb.AnnGlobalAccess, "maybe")), ""},
		{"IPv6 source range", "spec.loadBalancerSourceRanges[0]", service("x", func(s *v1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"fd00::/8"} }), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.gce.ResetStats()
			_, err := e.c.Ensure(e.ctx, e.request(tc.svc))
			var ie *ilb.InputError
			if !errors.As(err, &ie) || ie.Field != tc.field || !strings.Contains(ie.Reason, tc.want) {
				t.Fatalf("got %v, want an input error on %s saying %q", err, tc.field, tc.want)
			}
			if n := e.mutations(); n != 0 {
				t.Fatalf("%d writes for a refused Service", n)
			}
		})
	}
	if d := cmp.Diff(before, e.state()); d != "" {
		t.Fatalf("refusals changed the state (-before +after):\n%s", d)
	}
}

// TestGlobalAccessAndSubnet: the annotations reach the rule; a change of
// global access is one forwardingRules.patch: the rule keeps its id and IP.
func TestGlobalAccessAndSubnet(t *testing.T) {
	e := newEnv(t)
	svc := func(global string) *v1.Service {
		return service("web", withAnnotation(ilb.AnnSubnet, "default"), withAnnotation(ilb.AnnGlobalAccess, global))
	}
	ip := e.ensure(svc("false")).IP
	name := lbName(service("web"))
	before, err := e.api.GetForwardingRule(e.ctx, region, name)
	if err != nil {
		t.Fatal(err)
	}
	for _, global := range []string{"true", "false"} {
		e.gce.ResetStats()
		r := e.ensure(svc(global))
		if r.IP != ip || !strings.Contains(strings.Join(e.state(), "\n"), ip+":80 -> "+name+" global="+global) {
			t.Fatalf("global access %s: IP %s (was %s)\n%v", global, r.IP, ip, e.state())
		}
		if st := e.gce.Stats(); st.Mutations != 1 || st.Calls["compute.forwardingRules.patch"] != 1 {
			t.Errorf("global access %s: writes %v; want one forwardingRules.patch", global, st.Calls)
		}
		after, err := e.api.GetForwardingRule(e.ctx, region, name)
		if err != nil || after.GetId() != before.GetId() {
			t.Fatalf("global access %s: the rule was replaced (id %d, was %d): %v", global, after.GetId(), before.GetId(), err)
		}
	}
}
