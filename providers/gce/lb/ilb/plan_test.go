package ilb

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The plan as readable strings: what a sync writes, in order, for a given
// Service and what exists. No HTTP here.

const (
	tProject = "https://www.googleapis.com/compute/v1/projects/demo"
	tZoneA   = "us-central1-a"
)

func tInput(spec Spec, hosts map[string][]string) Input {
	if spec.Service == "" {
		spec.Service = "default/web"
	}
	if spec.Affinity == "" {
		spec.Affinity = "NONE"
	}
	if spec.Protocols == nil {
		spec.Protocols = []plan.ProtocolPorts{{Protocol: "TCP", Ports: []int{80}, Ranges: []string{"80"}}}
	}
	if spec.SourceRanges == nil {
		spec.SourceRanges = []string{DefaultSourceRange}
	}
	return Input{Spec: spec, Names: NamesFor("aweb", "cid"), Cluster: "prod", ClusterID: "cid", Project: "demo", Region: "us-central1",
		Network: tProject + "/global/networks/default", Subnet: tProject + "/regions/us-central1/subnetworks/default", Hosts: hosts,
		Tags: []string{"node"}, Seen: Seen{Groups: map[string]*Group{}, Backends: map[string]*computepb.BackendService{},
			Checks: map[string]*computepb.HealthCheck{}, Firewalls: map[string]*computepb.Firewall{}, Rules: map[string]*computepb.ForwardingRule{},
			CheckUsers: map[gceref.Key][]string{}, GroupUsers: map[gceref.Key][]string{}}}
}

func vms(zone string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s/zones/%s/instances/vm-%04d", tProject, zone, i)
	}
	return out
}

func steps(t *testing.T, in Input) []string {
	t.Helper()
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(p.Actions))
	for i, a := range p.Actions {
		out[i] = a.String()
	}
	return append(out, p.Warnings...)
}

