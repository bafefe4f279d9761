package plan

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
)

// The load balancer a Service asks for, read and checked before anything
// is observed or written: a Service GCE cannot serve is refused whole.

// externalKind names the external load balancer in refusals.
const externalKind = "GCE network load balancers (target pools)"

// Spec is a Service's request, checked and normalised.
type Spec struct {
	ServiceSpec
	Tier  string // PREMIUM or STANDARD
	Rules []RuleSpec
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
	s := Spec{ServiceSpec: ServiceSpec{Service: ServiceKey(svc), Affinity: "NONE"}}
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
	if s.ServiceSpec, err = ServiceSpecOf(svc, externalKind); err != nil {
		return s, err
	}
	for _, pp := range s.Protocols {
		s.Rules = append(s.Rules, RuleSpec{Protocol: pp.Protocol, Ports: pp.Ranges,
			PortRange: fmt.Sprintf("%d-%d", pp.Ports[0], pp.Ports[len(pp.Ports)-1])})
	}
	return s, nil
}
