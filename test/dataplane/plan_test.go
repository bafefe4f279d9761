package dataplane

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func vm(name string, ip string, running, fwd bool, tags ...string) VM {
	return VM{Path: "projects/p/zones/z/instances/" + name, Name: name, Zone: "z", IP: netip.MustParseAddr(ip),
		Gateway: netip.MustParseAddr("10.128.0.1"), Subnet: netip.MustParsePrefix("10.128.0.0/20"),
		Running: running, CanIPForward: fwd, Tags: tags}
}

func inst(name string) string { return "projects/p/zones/z/instances/" + name }

func TestAssignIndexesKeepsNamesStable(t *testing.T) {
	index := map[string]int{}
	assignIndexes(index, []VM{vm("a", "10.128.0.2", true, false), vm("b", "10.128.0.3", true, false)})
	if index[inst("a")] != 1 || index[inst("b")] != 2 {
		t.Fatalf("first assignment %v", index)
	}
	// a goes, c comes: b keeps 2 (its interface must not be renamed), c takes the freed 1.
	assignIndexes(index, []VM{vm("b", "10.128.0.3", true, false), vm("c", "10.128.0.4", true, false)})
	want := map[string]int{inst("b"): 2, inst("c"): 1}
	if diff := cmp.Diff(want, index); diff != "" {
		t.Fatalf("after churn (-want +got):\n%s", diff)
	}
}

func TestPlanRoutes(t *testing.T) {
	st := State{
		VMs: []VM{vm("a", "10.128.0.2", true, true), vm("b", "10.128.0.3", true, true), vm("stopped", "10.128.0.4", false, true)},
		Routes: []Route{
			{Name: "r-a", Dest: netip.MustParsePrefix("10.64.1.0/24"), Priority: 1000, Instance: inst("a")},
			{Name: "r-b-low", Dest: netip.MustParsePrefix("10.64.1.0/24"), Priority: 900, Instance: inst("b")},
			{Name: "ecmp-1", Dest: netip.MustParsePrefix("10.64.2.0/24"), Priority: 1000, Instance: inst("a")},
			{Name: "ecmp-2", Dest: netip.MustParsePrefix("10.64.2.0/24"), Priority: 1000, IP: netip.MustParseAddr("10.128.0.3")},
			{Name: "to-stopped", Dest: netip.MustParsePrefix("10.64.3.0/24"), Priority: 1000, Instance: inst("stopped")},
			{Name: "to-gone", Dest: netip.MustParsePrefix("10.64.4.0/24"), Priority: 1000, Instance: inst("gone")},
			{Name: "tagged", Dest: netip.MustParsePrefix("10.64.5.0/24"), Priority: 1000, Instance: inst("a"), Tags: []string{"x"}},
			{Name: "internet", Dest: netip.MustParsePrefix("0.0.0.0/0"), Priority: 1000, Internet: true},
			{Name: "local-pods", Dest: netip.MustParsePrefix("10.20.0.0/16"), Local: true},
			{Name: "ilb", Dest: netip.MustParsePrefix("10.64.6.0/24"), Priority: 1000, Other: "nextHopIlb"},
		},
	}
	p := MakePlan(st, map[string]int{}, func(string, string, string) bool { return true })
	var got []string
	for _, r := range p.Routes {
		got = append(got, r.describe(map[int]string{1: "a", 2: "b", 3: "stopped"}))
	}
	want := []string{
		"0.0.0.0/0 metric 1000 internet (internet)",
		// Linux orders by prefix then metric: b's priority 900 wins over a's 1000, as on GCE.
		"10.128.0.0/20 metric 0 blackhole (subnet 10.128.0.0/20)",
		"10.20.0.0/16 metric 0 blackhole (local-pods)",
		"10.64.1.0/24 metric 900 via b (r-b-low)",
		"10.64.1.0/24 metric 1000 via a (r-a)",
		"10.64.2.0/24 metric 1000 via a,b (ecmp-1,ecmp-2)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	ignored := strings.Join(p.Ignored, "\n")
	for _, w := range []string{"route to-stopped: next hop stopped is not running", "route to-gone: next hop gone does not exist",
		"route tagged: tags [x]", "route ilb: nextHopIlb is not modelled"} {
		if !strings.Contains(ignored, w) {
			t.Errorf("ignored does not say %q:\n%s", w, ignored)
		}
	}
	if p.VMs[2].Plugged {
		t.Errorf("a stopped VM is plugged")
	}
}

func TestPlanLoadBalancerHealth(t *testing.T) {
	pool := "projects/p/regions/r/targetPools/pool"
	check := "projects/p/global/httpHealthChecks/hc"
	st := State{
		VMs:             []VM{vm("a", "10.128.0.2", true, true), vm("b", "10.128.0.3", true, true), vm("c", "10.128.0.4", false, true)},
		ForwardingRules: []ForwardingRule{{Name: "fr", IP: netip.MustParseAddr("34.118.0.5"), Protocol: "TCP", Pool: pool}},
		Pools:           map[string]TargetPool{pool: {Path: pool, Name: "pool", Instances: []string{inst("a"), inst("b"), inst("c")}, Checks: []string{check}}},
	}
	cases := []struct {
		name     string
		healthy  map[string]bool
		targets  []int
		fallback string
	}{
		{"one healthy", map[string]bool{"a": true}, []int{1}, ""},
		{"both healthy; the stopped VM never", map[string]bool{"a": true, "b": true, "c": true}, []int{1, 2}, ""},
		{"none healthy: every running member", nil, []int{1, 2}, "no healthy member: all members"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := MakePlan(st, map[string]int{}, func(_, c, v string) bool { return c == check && tc.healthy[lastSeg(v)] })
			lb := p.LBs[0]
			if diff := cmp.Diff(tc.targets, lb.Targets); diff != "" || lb.Fallback != tc.fallback {
				t.Errorf("targets (-want +got):\n%s fallback %q", diff, lb.Fallback)
			}
			// Every member, healthy or not, may receive and answer for the LB's IP.
			if len(p.VMs[0].Serves) != 1 || len(p.VMs[1].Serves) != 1 {
				t.Errorf("serves: %v %v", p.VMs[0].Serves, p.VMs[1].Serves)
			}
		})
	}
}

