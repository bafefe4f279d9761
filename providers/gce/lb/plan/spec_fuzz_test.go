package plan

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fuzzPorts decodes ports from bytes, three per port: the protocol
// (TCP, UDP, SCTP, or none) and a 16-bit port number, so the fuzzer can
// reach duplicates, 0, 65535 and mixed protocols.
func fuzzPorts(b []byte) []v1.ServicePort {
	var out []v1.ServicePort
	for i := 0; i+2 < len(b) && len(out) < 256; i += 3 {
		proto := [...]v1.Protocol{v1.ProtocolTCP, v1.ProtocolUDP, v1.ProtocolSCTP, ""}[b[i]%4]
		out = append(out, v1.ServicePort{Protocol: proto, Port: int32(b[i+1])<<8 | int32(b[i+2])})
	}
	return out
}

// FuzzSpecOf: a Service is written by any user who may create one. Any
// Service either is refused with an InputError naming the field or
// annotation and the reason, or gives a Spec the planner can build from
// without checking again: a known tier, one rule per protocol (TCP or UDP,
// TCP first) whose port range covers exactly its ports, at most 100
// firewall port entries, IPv4 source ranges and requested IP, and a real
// health-check port for externalTrafficPolicy Local.
func FuzzSpecOf(f *testing.F) {
	type seed struct {
		tier, ranges, lbType, legacyType, ip, specRanges, families string
		ports                                                      []byte
		local                                                      bool
		hcPort                                                     int32
		affinity                                                   bool
	}
	for _, s := range []seed{
		{ports: []byte{0, 0, 80}},
		{tier: "Standard", ports: []byte{0, 0, 80, 0, 1, 187, 1, 0, 53}},
		{tier: "Gold", ports: []byte{0, 0, 80}},
		{ranges: "10.0.0.0/8, 192.168.0.0/16", ports: []byte{0, 0, 80}},
		{ranges: "everyone", ports: []byte{0, 0, 80}},
		{specRanges: "10.0.0.0/33", ports: []byte{0, 0, 80}},
		{specRanges: "::/0", ports: []byte{0, 0, 80}},
		{lbType: "Internal", ports: []byte{0, 0, 80}},
		{legacyType: "INTERNAL", lbType: "External", ports: []byte{0, 0, 80}},
		{lbType: "Regional", ports: []byte{0, 0, 80}},
		{ip: "34.118.0.1", ports: []byte{0, 0, 80}},
		{ip: "::1", ports: []byte{0, 0, 80}},
		{ip: "1.2.3", ports: []byte{0, 0, 80}},
		{local: true, hcPort: 30000, ports: []byte{0, 0, 80}},
		{local: true, hcPort: 0, ports: []byte{0, 0, 80}},
		{local: true, hcPort: 70000, ports: []byte{0, 0, 80}},
		{affinity: true, ports: []byte{1, 0, 53}},
		{ports: []byte{2, 0, 7}},
		{ports: []byte{3, 0, 80}},
		{ports: nil},
		{ports: []byte{0, 0, 0}},
		{ports: []byte{0, 255, 255, 0, 0, 1}},
		{families: "IPv6", ports: []byte{0, 0, 80}},
		{families: "IPv4,IPv6", ports: []byte{0, 0, 80}},
	} {
		f.Add(s.tier, s.ranges, s.lbType, s.legacyType, s.ip, s.specRanges, s.families, s.ports, s.local, s.hcPort, s.affinity)
	}
	f.Fuzz(func(t *testing.T, tier, ranges, lbType, legacyType, ip, specRanges, families string, ports []byte, local bool, hcPort int32, affinity bool) {
		svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web", Annotations: map[string]string{}},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: fuzzPorts(ports), LoadBalancerIP: ip, HealthCheckNodePort: hcPort}}
		for k, v := range map[string]string{AnnNetworkTier: tier, AnnSourceRanges: ranges, AnnLBType: lbType, AnnLBTypeLegacy: legacyType} {
			if v != "" {
				svc.Annotations[k] = v
			}
		}
		if specRanges != "" {
			svc.Spec.LoadBalancerSourceRanges = strings.Split(specRanges, ",")
		}
		for _, fam := range strings.Split(families, ",") {
			if fam != "" {
				svc.Spec.IPFamilies = append(svc.Spec.IPFamilies, v1.IPFamily(fam))
			}
		}
		if local {
			svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
		}
		if affinity {
			svc.Spec.SessionAffinity = v1.ServiceAffinityClientIP
		}
		s, err := SpecOf(svc)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field == "" || ie.Reason == "" {
				t.Fatalf("refusal %v is not an InputError naming a field and a reason", err)
			}
			return
		}
		if s.Tier != "PREMIUM" && s.Tier != "STANDARD" {
			t.Fatalf("tier %q", s.Tier)
		}
		if err := checkRules(svc.Spec.Ports, s.Rules); err != nil {
			t.Fatalf("ports %v: %v", svc.Spec.Ports, err)
		}
		for _, r := range s.SourceRanges {
			if p, err := netip.ParsePrefix(r); err != nil || !p.Addr().Is4() {
				t.Fatalf("accepted source range %q", r)
			}
		}
		if s.RequestedIP != "" {
			if a, err := netip.ParseAddr(s.RequestedIP); err != nil || !a.Is4() {
				t.Fatalf("accepted loadBalancerIP %q", s.RequestedIP)
			}
		}
		if s.Local && (s.CheckPort < 1 || s.CheckPort > 65535) {
			t.Fatalf("Local with health-check port %d", s.CheckPort)
		}
	})
}

// checkRules says how a Spec's rules fail to match the Service's ports.
func checkRules(ports []v1.ServicePort, rules []RuleSpec) error {
	want := map[string]map[int]bool{}
	for _, p := range ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		if want[proto] == nil {
			want[proto] = map[int]bool{}
		}
		want[proto][int(p.Port)] = true
	}
	if len(rules) == 0 || len(rules) != len(want) || (len(rules) == 2 && rules[0].Protocol != "TCP") {
		return fmt.Errorf("rules %+v for protocols %v", rules, want)
	}
	for _, r := range rules {
		ps := want[r.Protocol]
		if ps == nil || (r.Protocol != "TCP" && r.Protocol != "UDP") {
			return fmt.Errorf("rule for %q", r.Protocol)
		}
		lo, hi, ok := strings.Cut(r.PortRange, "-")
		a, errA := strconv.Atoi(lo)
		b, errB := strconv.Atoi(hi)
		if !ok || errA != nil || errB != nil || a < 1 || a > b || b > 65535 {
			return fmt.Errorf("port range %q", r.PortRange)
		}
		if len(r.Ports) > 100 {
			return fmt.Errorf("%d firewall port entries", len(r.Ports))
		}
		covered := map[int]bool{}
		for _, e := range r.Ports {
			lo, hi, isRange := strings.Cut(e, "-")
			x, err := strconv.Atoi(lo)
			y := x
			if isRange {
				y, err = strconv.Atoi(hi)
			}
			if err != nil || x < a || y > b || x > y {
				return fmt.Errorf("firewall entry %q outside %s", e, r.PortRange)
			}
			for p := x; p <= y; p++ {
				covered[p] = true
			}
		}
		for p := range ps {
			if !covered[p] {
				return fmt.Errorf("%s port %d not in the firewall entries %v", r.Protocol, p, r.Ports)
			}
		}
		if len(covered) != len(ps) {
			return fmt.Errorf("%s firewall entries %v open ports beyond %v", r.Protocol, r.Ports, ps)
		}
	}
	return nil
}
