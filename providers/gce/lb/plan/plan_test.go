package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
)

// Table tests of the pure plan: no HTTP. Each scenario starts from a seen
// state, checks the exact actions and their order, then applies them to a
// simulated GCE and checks that planning again finds nothing to do.

const simIP = "203.0.113.10"

func pureInput(t *testing.T, hosts int, opts ...func(*v1.Service)) Input {
	t.Helper()
	svc := lbtest.Service("web", opts...)
	spec, err := SpecOf(svc)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Spec: spec, Names: NamesFor(svc, "cid"), Cluster: "prod", ClusterID: "cid", Project: "p", Region: "r",
		Network: "https://www.googleapis.com/compute/v1/projects/p/global/networks/default", Tags: []string{"node"}}
	for i := 0; i < hosts; i++ {
		in.Hosts = append(in.Hosts, gceref.Instance("p", "r-a", fmt.Sprintf("n%04d", i)).SelfLink())
	}
	in.Seen = Seen{Rules: map[string]*computepb.ForwardingRule{}, Pools: map[string]*computepb.TargetPool{},
		Firewalls: map[string]*computepb.Firewall{}, Checks: map[string]*computev1.HttpHealthCheck{}}
	return in
}

// built is the state after planning from nothing and applying.
func built(t *testing.T, in Input) Seen {
	t.Helper()
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return simulate(in, p)
}

// simulate applies a plan to a copy of in.Seen, as GCE would.
func simulate(in Input, p Plan) Seen {
	s := in.Seen
	out := Seen{Rules: map[string]*computepb.ForwardingRule{}, Pools: map[string]*computepb.TargetPool{},
		Firewalls: map[string]*computepb.Firewall{}, Checks: map[string]*computev1.HttpHealthCheck{}}
	for k, v := range s.Rules {
		out.Rules[k] = proto.Clone(v).(*computepb.ForwardingRule)
	}
	for k, v := range s.Pools {
		out.Pools[k] = proto.Clone(v).(*computepb.TargetPool)
	}
	for k, v := range s.Firewalls {
		out.Firewalls[k] = proto.Clone(v).(*computepb.Firewall)
	}
	for k, v := range s.Checks {
		c := *v
		out.Checks[k] = &c
	}
	out.Addresses = append(out.Addresses, s.Addresses...)
	ip := p.IP
	for _, a := range p.Actions {
		ip = simulateOne(&out, a, ip)
	}
	return out
}

func simulateOne(s *Seen, a Action, ip string) string {
	switch a.Kind {
	case OpReserveAddress:
		addr := proto.Clone(a.Address).(*computepb.Address)
		if addr.GetAddress() == "" {
			addr.Address = proto.String(simIP)
		}
		s.Addresses = append(s.Addresses, addr)
		return addr.GetAddress()
	case OpReleaseAddress:
		var keep []*computepb.Address
		for _, x := range s.Addresses {
			if x.GetName() != a.Name {
				keep = append(keep, x)
			}
		}
		s.Addresses = keep
	case OpCreateFirewall, OpPatchFirewall:
		fw := a.Firewall
		if a.FillIP {
			fw = PinnedTo(fw, ip)
		}
		s.Firewalls[a.Name] = proto.Clone(fw).(*computepb.Firewall)
	case OpDeleteFirewall:
		delete(s.Firewalls, a.Name)
	case OpCreateCheck, OpUpdateCheck:
		c := *a.Check
		s.Checks[a.Name] = &c
	case OpDeleteCheck:
		delete(s.Checks, a.Name)
		delete(s.Firewalls, a.CheckFirewall)
	case OpCreatePool:
		s.Pools[a.Name] = proto.Clone(a.Pool).(*computepb.TargetPool)
	case OpAddInstances, OpRemoveInstances, OpAttachCheck, OpDetachCheck:
		applyToPool(s.Pools[a.Name], a)
	case OpDeletePool:
		delete(s.Pools, a.Name)
	case OpCreateRule:
		r := proto.Clone(a.Rule).(*computepb.ForwardingRule)
		if a.FillIP {
			r.IPAddress = proto.String(ip)
		}
		s.Rules[a.Name] = r
	case OpDeleteRule:
		delete(s.Rules, a.Name)
	case OpSetTarget:
		s.Rules[a.Name].Target = proto.String(a.Ref)
	}
	return ip
}

