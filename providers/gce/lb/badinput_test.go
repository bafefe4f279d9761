package lb

import (
	"context"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Input GCE cannot serve is refused before any write: the error names the
// field and the reason (the service controller shows it as a Warning), we
// record our own Warning event, and the emulator sees no mutation at all.
func TestLBRefusesBadInput(t *testing.T) {
	ports := make([]v1.ServicePort, 0, 101)
	for i := 0; i < 101; i++ {
		ports = append(ports, lbtest.TCP(int32(1000+2*i)))
	}
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) // before stats are reset
		svc    *v1.Service
		reason string
		want   string
	}{
		{name: "SCTP", svc: lbtest.Service("web", lbtest.WithPorts(lbtest.TCP(80), v1.ServicePort{Protocol: v1.ProtocolSCTP, Port: 7})),
			reason: reasonInvalid, want: "spec.ports[1].protocol: SCTP is not supported by GCE network load balancers"},
		{name: "port 0", svc: lbtest.Service("web", lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(0))),
			reason: reasonInvalid, want: "spec.ports[1].port: 0 is not a port (1-65535)"},
		{name: "more port ranges than a firewall rule takes", svc: lbtest.Service("web", lbtest.WithPorts(ports...)),
			reason: reasonInvalid, want: "spec.ports: the ports make 101 separate ranges even collapsed; a GCE firewall rule takes at most 100"},
		{name: "malformed source range", svc: lbtest.Service("web", lbtest.WithRanges("10.0.0.0/8", "10.0.0.0/33")),
			reason: reasonInvalid, want: `spec.loadBalancerSourceRanges[1]: "10.0.0.0/33" is not a CIDR range`},
		{name: "malformed source-range annotation", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnSourceRanges, "everyone")),
			reason: reasonInvalid, want: `annotation service.beta.kubernetes.io/load-balancer-source-ranges[0]: "everyone" is not a CIDR range`},
		{name: "unknown network tier", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnNetworkTier, "Gold")),
			reason: reasonInvalid, want: `annotation cloud.google.com/network-tier: "Gold" is not a network tier`},
		{name: "loadBalancerIP of the wrong tier",
			setup: func(t *testing.T, e *lbTestEnv, _ []*v1.Node) { reserve(t, e, "std", "STANDARD") },
			svc:   lbtest.Service("web", lbtest.WithIP("35.206.0.1")), reason: reasonInvalid,
			want: "spec.loadBalancerIP: address std (35.206.0.1) is in the STANDARD network tier but the Service asks for PREMIUM"},
		{name: "loadBalancerIP owned by another load balancer",
			setup: func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) {
				ip := reserve(t, e, "shared", "PREMIUM")
				e.ensure(t, lbtest.Service("other", lbtest.WithIP(ip)), nodes)
			},
			svc: lbtest.Service("web", lbtest.WithIP("34.118.0.1")), reason: reasonInvalid,
			want: "spec.loadBalancerIP: address shared (34.118.0.1) is already used by"},
		{name: "loadBalancerIP neither reserved nor ours", svc: lbtest.Service("web", lbtest.WithIP("34.118.7.7")), reason: reasonInvalid,
			want: "spec.loadBalancerIP: 34.118.7.7 is neither a static address reserved in region us-central1 nor the current IP of this load balancer"},
		{name: "a name taken by another cluster",
			setup: func(t *testing.T, e *lbTestEnv, _ []*v1.Node) {
				n := plan.NamesFor(lbtest.Service("web"), testClusterID)
				if err := e.api.InsertTargetPool(context.Background(), "us-central1", &computepb.TargetPool{Name: proto.String(n.LB),
					Description: proto.String(ownership.Description{ServiceName: "default/web", ClusterName: "prod-2"}.String())}); err != nil {
					t.Fatal(err)
				}
			},
			svc: lbtest.Service("web"), reason: reasonConflict, want: "target pool " + plan.NamesFor(lbtest.Service("web"), "").LB + " exists but belongs to someone else"},
		{name: "an existing load balancer changed to SCTP",
			setup: func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) { e.ensure(t, lbtest.Service("web"), nodes) },
			svc:   lbtest.Service("web", lbtest.WithPorts(v1.ServicePort{Protocol: v1.ProtocolSCTP, Port: 80})), reason: reasonInvalid,
			want: "spec.ports[0].protocol: SCTP is not supported"},
		{name: "internal, SCTP", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithPorts(v1.ServicePort{Protocol: v1.ProtocolSCTP, Port: 7})),
			reason: reasonInvalid, want: "spec.ports[0].protocol: SCTP is not supported by GCE internal passthrough load balancers"},
		{name: "internal, port 0", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(0))),
			reason: reasonInvalid, want: "spec.ports[1].port: 0 is not a port (1-65535)"},
		{name: "internal, more port ranges than a firewall rule takes", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithPorts(ports...)),
			reason: reasonInvalid, want: "spec.ports: the ports make 101 separate ranges even collapsed; a GCE firewall rule takes at most 100"},
		{name: "internal, legacy key, any case, IPv6", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBTypeLegacy, "INTERNAL"), withFamilies(nil, v1.IPv6Protocol)),
			reason: reasonInvalid, want: "spec.ipFamilies[0]: IPv6 is not served"},
		{name: "internal, a subnetwork that does not exist",
			svc:    lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithAnnotation(plan.AnnInternalSubnet, "nope")),
			reason: reasonInvalid, want: `annotation networking.gke.io/internal-load-balancer-subnet: subnetwork "nope" does not exist in region us-central1`},
		{name: "internal, loadBalancerIP of a VM",
			setup: func(t *testing.T, e *lbTestEnv, _ []*v1.Node) {
				if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "db", Zone: "us-central1-b", NetworkIP: "10.128.0.77"}); err != nil {
					t.Fatal(err)
				}
			},
			svc:    lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithIP("10.128.0.77")),
			reason: reasonInvalid, want: "spec.loadBalancerIP: 10.128.0.77 is the internal IP of VM db (us-central1-b)"},
		{name: "global access on an external Service", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnInternalGlobalAccess, "true")),
			reason: reasonInvalid, want: "annotation networking.gke.io/internal-load-balancer-allow-global-access: applies to internal load balancers only"},
		{name: "unknown load balancer type", svc: lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Regional")),
			reason: reasonInvalid, want: `annotation networking.gke.io/load-balancer-type: "Regional" is not a load balancer type gce-ccm serves`},
		{name: "IPv6 only", svc: lbtest.Service("web", withFamilies(nil, v1.IPv6Protocol)),
			reason: reasonInvalid, want: "spec.ipFamilies[0]: IPv6 is not served"},
		{name: "dual-stack preferred", svc: lbtest.Service("web", withFamilies(ptrTo(v1.IPFamilyPolicyPreferDualStack), v1.IPv4Protocol, v1.IPv6Protocol)),
			reason: reasonInvalid, want: "spec.ipFamilies[1]: IPv6 is not served"},
		{name: "dual-stack required", svc: lbtest.Service("web", withFamilies(ptrTo(v1.IPFamilyPolicyRequireDualStack), v1.IPv4Protocol)),
			reason: reasonInvalid, want: "spec.ipFamilyPolicy: RequireDualStack needs an IPv6 load balancer"},
		{name: "an existing load balancer switched to Internal with a loadBalancerIP outside the subnetwork",
			setup: func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) { e.ensure(t, lbtest.Service("web"), nodes) },
			svc:   lbtest.Service("web", lbtest.WithAnnotation(plan.AnnLBType, "Internal"), lbtest.WithIP("192.168.9.9")), reason: reasonInvalid,
			want: "spec.loadBalancerIP: 192.168.9.9 is outside the subnetwork"},
		{name: "an existing load balancer given a bad source range",
			setup: func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) { e.ensure(t, lbtest.Service("web"), nodes) },
			svc:   lbtest.Service("web", lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(443)), lbtest.WithRanges("1.2.3.4/24", "::/0")), reason: reasonInvalid,
			want: `spec.loadBalancerSourceRanges[1]: "::/0" is IPv6`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLBTestEnv(t, fakecompute.Options{}, nil)
			nodes := e.seedNodes(t, "us-central1-a", 0, 2)
			if tc.setup != nil {
				tc.setup(t, e, nodes)
			}
			before := e.lbState(t)
			e.gce.ResetStats()
			_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, tc.svc, nodes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want it to contain %q", err, tc.want)
			}
			if st := e.gce.Stats(); st.Mutations != 0 {
				t.Errorf("refused input still wrote: %v", st.Calls)
			}
			if d := cmp.Diff(before, e.lbState(t)); d != "" {
				t.Errorf("GCE changed:\n%s", d)
			}
			msg := e.waitEvent(t, tc.svc, tc.reason)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("event %q; want it to contain %q", msg, tc.want)
			}
			if kept := "an existing load balancer stays as it is until this is resolved"; tc.reason == reasonInvalid && !strings.Contains(msg, kept) {
				t.Errorf("event %q does not say the load balancer is kept", msg)
			}
		})
	}
}

