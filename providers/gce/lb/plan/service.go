package plan

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// What a Service asks of a load balancer of either kind, read and checked
// one way: the external Spec and the internal one (package ilb) embed
// ServiceSpec, so a Service field means the same and is refused the same
// for both.

// maxFirewallPorts is how many port entries one firewall rule may hold;
// both kinds put every port of the Service in one firewall rule.
const maxFirewallPorts = 100

// DefaultSourceRange is where a Service without source ranges accepts
// traffic from (the firewall's destination is the load balancer's IP).
const DefaultSourceRange = "0.0.0.0/0"

// ServiceSpec is the part of a Service's request both kinds serve.
type ServiceSpec struct {
	Service      string          // namespace/name
	Protocols    []ProtocolPorts // TCP first
	Affinity     string          // NONE or CLIENT_IP
	Local        bool            // externalTrafficPolicy Local
	CheckPort    int64           // spec.healthCheckNodePort when Local
	RequestedIP  string          // spec.loadBalancerIP
	SourceRanges []string
}

// ProtocolPorts is one protocol's ports.
type ProtocolPorts struct {
	Protocol string   // TCP or UDP
	Ports    []int    // sorted, distinct, each in 1-65535
	Ranges   []string // the ports with consecutive ones collapsed ("80-82", "443"): the firewall's entries
}

// ServiceSpecOf checks and reads the fields both kinds serve; kind names
// the load balancer in refusals ("GCE network load balancers").
func ServiceSpecOf(svc *v1.Service, kind string) (ServiceSpec, error) {
	s := ServiceSpec{Service: ServiceKey(svc), Affinity: "NONE"}
	var err error
	if s.Protocols, err = protocolsOf(svc.Spec.Ports, kind); err != nil {
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

// protocolsOf groups the Service ports by protocol, TCP first.
func protocolsOf(ports []v1.ServicePort, kind string) ([]ProtocolPorts, error) {
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
				Reason: fmt.Sprintf("%s is not supported by %s: use TCP or UDP", proto, kind)}
		}
		// The API server keeps a Service's ports within 1-65535, but the
		// plan must not rely on it: port 0 would become the range "0-0"
		// (external) or a rule port "0" (internal), which GCE refuses
		// only after other objects are written.
		if p.Port < 1 || p.Port > 65535 {
			return nil, &InputError{Field: fmt.Sprintf("spec.ports[%d].port", i), Reason: fmt.Sprintf("%d is not a port (1-65535)", p.Port)}
		}
		byProto[proto] = append(byProto[proto], int(p.Port))
	}
	var out []ProtocolPorts
	total := 0
	for _, proto := range []string{"TCP", "UDP"} {
		nums := byProto[proto]
		if len(nums) == 0 {
			continue
		}
		ranges := collapsePorts(nums)
		total += len(ranges)
		out = append(out, ProtocolPorts{Protocol: proto, Ports: distinctSorted(nums), Ranges: renderRanges(ranges)})
	}
	if total > maxFirewallPorts {
		return nil, &InputError{Field: "spec.ports", Reason: fmt.Sprintf("the ports make %d separate ranges even collapsed; a GCE firewall rule takes at most %d", total, maxFirewallPorts)}
	}
	return out, nil
}

func distinctSorted(nums []int) []int {
	out := append([]int(nil), nums...)
	sort.Ints(out)
	n := 0
	for i, v := range out {
		if i == 0 || v != out[n-1] {
			out[n] = v
			n++
		}
	}
	return out[:n]
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

// sourceRangesOf is where the Service accepts traffic from:
// spec.loadBalancerSourceRanges, else the annotation, else
// DefaultSourceRange. Ranges are IPv4 CIDRs (the load balancer's address
// is IPv4, and one firewall rule cannot mix families).
func sourceRangesOf(svc *v1.Service) ([]string, error) {
	field, raw := "spec.loadBalancerSourceRanges", svc.Spec.LoadBalancerSourceRanges
	if len(raw) == 0 {
		v := strings.TrimSpace(svc.Annotations[AnnSourceRanges])
		if v == "" {
			return []string{DefaultSourceRange}, nil
		}
		field, raw = "annotation "+AnnSourceRanges, strings.Split(v, ",")
	}
	seen := map[string]bool{}
	var out []string
	for i, r := range raw {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		switch {
		case err != nil:
			return nil, &InputError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q is not a CIDR range like 203.0.113.0/24", strings.TrimSpace(r))}
		case !p.Addr().Is4():
			return nil, &InputError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q is IPv6; the load balancer is IPv4", r)}
		}
		s := p.Masked().String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}