// applyToPool is what a successful pool write does.
func applyToPool(tp *computepb.TargetPool, a Action) {
	switch a.Kind {
	case OpAddInstances:
		add, _ := DiffMembers(tp.Instances, append(append([]string(nil), tp.Instances...), a.Instances...))
		tp.Instances = append(tp.Instances, add...)
	case OpRemoveInstances:
		keep, _ := DiffMembers(a.Instances, tp.Instances)
		tp.Instances = keep
	case OpAttachCheck:
		tp.HealthChecks = append(tp.HealthChecks, a.Ref)
	case OpDetachCheck:
		var keep []string
		for _, hc := range tp.HealthChecks {
			if hc != a.Ref {
				keep = append(keep, hc)
			}
		}
		tp.HealthChecks = keep
	}
}

func actionStrings(as []Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// depth is the number of sequential operation waits the plan costs.
func depth(as []Action) int {
	level := map[string]int{}
	deepest := 0
	for _, a := range as {
		l := 1
		for _, k := range a.After {
			l = max(l, level[k]+1)
		}
		level[a.Key] = l
		deepest = max(deepest, l)
	}
	return deepest
}

// The names in the scenarios: lb = a + the UID of "web".
var (
	webLB  = NamesFor(lbtest.Service("web"), "cid").LB
	nodeHC = "k8s-cid-node"
	nodeFW = "k8s-cid-node-http-hc"
)

func expand(lines ...string) []string {
	r := strings.NewReplacer("$LB", webLB, "$HC", nodeHC, "$HFW", nodeFW)
	for i, l := range lines {
		lines[i] = r.Replace(l)
	}
	return lines
}

func TestPlanScenarios(t *testing.T) {
	for _, tc := range []struct {
		name  string
		from  []func(*v1.Service) // the Service as built before ("" = nothing built)
		fresh bool                // nothing exists
		to    []func(*v1.Service)
		hosts int
		tweak func(in *Input)
		want  []string
		depth int
	}{{
		name: "create: address, check and pool at once, then firewall, rule, release", fresh: true, hosts: 2,
		want: expand(
			"reserve-address $LB",
			"create-check $HC",
			"create-firewall $HFW",
			"create-firewall k8s-fw-$LB after [reserve-address $LB]",
			"create-pool $LB after [create-check $HC, create-firewall $HFW]",
			"create-rule $LB after [create-pool $LB, create-firewall k8s-fw-$LB, create-firewall $HFW, reserve-address $LB]",
			"release-address $LB after [create-rule $LB]"),
		depth: 4,
	}, {
		name: "create when the shared check exists: four waits, the pool beside the address", fresh: true, hosts: 2,
		tweak: func(in *Input) {
			b := built(t, pureInput(t, 2, lbtest.WithPorts(lbtest.TCP(22))))
			in.Seen.Checks[nodeHC], in.Seen.Firewalls[nodeFW] = b.Checks[nodeHC], b.Firewalls[nodeFW]
		},
		want: expand(
			"reserve-address $LB",
			"create-firewall k8s-fw-$LB after [reserve-address $LB]",
			"create-pool $LB",
			"create-rule $LB after [create-pool $LB, create-firewall k8s-fw-$LB, reserve-address $LB]",
			"release-address $LB after [create-rule $LB]"),
		depth: 4,
	}, {
		name: "nothing changed: nothing to do", hosts: 2, want: nil,
	}, {
		name: "a port inside the range: firewall patched in place, rule kept", from: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(443))},
		to: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(90), lbtest.TCP(443))}, hosts: 2,
		want: expand("patch-firewall k8s-fw-$LB"), depth: 1,
	}, {
		name: "range changed: rule recreated on its IP, reserved for the time", to: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(8080))}, hosts: 2,
		want: expand(
			"reserve-address $LB",
			"patch-firewall k8s-fw-$LB",
			"delete-rule $LB after [reserve-address $LB]",
			"create-rule $LB after [patch-firewall k8s-fw-$LB, reserve-address $LB, delete-rule $LB]",
			"release-address $LB after [delete-rule $LB, create-rule $LB]"),
		depth: 4,
	}, {
		name: "externalTrafficPolicy Cluster to Local: check swapped on the pool, shared check deleted if unused",
		to:   []func(*v1.Service){lbtest.WithLocal(30123)}, hosts: 2,
		want: expand(
			"create-check $LB",
			"create-firewall k8s-$LB-http-hc",
			"detach-check $LB",
			"attach-check $LB after [create-check $LB, create-firewall k8s-$LB-http-hc, detach-check $LB]",
			"delete-check $HC after [detach-check $LB]"),
		depth: 2,
	}, {
		name: "Cluster to Local while other pools use the shared check: kept",
		to:   []func(*v1.Service){lbtest.WithLocal(30123)}, hosts: 2, tweak: func(in *Input) { in.NodesCheckInUse = true },
		want: expand(
			"create-check $LB",
			"create-firewall k8s-$LB-http-hc",
			"detach-check $LB",
			"attach-check $LB after [create-check $LB, create-firewall k8s-$LB-http-hc, detach-check $LB]"),
		depth: 2,
	}, {
		name: "Local to Cluster: shared check attached, own check and firewall deleted",
		from: []func(*v1.Service){lbtest.WithLocal(30123)}, hosts: 2,
		tweak: func(in *Input) {
			b := built(t, pureInput(t, 2, lbtest.WithPorts(lbtest.TCP(22))))
			in.Seen.Checks[nodeHC], in.Seen.Firewalls[nodeFW] = b.Checks[nodeHC], b.Firewalls[nodeFW]
		},
		want: expand(
			"detach-check $LB",
			"attach-check $LB after [detach-check $LB]",
			"delete-check $LB after [detach-check $LB]"),
		depth: 2,
	}, {
		name: "session affinity: a second pool, setTarget, then the first deleted", to: []func(*v1.Service){lbtest.WithAffinity}, hosts: 2,
		want: expand(
			"create-pool $LB-alt",
			"set-target $LB after [create-pool $LB-alt]",
			"delete-pool $LB after [set-target $LB]"),
		depth: 3,
	}, {
		name: "session affinity back: to the first name again", from: []func(*v1.Service){lbtest.WithAffinity}, hosts: 2,
		tweak: func(in *Input) {
			// As left by the swap above: the pool is <lb>-alt.
			tp := in.Seen.Pools[webLB]
			delete(in.Seen.Pools, webLB)
			tp.Name = proto.String(webLB + "-alt")
			in.Seen.Pools[webLB+"-alt"] = tp
			in.Seen.Rules[webLB].Target = proto.String(in.poolURL(webLB + "-alt"))
		},
		want: expand(
			"create-pool $LB",
			"set-target $LB after [create-pool $LB]",
			"delete-pool $LB-alt after [set-target $LB]"),
		depth: 3,
	}, {
		name: "TCP and UDP: a rule each on one address kept reserved", fresh: true, hosts: 2,
		to: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))},
		want: expand(
			"reserve-address $LB",
			"create-check $HC",
			"create-firewall $HFW",
			"create-firewall k8s-fw-$LB after [reserve-address $LB]",
			"create-pool $LB after [create-check $HC, create-firewall $HFW]",
			"create-rule $LB after [create-pool $LB, create-firewall k8s-fw-$LB, create-firewall $HFW, reserve-address $LB]",
			"create-rule $LB-udp after [create-pool $LB, create-firewall k8s-fw-$LB, create-firewall $HFW, reserve-address $LB]"),
		depth: 3,
	}, {
		name: "TCP+UDP back to TCP: UDP rule deleted, address released", from: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))},
		to: []func(*v1.Service){lbtest.WithPorts(lbtest.TCP(53))}, hosts: 2,
		want: expand(
			"patch-firewall k8s-fw-$LB",
			"delete-rule $LB-udp",
			"release-address $LB after [delete-rule $LB-udp]"),
		depth: 2,
	}, {
		name: "nodes added: one addInstance per 1,000", hosts: 2500, tweak: func(in *Input) {},
		want: expand(
			"add-instances $LB",
			"add-instances $LB #2 after [add-instances $LB]",
			"add-instances $LB #3 after [add-instances $LB #2]"),
		depth: 3,
	}, {
		name: "a node gone", hosts: 1,
		want: expand("remove-instances $LB"), depth: 1,
	}, {
		name: "a crash left the address reserved: released", hosts: 2,
		tweak: func(in *Input) {
			in.Seen.Addresses = []*computepb.Address{{Name: proto.String(webLB), Address: proto.String(simIP), NetworkTier: proto.String(tierPremium),
				Description: proto.String(serviceDescription("default/web", "prod"))}}
		},
		want: expand("release-address $LB"), depth: 1,
	}, {
		name: "network tier to Standard: rule remade on a new Standard address",
		to:   []func(*v1.Service){lbtest.WithAnnotation(AnnNetworkTier, "Standard")}, hosts: 2,
		want: expand(
			"reserve-address $LB",
			"patch-firewall k8s-fw-$LB after [reserve-address $LB]",
			"delete-rule $LB after [reserve-address $LB]",
			"create-rule $LB after [patch-firewall k8s-fw-$LB, reserve-address $LB, delete-rule $LB]",
			"release-address $LB after [delete-rule $LB, create-rule $LB]"),
		depth: 4,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := pureInput(t, tc.hosts, tc.to...)
			if !tc.fresh {
				from := pureInput(t, 2, tc.from...)
				in.Seen = built(t, from)
			}
			if tc.tweak != nil {
				tc.tweak(&in)
			}
			p, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, actionStrings(p.Actions), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
			if got := depth(p.Actions); got != tc.depth {
				t.Errorf("depth %d, want %d", got, tc.depth)
			}
			// Convergence: once applied, there is nothing left to do.
			in.Seen = simulate(in, p)
			again, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Actions) > 0 {
				t.Errorf("after applying, the plan is not empty:\n%s", strings.Join(actionStrings(again.Actions), "\n"))
			}
		})
	}
}