func TestRulesetFirewallAndAntiSpoof(t *testing.T) {
	st := State{
		VMs: []VM{vm("a", "10.128.0.2", true, false, "node"), vm("b", "10.128.0.3", true, true, "other")},
		Firewalls: []Firewall{
			{Name: "allow-web", Ingress: true, Priority: 1000, TargetTags: []string{"node"},
				SourceRanges: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}, Allowed: []PortRule{{Protocol: "tcp", Ports: []PortRange{{80, 80}, {8000, 8100}}}}},
			{Name: "deny-bad", Ingress: true, Priority: 1000, SourceRanges: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.1.2.3/32")},
				Denied: []PortRule{{Protocol: "all"}}},
			{Name: "from-other", Ingress: true, Priority: 500, SourceTags: []string{"other"}, TargetTags: []string{"node"}, Allowed: []PortRule{{Protocol: "icmp"}}},
			{Name: "off", Ingress: true, Priority: 1, Disabled: true, Allowed: []PortRule{{Protocol: "all"}}},
		},
	}
	rs := Ruleset(st, MakePlan(st, map[string]int{}, nil))
	toA := section(rs, "chain to_vm1 {")
	for _, want := range []string{
		"ip daddr != { 10.128.0.2 } counter name antispoof_in_a drop",
		// GCE's order: priority, then deny before allow at the same priority.
		"ip saddr { 10.128.0.3 } meta l4proto icmp counter name fw_from-other return",
		"ip saddr { 10.0.0.0/8 } counter name fw_deny-bad drop", // the /32 inside the /8 is folded
		"meta l4proto tcp th dport { 80, 8000-8100 } counter name fw_allow-web return",
		"counter name fw_implied_deny_ingress drop",
	} {
		if !strings.Contains(toA, want) {
			t.Errorf("to_vm1 lacks %q:\n%s", want, toA)
		}
	}
	if strings.Index(toA, "fw_from-other") > strings.Index(toA, "fw_deny-bad") || strings.Index(toA, "fw_deny-bad") > strings.Index(toA, "fw_allow-web") {
		t.Errorf("rules out of GCE's order:\n%s", toA)
	}
	if strings.Contains(rs, "fw_off") && strings.Contains(toA, "fw_off") {
		t.Errorf("a disabled rule is applied")
	}
	// b forwards: no anti-spoof in either direction.
	if strings.Contains(rs, "antispoof_in_b drop") || strings.Contains(rs, "antispoof_out_b drop") {
		t.Errorf("anti-spoof applied to a VM with canIpForward:\n%s", rs)
	}
}

func TestRulesetLoadBalancerSteering(t *testing.T) {
	pool := "projects/p/regions/r/targetPools/pool"
	st := State{
		VMs:             []VM{vm("a", "10.128.0.2", true, false), vm("b", "10.128.0.3", true, false)},
		ForwardingRules: []ForwardingRule{{Name: "fr", IP: netip.MustParseAddr("34.118.0.5"), Protocol: "TCP", Ports: []PortRange{{80, 80}}, Pool: pool}},
		Pools:           map[string]TargetPool{pool: {Path: pool, Instances: []string{inst("a"), inst("b")}, SessionAffinity: "CLIENT_IP"}},
	}
	rs := Ruleset(st, MakePlan(st, map[string]int{}, nil))
	for _, want := range []string{
		"ip daddr 34.118.0.5 meta l4proto tcp th dport { 80 } counter name nlb_fr meta mark set jhash ip saddr . ip daddr mod 2 seed " + hashSeed + " map { 0 : 1001, 1 : 1002 } ct mark set meta mark",
		"ct direction original ct mark != 0 meta mark set ct mark accept",
		"ip daddr { 34.118.0.5 } meta mark 0 counter name nlb_no_rule drop",
		// Members receive and answer for the LB's IP without canIpForward.
		"ip saddr != { 10.128.0.2, 34.118.0.5 } counter name antispoof_out_a drop",
	} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
}

