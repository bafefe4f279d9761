package ilb

import (
	"fmt"
	"strconv"
	"strings"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Annotations an internal Service may carry, with upstream's keys.
const (
	AnnSubnet       = plan.AnnInternalSubnet
	AnnGlobalAccess = plan.AnnInternalGlobalAccess
)

// MaxRulePorts is how many ports an INTERNAL forwarding rule lists; a
// protocol with more ports takes all ports.
const MaxRulePorts = 5

// KubeProxyHealthPort is where kube-proxy answers /healthz on every node:
// the shared check of externalTrafficPolicy Cluster probes it.
const KubeProxyHealthPort = 10256

// DefaultSourceRange is the traffic firewall's source when the Service
// names none, as for the external load balancer. An internal IP is
// reachable only from the VPC and what is connected to it (peerings, VPNs,
// other regions with global access), so 0.0.0.0/0 with the load
// balancer's IP as the destination admits exactly the clients that can
// route to it; the subnetwork's range would cut off every client outside
// it.
const DefaultSourceRange = plan.DefaultSourceRange

// kind names the internal load balancer in refusals.
const kind = "GCE internal passthrough load balancers"

// InputError is a Service field the internal load balancer cannot serve:
// the external plan's type, so that one errors.As finds a refusal of
// either kind.
type InputError = plan.InputError

// Spec is a Service's request, checked and normalised: the fields both
// kinds serve (ports, source ranges, IP, affinity, traffic policy), read
// by package plan, and the internal load balancer's annotations.
type Spec struct {
	plan.ServiceSpec
	Subnet       string // subnetwork name from the annotation; "" = the cluster's
	GlobalAccess bool
}

// SpecOf checks a Service and reads what its internal load balancer must be.
func SpecOf(svc *v1.Service) (Spec, error) {
	s := Spec{Subnet: strings.TrimSpace(svc.Annotations[AnnSubnet])}
	if err := plan.IPFamiliesOf(svc); err != nil {
		return s, err
	}
	var err error
	if s.ServiceSpec, err = plan.ServiceSpecOf(svc, kind); err != nil {
		return s, err
	}
	if v, ok := svc.Annotations[AnnGlobalAccess]; ok {
		if s.GlobalAccess, err = strconv.ParseBool(strings.TrimSpace(v)); err != nil {
			return s, &InputError{Field: "annotation " + AnnGlobalAccess, Reason: fmt.Sprintf("%q is not true or false", v)}
		}
	}
	return s, nil
}

// rulePorts is what an INTERNAL rule of the protocol lists: its ports,
// or nil (all ports) when there are more than GCE lets a rule list.
func rulePorts(pp plan.ProtocolPorts) []string {
	if len(pp.Ports) > MaxRulePorts {
		return nil
	}
	out := make([]string, len(pp.Ports))
	for i, p := range pp.Ports {
		out[i] = strconv.Itoa(p)
	}
	return out
}