func TestPlanRefusals(t *testing.T) {
	foreignDesc := `{"kubernetes.io/service-name":"other/svc"}`
	for _, tc := range []struct {
		name  string
		to    []func(*v1.Service)
		tweak func(in *Input)
		want  string
	}{{
		name: "a firewall of another Service under our name",
		tweak: func(in *Input) {
			in.Seen.Firewalls[in.Names.Firewall] = &computepb.Firewall{Name: proto.String(in.Names.Firewall), Description: proto.String(foreignDesc)}
		},
		want: "firewall k8s-fw-" + webLB + " exists but belongs to someone else",
	}, {
		name: "a pool of another cluster",
		tweak: func(in *Input) {
			in.Seen.Pools[webLB] = &computepb.TargetPool{Name: proto.String(webLB), Description: proto.String(serviceDescription("default/web", "prod-2"))}
		},
		want: "target pool " + webLB + " exists but belongs to someone else",
	}, {
		name: "an IP neither reserved nor ours", to: []func(*v1.Service){lbtest.WithIP("34.118.9.9")},
		want: "spec.loadBalancerIP: 34.118.9.9 is neither a static address reserved in region r nor the current IP",
	}, {
		name: "a reserved IP of the other tier", to: []func(*v1.Service){lbtest.WithIP("35.206.0.7")},
		tweak: func(in *Input) {
			in.Seen.Addresses = []*computepb.Address{{Name: proto.String("mine"), Address: proto.String("35.206.0.7"), NetworkTier: proto.String(tierStandard)}}
		},
		want: "spec.loadBalancerIP: address mine (35.206.0.7) is in the STANDARD network tier but the Service asks for PREMIUM",
	}, {
		name: "a reserved IP another load balancer uses", to: []func(*v1.Service){lbtest.WithIP("34.118.0.7")},
		tweak: func(in *Input) {
			in.Seen.Addresses = []*computepb.Address{{Name: proto.String("mine"), Address: proto.String("34.118.0.7"), NetworkTier: proto.String(tierPremium),
				Users: []string{"https://www.googleapis.com/compute/v1/projects/p/regions/r/forwardingRules/other"}}}
		},
		want: "spec.loadBalancerIP: address mine (34.118.0.7) is already used by https://www.googleapis.com/compute/v1/projects/p/regions/r/forwardingRules/other",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := pureInput(t, 2, tc.to...)
			if tc.tweak != nil {
				tc.tweak(&in)
			}
			_, err := Build(in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestPlanUserAddress(t *testing.T) {
	in := pureInput(t, 2, lbtest.WithIP("34.118.0.7"))
	in.Seen.Addresses = []*computepb.Address{{Name: proto.String("mine"), Address: proto.String("34.118.0.7"), NetworkTier: proto.String(tierPremium)}}
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range p.Actions {
		if a.Kind == OpReserveAddress || a.Kind == OpReleaseAddress {
			t.Errorf("a user's address is never reserved or released by us: %s", a)
		}
		if a.Kind == OpCreateRule && a.Rule.GetIPAddress() != "34.118.0.7" {
			t.Errorf("rule on %q", a.Rule.GetIPAddress())
		}
	}
	// The Service then drops loadBalancerIP: the rule stays on the user's
	// address, which is still never released.
	in.Seen = simulate(in, p)
	next := pureInput(t, 2)
	next.Seen = in.Seen
	again, err := Build(next)
	if err != nil || len(again.Actions) > 0 {
		t.Fatalf("plan %v, %v; want nothing", actionStrings(again.Actions), err)
	}
}

func TestPlanUpstreamAdoption(t *testing.T) {
	// Objects as the upstream provider writes them: no cluster name, its
	// health-check descriptions naming the check itself.
	in := pureInput(t, 2)
	in.Seen = built(t, in)
	up := fmt.Sprintf(`{"kubernetes.io/service-name":%q}`, "default/web")
	in.Seen.Rules[webLB].Description = proto.String(up)
	in.Seen.Pools[webLB].Description = proto.String(up)
	in.Seen.Firewalls["k8s-fw-"+webLB].Description = proto.String(fmt.Sprintf(`{"kubernetes.io/service-name":"default/web","kubernetes.io/service-ip":%q}`, simIP))
	in.Seen.Checks[nodeHC].Description = fmt.Sprintf(`{"kubernetes.io/service-name":%q}`, nodeHC)
	in.Seen.Firewalls[nodeFW].Description = proto.String(`{"kubernetes.io/cluster-id":"cid"}`)
	p, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	want := expand("update-check $HC", "patch-firewall $HFW", "patch-firewall k8s-fw-$LB")
	if d := cmp.Diff(want, actionStrings(p.Actions)); d != "" {
		t.Errorf("adoption rewrites only descriptions (-want +got):\n%s", d)
	}
}

func TestPlanKeepsRaisedCheckValues(t *testing.T) {
	in := pureInput(t, 2)
	in.Seen = built(t, in)
	hc := in.Seen.Checks[nodeHC]
	hc.CheckIntervalSec, hc.UnhealthyThreshold, hc.TimeoutSec = 30, 5, 5
	if p, _ := Build(in); len(p.Actions) != 0 {
		t.Errorf("raised values rewritten: %v", actionStrings(p.Actions))
	}
	hc.CheckIntervalSec, hc.HealthyThreshold = 2, 4 // lowered interval, raised threshold
	p, _ := Build(in)
	if len(p.Actions) != 1 || p.Actions[0].Kind != OpUpdateCheck {
		t.Fatalf("plan %v", actionStrings(p.Actions))
	}
	got := p.Actions[0].Check
	if got.CheckIntervalSec != 8 || got.HealthyThreshold != 4 || got.UnhealthyThreshold != 5 || got.TimeoutSec != 5 {
		t.Errorf("check %+v: want interval back to 8, the raised values kept", got)
	}
}

func TestPlanDelete(t *testing.T) {
	in := pureInput(t, 2, lbtest.WithLocal(30123))
	in.Seen = built(t, in)
	// The shared check of other Services is there too.
	b := built(t, pureInput(t, 2, lbtest.WithPorts(lbtest.TCP(22))))
	in.Seen.Checks[nodeHC], in.Seen.Firewalls[nodeFW] = b.Checks[nodeHC], b.Firewalls[nodeFW]
	in.Seen.Addresses = []*computepb.Address{{Name: proto.String(webLB), Address: proto.String(simIP), Description: proto.String(serviceDescription("default/web", "prod"))}}
	want := expand(
		"delete-rule $LB",
		"delete-pool $LB after [delete-rule $LB]",
		"delete-check $LB after [delete-pool $LB, delete-rule $LB]",
		"delete-check $HC after [delete-pool $LB, delete-rule $LB]",
		"delete-firewall k8s-fw-$LB after [delete-check $LB, delete-check $HC, delete-pool $LB, delete-rule $LB]",
		"release-address $LB after [delete-rule $LB]")
	if d := cmp.Diff(want, actionStrings(Delete(in, false))); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A Service with a class: only what this cluster made through gce-ccm.
	up := `{"kubernetes.io/service-name":"default/web"}`
	in.Seen.Rules[webLB].Description = proto.String(up)
	in.Seen.Pools[webLB].Description = proto.String(up)
	for _, a := range Delete(in, true) {
		if a.Name == webLB && (a.Kind == OpDeleteRule || a.Kind == OpDeletePool) {
			t.Errorf("strict deletion touched an upstream-made object: %s", a)
		}
	}
}

func TestSpecRefusals(t *testing.T) {
	many := make([]v1.ServicePort, 0, 101)
	for i := 0; i < 101; i++ {
		many = append(many, lbtest.TCP(int32(1000+2*i)))
	}
	for _, tc := range []struct {
		name string
		opt  func(*v1.Service)
		want string
	}{
		{"SCTP", lbtest.WithPorts(lbtest.TCP(80), v1.ServicePort{Protocol: v1.ProtocolSCTP, Port: 9}), "spec.ports[1].protocol: SCTP is not supported"},
		{"no ports", lbtest.WithPorts(), "spec.ports: a load balancer needs at least one port"},
		{"101 port ranges", lbtest.WithPorts(many...), "spec.ports: the ports make 101 separate ranges even collapsed; a GCE firewall rule takes at most 100"},
		{"bad range", lbtest.WithRanges("10.0.0.0/8", "10.1.2.3/40"), `spec.loadBalancerSourceRanges[1]: "10.1.2.3/40" is not a CIDR range`},
		{"IPv6 range", lbtest.WithRanges("2001:db8::/32"), "spec.loadBalancerSourceRanges[0]: \"2001:db8::/32\" is IPv6"},
		{"bad range annotation", lbtest.WithAnnotation(AnnSourceRanges, "10.0.0.0/8, nope"), "annotation service.beta.kubernetes.io/load-balancer-source-ranges[1]: \"nope\" is not a CIDR range"},
		{"unknown tier", lbtest.WithAnnotation(AnnNetworkTier, "Gold"), `annotation cloud.google.com/network-tier: "Gold" is not a network tier: use Premium or Standard`},
		{"bad IP", lbtest.WithIP("1.2.3"), `spec.loadBalancerIP: "1.2.3" is not an IPv4 address`},
		{"Local without port", lbtest.WithLocal(0), "spec.healthCheckNodePort: 0 is not a port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SpecOf(lbtest.Service("web", tc.opt))
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want an InputError containing %q", err, tc.want)
			}
		})
	}
	// 200 ports that collapse into ranges are fine.
	var collapsible []v1.ServicePort
	for i := 0; i < 200; i++ {
		collapsible = append(collapsible, lbtest.TCP(int32(2000+i)))
	}
	s, err := SpecOf(lbtest.Service("web", lbtest.WithPorts(collapsible...)))
	if err != nil || len(s.Rules) != 1 || s.Rules[0].PortRange != "2000-2199" || len(s.Rules[0].Ports) != 1 {
		t.Fatalf("spec %+v, %v", s, err)
	}
}

func TestFirewallDriftCanonical(t *testing.T) {
	have := &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("TCP"), Ports: []string{"80", "81", "82", "443"}}},
		SourceRanges: []string{"10.0.0.1/8"}, DestinationRanges: []string{"34.118.0.1"}, TargetTags: []string{"b", "a"}, Priority: proto.Int32(1000)}
	want := &computepb.Firewall{Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80-82", "443"}}},
		SourceRanges: []string{"10.0.0.0/8"}, DestinationRanges: []string{"34.118.0.1/32"}, TargetTags: []string{"a", "b"}, Priority: proto.Int32(1000)}
	if d := FirewallDrift(have, want, true); len(d) != 0 {
		t.Errorf("equal rules in other spellings reported as drift: %v", d)
	}
	want.SourceRanges = []string{"10.0.0.0/16"}
	if d := FirewallDrift(have, want, true); !cmp.Equal(d, []string{"sourceRanges"}) {
		t.Errorf("drift %v", d)
	}
}
