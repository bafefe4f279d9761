package ilb

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Annotations an internal Service may carry, with upstream's keys.
const (
	AnnSubnet       = plan.AnnInternalSubnet
	AnnGlobalAccess = plan.AnnInternalGlobalAccess
	annSourceRanges = plan.AnnSourceRanges
)

// MaxRulePorts is how many ports an INTERNAL forwarding rule lists; a
// protocol with more ports takes all ports.
const MaxRulePorts = 5

// KubeProxyHealthPort is where kube-proxy answers /healthz on every node:
// the shared check of externalTrafficPolicy Cluster probes it.
const KubeProxyHealthPort = 10256

// DefaultSourceRange is the traffic firewall's source when the Service
// names none. An internal IP is reachable only from the VPC and what is
// connected to it (peerings, VPNs, other regions with global access), so
// 0.0.0.0/0 with the load balancer's IP as the destination admits exactly
// the clients that can route to it; the subnetwork's range would cut off
// every client outside it.
const DefaultSourceRange = "0.0.0.0/0"

// InputError is a Service field the internal load balancer cannot serve:
// the external plan's type, so that one errors.As finds a refusal of
// either kind.
type InputError = plan.InputError

// Spec is a Service's request, checked and normalised.
type Spec struct {
	Service      string // namespace/name
	Protocols    []ProtocolSpec
	Affinity     string // NONE or CLIENT_IP
	Local        bool
	CheckPort    int64
	RequestedIP  string
	SourceRanges []string
	Subnet       string // subnetwork name from the annotation; "" = the cluster's
	GlobalAccess bool
}

// ProtocolSpec is one protocol's share: one backend service, one rule.
type ProtocolSpec struct {
	Protocol string   // TCP or UDP
	Ports    []string // sorted distinct ports; nil = all ports (more than MaxRulePorts)
	Firewall []string // the ports for the firewall's allowed entry
}

// SpecOf checks a Service and reads what its internal load balancer must be.
func SpecOf(svc *v1.Service) (Spec, error) {
	s := Spec{Service: svc.Namespace + "/" + svc.Name, Affinity: "NONE", Subnet: strings.TrimSpace(svc.Annotations[AnnSubnet])}
	var err error
	if s.Protocols, err = protocolsOf(svc.Spec.Ports); err != nil {
		return s, err
	}
	if v, ok := svc.Annotations[AnnGlobalAccess]; ok {
		if s.GlobalAccess, err = strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			return s, &InputError{Field: "annotation " + AnnGlobalAccess, Reason: fmt.Sprintf("%q is not true or false", v)}
		}
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
	s.SourceRanges, err = sourceRangesOf(svc)
	return s, err
}

// protocolsOf groups the ports by protocol, TCP first.
func protocolsOf(ports []v1.ServicePort) ([]ProtocolSpec, error) {
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
				Reason: fmt.Sprintf("%s is not served by GCE internal passthrough load balancers here: use TCP or UDP", proto)}
		}
		if !slices.Contains(byProto[proto], int(p.Port)) {
			byProto[proto] = append(byProto[proto], int(p.Port))
		}
	}
	var out []ProtocolSpec
	for _, proto := range []string{"TCP", "UDP"} {
		nums := byProto[proto]
		if len(nums) == 0 {
			continue
		}
		slices.Sort(nums)
		ps := ProtocolSpec{Protocol: proto}
		for _, n := range nums {
			ps.Firewall = append(ps.Firewall, strconv.Itoa(n))
		}
		if len(nums) <= MaxRulePorts {
			ps.Ports = ps.Firewall
		}
		out = append(out, ps)
	}
	return out, nil
}

// sourceRangesOf: spec.loadBalancerSourceRanges, else the annotation, else
// DefaultSourceRange. IPv4 only: the load balancer's IP is IPv4.
func sourceRangesOf(svc *v1.Service) ([]string, error) {
	field, raw := "spec.loadBalancerSourceRanges", svc.Spec.LoadBalancerSourceRanges
	if len(raw) == 0 {
		v := strings.TrimSpace(svc.Annotations[annSourceRanges])
		if v == "" {
			return []string{DefaultSourceRange}, nil
		}
		field, raw = "annotation "+annSourceRanges, strings.Split(v, ",")
	}
	var out []string
	for i, r := range raw {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		if err != nil || !p.Addr().Is4() {
			return nil, &InputError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q is not an IPv4 CIDR range like 10.0.0.0/8", strings.TrimSpace(r))}
		}
		if s := p.Masked().String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}
