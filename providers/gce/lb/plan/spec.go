package plan

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"

	v1 "k8s.io/api/core/v1"
)

// The load balancer a Service asks for, read and checked before anything
// is observed or written: a Service GCE cannot serve is refused whole.

// maxFirewallPorts is how many port entries one firewall rule may hold.
const maxFirewallPorts = 100

// Spec is a Service's request, checked and normalised.
type Spec struct {
	Service      string // namespace/name
	Tier         string // PREMIUM or STANDARD
	Rules        []RuleSpec
	Affinity     string // NONE or CLIENT_IP
	Local        bool   // externalTrafficPolicy Local
	CheckPort    int64  // spec.healthCheckNodePort when Local
	RequestedIP  string // spec.loadBalancerIP
	SourceRanges []string
}

// RuleSpec is one protocol's share of the Service: one forwarding rule and
// one allowed[] entry of the firewall.
type RuleSpec struct {
	Protocol  string   // TCP or UDP
	PortRange string   // "min-max" over the Service ports of this protocol
	Ports     []string // the ports collapsed into ranges, for the firewall
}

// mixed says whether the Service needs a rule per protocol on one IP.
func (s Spec) mixed() bool { return len(s.Rules) > 1 }

// InputError is a Service field GCE cannot serve: the field and why.
type InputError struct {
	Field, Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// SpecOf checks a Service and reads what its load balancer must be.
func SpecOf(svc *v1.Service) (Spec, error) {
	s := Spec{Service: ServiceKey(svc), Affinity: "NONE"}
	// The kind of load balancer first: nothing else matters if we would
	// build the wrong one.
	switch internal, err := TypeOf(svc); {
	case err != nil:
		return s, err
	case internal:
		// EnsureLoadBalancer routes internal Services to package ilb.
		return s, &InputError{Field: "annotation " + AnnLBType, Reason: "Internal is served by the internal load balancer, never by an external one"}
	}
	for _, key := range []string{AnnInternalGlobalAccess, AnnInternalSubnet} {
		if _, ok := svc.Annotations[key]; ok {
			return s, &InputError{Field: "annotation " + key, Reason: "applies to internal load balancers only; this Service asks for an external one"}
		}
	}
	if err := IPFamiliesOf(svc); err != nil {
		return s, err
	}
	var err error
	if s.Tier, err = networkTierOf(svc); err != nil {
		return s, err
	}
	if s.Rules, err = rulesOf(svc.Spec.Ports); err != nil {
		return s, err
	}
	if s.SourceRanges, err = sourceRangesOf(svc); err != nil {
		return s, err
	}
	if ip := svc.Spec.LoadBalancerIP; ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return s, &InputError{Field: "spec.loadBalancerIP", Reason: fmt.Sprintf("%q is not an IPv4 address", ip)}
		}
		s.RequestedIP = a.String()
	}
	if svc.Spec.SessionAffinity == v1.ServiceAffinityClientIP {
		s.Affinity = "CLIENT_IP"
	}
	if svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal {
		s.Local, s.CheckPort = true, int64(svc.Spec.HealthCheckNodePort)
		if s.CheckPort <= 0 || s.CheckPort > 65535 {
			return s, &InputError{Field: "spec.healthCheckNodePort", Reason: fmt.Sprintf("%d is not a port; externalTrafficPolicy Local needs one", s.CheckPort)}
		}
	}
	return s, nil
}

// rulesOf groups the Service ports by protocol, TCP first.
func rulesOf(ports []v1.ServicePort) ([]RuleSpec, error) {
	if len(ports) == 0 {
		return nil, &InputError{Field: "spec.ports", Reason: "a load balancer needs at least one port"}
	}
	byProto := map[string][]int{}
	for i, p := range ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		if proto != "TCP" && proto != "UDP" {
			return nil, &InputError{Field: fmt.Sprintf("spec.ports[%d].protocol", i),
				Reason: fmt.Sprintf("%s is not supported by GCE network load balancers (target pools): use TCP or UDP", proto)}
		}
		// The API server keeps a Service's ports within 1-65535, but the
		// plan must not rely on it: port 0 would become the range "0-0",
		// which GCE refuses only after the address and pool are written.
		if p.Port < 1 || p.Port > 65535 {
			return nil, &InputError{Field: fmt.Sprintf("spec.ports[%d].port", i), Reason: fmt.Sprintf("%d is not a port (1-65535)", p.Port)}
		}
		byProto[proto] = append(byProto[proto], int(p.Port))
	}
	var out []RuleSpec
	total := 0
	for _, proto := range []string{"TCP", "UDP"} {
		nums := byProto[proto]
		if len(nums) == 0 {
			continue
		}
		ranges := collapsePorts(nums)
		total += len(ranges)
		lo, hi := ranges[0][0], ranges[len(ranges)-1][1]
		out = append(out, RuleSpec{Protocol: proto, PortRange: fmt.Sprintf("%d-%d", lo, hi), Ports: renderRanges(ranges)})
	}
	if total > maxFirewallPorts {
		return nil, &InputError{Field: "spec.ports", Reason: fmt.Sprintf("the ports make %d separate ranges even collapsed; a GCE firewall rule takes at most %d", total, maxFirewallPorts)}
	}
	return out, nil
}

// collapsePorts sorts ports and merges consecutive ones: 80,81,82,443 ->
// [80 82] [443 443].
func collapsePorts(ports []int) [][2]int {
	rs := make([][2]int, len(ports))
	for i, p := range ports {
		rs[i] = [2]int{p, p}
	}
	return mergeRanges(rs)
}

// mergeRanges sorts inclusive ranges and merges those that overlap or touch.
func mergeRanges(in [][2]int) [][2]int {
	rs := append([][2]int(nil), in...)
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func renderRanges(rs [][2]int) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = strconv.Itoa(r[0])
		if r[1] != r[0] {
			out[i] += "-" + strconv.Itoa(r[1])
		}
	}
	return out
}