func TestKubeProxyRuleset(t *testing.T) {
	cidr := netip.MustParsePrefix("10.64.1.0/24")
	svcs := []Service{
		{Name: "cluster", LBIP: netip.MustParseAddr("34.118.0.5"), Port: 80, TargetPort: 8080, Protocol: "tcp",
			Endpoints: []netip.Addr{netip.MustParseAddr("10.64.1.2"), netip.MustParseAddr("10.64.2.2")}},
		{Name: "local", LBIP: netip.MustParseAddr("34.118.0.6"), Port: 80, TargetPort: 8080, Local: true,
			Endpoints: []netip.Addr{netip.MustParseAddr("10.64.2.2")}},
	}
	rs := kubeProxyRuleset(cidr, svcs)
	for _, want := range []string{
		"ip daddr 34.118.0.5 tcp dport 80 meta mark set meta mark | 0x4000 dnat to numgen random mod 2 map { 0 : 10.64.1.2 . 8080, 1 : 10.64.2.2 . 8080 }",
		"ip daddr 34.118.0.6 tcp dport 80 drop", // Local with no endpoint on this node
		"meta mark & 0x4000 == 0x4000 masquerade",
	} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q:\n%s", want, rs)
		}
	}
}

// section is the text of one chain of a ruleset.
func section(rs, start string) string {
	i := strings.Index(rs, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(rs[i:], "\n\t}")
	return rs[i : i+j]
}

func TestPlanBackupPool(t *testing.T) {
	primary, backup := "projects/p/regions/r/targetPools/primary", "projects/p/regions/r/targetPools/backup"
	check := "projects/p/global/httpHealthChecks/hc"
	st := State{
		VMs:             []VM{vm("a", "10.128.0.2", true, true), vm("b", "10.128.0.3", true, true), vm("c", "10.128.0.4", true, true)},
		ForwardingRules: []ForwardingRule{{Name: "fr", IP: netip.MustParseAddr("34.118.0.5"), Protocol: "TCP", Pool: primary}},
		Pools: map[string]TargetPool{
			primary: {Path: primary, Instances: []string{inst("a"), inst("b")}, Checks: []string{check}, Backup: backup, FailoverRatio: 0.5},
			backup:  {Path: backup, Instances: []string{inst("c")}, Checks: []string{check}},
		},
	}
	// One of two primary members healthy: 0.5 is at the ratio, so the backup takes over.
	p := MakePlan(st, map[string]int{}, func(pool, _, v string) bool { return lastSeg(v) != "b" })
	if lb := p.LBs[0]; len(lb.Targets) != 1 || lb.Targets[0] != 3 || !strings.Contains(lb.Fallback, "backup") {
		t.Errorf("at the failover ratio: targets %v (%s), want the backup's c", lb.Targets, lb.Fallback)
	}
	if len(p.VMs[2].Serves) != 1 {
		t.Errorf("the backup member may not answer for the rule's IP: %v", p.VMs[2].Serves)
	}
	// Both healthy: the primary keeps the traffic.
	p = MakePlan(st, map[string]int{}, func(string, string, string) bool { return true })
	if lb := p.LBs[0]; len(lb.Targets) != 2 || lb.Fallback != "" {
		t.Errorf("all healthy: targets %v (%s)", lb.Targets, lb.Fallback)
	}
}

// Alias IP ranges are the VM's own: routed to it like its address, and
// neither direction is spoofing, without canIpForward.
func TestAliasRanges(t *testing.T) {
	a := vm("a", "10.128.0.2", true, false)
	a.Aliases = []netip.Prefix{netip.MustParsePrefix("10.64.9.0/24")}
	st := State{VMs: []VM{a, vm("b", "10.128.0.3", true, false)}}
	p := MakePlan(st, map[string]int{}, nil)
	found := false
	for _, r := range p.Routes {
		if r.describe(map[int]string{1: "a", 2: "b"}) == "10.64.9.0/24 metric 0 via a (alias of a)" {
			found = true
		}
	}
	if !found {
		t.Errorf("no route for a's alias range: %+v", p.Routes)
	}
	rs := Ruleset(st, p)
	for _, want := range []string{"ip saddr != { 10.64.9.0/24, 10.128.0.2 } counter name antispoof_out_a drop",
		"ip daddr != { 10.64.9.0/24, 10.128.0.2 } counter name antispoof_in_a drop"} {
		if !strings.Contains(rs, want) {
			t.Errorf("ruleset lacks %q", want)
		}
	}
}