func TestPlanCreate(t *testing.T) {
	in := tInput(Spec{}, map[string][]string{tZoneA: vms(tZoneA, 2), "us-central1-b": vms("us-central1-b", 1)})
	want := []string{
		"create-group k8s-ig--cid in us-central1-a",
		"add-members k8s-ig--cid in us-central1-a (2: vm-0000,vm-0001)",
		"create-group k8s-ig--cid in us-central1-b",
		"add-members k8s-ig--cid in us-central1-b (1: vm-0000)",
		"create-check k8s-cid-node",
		"create-backend aweb",
		"create-rule aweb",
		"create-firewall k8s-fw-aweb",
		"create-firewall k8s-cid-node-hc",
	}
	if d := cmp.Diff(want, steps(t, in)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// TestPlanGroupLimit: 2,500 nodes in a zone: the group holds the first
// 1,000 by name, added in one batch, and a warning names the limit; never
// a silent cut.
func TestPlanGroupLimit(t *testing.T) {
	in := tInput(Spec{}, map[string][]string{tZoneA: vms(tZoneA, 2500)})
	got := steps(t, in)
	if got[1] != "add-members k8s-ig--cid in us-central1-a (1000: "+strings.Join(shortNames(vms(tZoneA, 1000)), ",")+")" {
		t.Errorf("members step: %.120s", got[1])
	}
	if w := got[len(got)-1]; !strings.Contains(w, "2500 eligible nodes") || !strings.Contains(w, "at most 1000") || !strings.Contains(w, "1500 nodes") {
		t.Errorf("warning: %q", w)
	}
}

// TestPlanTrafficPolicyFlip: Cluster to Local on an existing load
// balancer: the Service's check and firewall, one patch of the backend
// service, and the shared check goes only if nobody else uses it.
func TestPlanTrafficPolicyFlip(t *testing.T) {
	hosts := map[string][]string{tZoneA: vms(tZoneA, 1)}
	in := tInput(Spec{ServiceSpec: plan.ServiceSpec{Local: true, CheckPort: 30123}}, hosts)
	in.Seen.Groups[tZoneA] = &Group{Group: &computepb.InstanceGroup{}, Members: vms(tZoneA, 1)}
	in.Seen.Backends["aweb"] = &computepb.BackendService{Name: proto.String("aweb"), Protocol: proto.String("TCP"), SessionAffinity: proto.String("NONE"),
		Fingerprint: proto.String("fp"), HealthChecks: []string{in.checkURL("k8s-cid-node")},
		Backends: []*computepb.Backend{{Group: proto.String(in.groupURL(tZoneA))}}, Description: proto.String(serviceDescription(in))}
	in.Seen.Rules["aweb"] = &computepb.ForwardingRule{Name: proto.String("aweb"), LoadBalancingScheme: proto.String("INTERNAL"), IPProtocol: proto.String("TCP"),
		Ports: []string{"80"}, BackendService: proto.String(in.backendURL("aweb")), Subnetwork: proto.String(in.Subnet), IPAddress: proto.String("10.0.0.9"),
		Description: proto.String(serviceDescription(in))}
	in.Seen.Checks["k8s-cid-node"] = &computepb.HealthCheck{Name: proto.String("k8s-cid-node"), Description: proto.String(sharedDescription(in))}
	in.Seen.Firewalls["k8s-cid-node-hc"] = &computepb.Firewall{Name: proto.String("k8s-cid-node-hc"), Description: proto.String(sharedDescription(in))}
	fw := &computepb.Firewall{Name: proto.String("k8s-fw-aweb"), Description: proto.String(serviceDescription(in)), SourceRanges: []string{"0.0.0.0/0"},
		DestinationRanges: []string{"10.0.0.9/32"}, TargetTags: []string{"node"}, Priority: proto.Int32(1000), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80"}}}}
	in.Seen.Firewalls["k8s-fw-aweb"] = fw
	want := []string{"create-check aweb", "patch-backend aweb", "create-firewall aweb-hc", "delete-check k8s-cid-node", "delete-firewall k8s-cid-node-hc"}
	if d := cmp.Diff(want, steps(t, in)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	// Another Service's backend service still uses the shared check.
	in.Seen.CheckUsers[gceref.GlobalKey("demo", "healthChecks", "k8s-cid-node")] = []string{"aother"}
	want = want[:3]
	if d := cmp.Diff(want, steps(t, in)); d != "" {
		t.Fatalf("shared check in use (-want +got):\n%s", d)
	}
}

// TestPlanRefusesForeignObjects: an object under our names that another
// Service or cluster made is never changed.
func TestPlanRefusesForeignObjects(t *testing.T) {
	in := tInput(Spec{}, map[string][]string{tZoneA: vms(tZoneA, 1)})
	in.Seen.Backends["aweb"] = &computepb.BackendService{Name: proto.String("aweb"),
		Description: proto.String(`{"kubernetes.io/service-name":"default/web","kubernetes.io/cluster-name":"prod-2"}`)}
	if _, err := Build(in); err == nil || !strings.Contains(err.Error(), "backend service aweb") {
		t.Fatalf("got %v, want a conflict on the backend service", err)
	}
	in = tInput(Spec{}, map[string][]string{tZoneA: vms(tZoneA, 1)})
	in.Seen.Rules["aweb"] = &computepb.ForwardingRule{Name: proto.String("aweb"), LoadBalancingScheme: proto.String("EXTERNAL"),
		Description: proto.String(serviceDescription(in))}
	var ext *ExternalExistsError
	if _, err := Build(in); !errors.As(err, &ext) || ext.Rule != "aweb" {
		t.Fatalf("got %v, want the external rule reported", err)
	}
}

// TestSpecPorts: up to 5 ports are listed, more take all ports; TCP comes
// first; the firewall lists every port, consecutive ones as a range. The
// grouping is package plan's, shared with the external load balancer.
func TestSpecPorts(t *testing.T) {
	ports := func(proto v1.Protocol, nums ...int32) []v1.ServicePort {
		var out []v1.ServicePort
		for _, n := range nums {
			out = append(out, v1.ServicePort{Port: n, Protocol: proto})
		}
		return out
	}
	svc := func(ps []v1.ServicePort) *v1.Service {
		s := &v1.Service{Spec: v1.ServiceSpec{Ports: ps}}
		s.Name, s.Namespace = "web", "default"
		return s
	}
	spec, err := SpecOf(svc(append(ports(v1.ProtocolUDP, 53), ports(v1.ProtocolTCP, 6, 5, 4, 3, 2, 1, 443)...)))
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.ProtocolPorts{{Protocol: "TCP", Ports: []int{1, 2, 3, 4, 5, 6, 443}, Ranges: []string{"1-6", "443"}},
		{Protocol: "UDP", Ports: []int{53}, Ranges: []string{"53"}}}
	if d := cmp.Diff(want, spec.Protocols); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if got := rulePorts(spec.Protocols[0]); got != nil {
		t.Errorf("7 TCP ports listed on the rule as %v; want all ports", got)
	}
	if got := rulePorts(spec.Protocols[1]); !cmp.Equal(got, []string{"53"}) {
		t.Errorf("UDP rule ports %v", got)
	}
	for _, tc := range []struct {
		name  string
		ports []v1.ServicePort
		want  string
	}{
		{"none", nil, "spec.ports: a load balancer needs at least one port"},
		{"port 0", ports(v1.ProtocolTCP, 80, 0), "spec.ports[1].port: 0 is not a port (1-65535)"},
		{"SCTP", ports(v1.ProtocolSCTP, 80), "spec.ports[0].protocol: SCTP is not supported by GCE internal passthrough load balancers"},
	} {
		var ie *InputError
		if _, err := SpecOf(svc(tc.ports)); !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want an InputError containing %q", tc.name, err, tc.want)
		}
	}
}