func TestLBRefusesUnderivableNodeTags(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "vm-1", Zone: "us-central1-a", Tags: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	node := &v1.Node{Spec: v1.NodeSpec{ProviderID: "gce://demo/us-central1-a/vm-1"}}
	node.Name = "vm-1"
	svc := lbtest.Service("web")
	e.gce.ResetStats()
	_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, svc, []*v1.Node{node})
	want := "node tags: VM vm-1 has no network tag that is a prefix of its name"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v", err)
	}
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("wrote %v", st.Calls)
	}
	e.waitEvent(t, svc, reasonInvalid)
}

func TestLBRefusesNoNodes(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	e.gce.ResetStats()
	if _, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, lbtest.Service("web"), nil); err == nil || !strings.Contains(err.Error(), "no node VM") {
		t.Fatalf("error %v", err)
	}
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("wrote %v", st.Calls)
	}
}

// reserve makes a user's static address and returns its IP.
func reserve(t *testing.T, e *lbTestEnv, name, tier string) string {
	t.Helper()
	ctx := context.Background()
	if err := e.api.InsertAddress(ctx, "us-central1", &computepb.Address{Name: proto.String(name), NetworkTier: proto.String(tier)}); err != nil {
		t.Fatal(err)
	}
	a, err := e.api.GetAddress(ctx, "us-central1", name)
	if err != nil {
		t.Fatal(err)
	}
	return a.GetAddress()
}

func withFamilies(policy *v1.IPFamilyPolicy, fams ...v1.IPFamily) func(*v1.Service) {
	return func(s *v1.Service) { s.Spec.IPFamilyPolicy, s.Spec.IPFamilies = policy, fams }
}

func ptrTo[T any](v T) *T { return &v }
