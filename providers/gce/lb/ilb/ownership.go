package ilb

import (
	"fmt"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Descriptions: per-Service objects name the Service and the cluster;
// shared ones (groups, the shared check and its firewall) the cluster id.
// Upstream writes the same keys without the cluster name, so its objects
// read as adoptable.

func serviceDescription(in Input) string {
	return ownership.Description{ServiceName: in.Spec.Service, ClusterName: in.Cluster}.String()
}

func sharedDescription(in Input) string {
	return ownership.Description{ClusterID: in.ClusterID, ClusterName: in.Cluster}.String()
}

// owned: a per-Service object this cluster (or upstream, for the same
// Service) made.
func owned(in Input, desc string) bool {
	d, ok := ownership.Read(desc)
	return ok && ownership.Judge(d.ServiceName == in.Spec.Service, d.ClusterName, in.Cluster) != ownership.Foreign
}

// ours: a per-Service object this cluster made through gce-ccm.
func ours(in Input, desc string) bool {
	d, ok := ownership.Read(desc)
	return ok && ownership.Judge(d.ServiceName == in.Spec.Service, d.ClusterName, in.Cluster) == ownership.Ours
}

// sharedOwned: a shared object of this cluster; upstream names its shared
// check as the "service".
func sharedOwned(in Input, desc, name string) bool {
	d, ok := ownership.Read(desc)
	return ok && ownership.Judge(d.ClusterID == in.ClusterID || d.ServiceName == name, d.ClusterName, in.Cluster) != ownership.Foreign
}

// ConflictError: an object under one of the load balancer's names belongs
// to someone else; nothing is written.
type ConflictError struct{ Kind, Name, Description string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("the %s %s exists and is not this Service's (description %q): rename or delete it", e.Kind, e.Name, e.Description)
}

// ExternalExistsError: the Service's external load balancer still holds
// the forwarding rule name; it must be deleted first (a type switch).
type ExternalExistsError struct{ Rule string }

func (e *ExternalExistsError) Error() string {
	return fmt.Sprintf("the external forwarding rule %s of this Service still exists", e.Rule)
}

// claim refuses a plan that would change an object that is not ours.
func claim(in Input) error {
	s, n := in.Seen, in.Names
	for _, name := range n.All() {
		if r := s.Rules[name]; r != nil {
			if r.GetLoadBalancingScheme() != "INTERNAL" && owned(in, r.GetDescription()) {
				return &ExternalExistsError{Rule: name}
			}
			if !owned(in, r.GetDescription()) {
				return &ConflictError{Kind: "forwarding rule", Name: name, Description: r.GetDescription()}
			}
		}
		if b := s.Backends[name]; b != nil && !owned(in, b.GetDescription()) {
			return &ConflictError{Kind: "backend service", Name: name, Description: b.GetDescription()}
		}
	}
	if c := s.Checks[n.LocalCheck]; c != nil && !owned(in, c.GetDescription()) {
		return &ConflictError{Kind: "health check", Name: n.LocalCheck, Description: c.GetDescription()}
	}
	if c := s.Checks[n.SharedCheck]; c != nil && !sharedOwned(in, c.GetDescription(), n.SharedCheck) {
		return &ConflictError{Kind: "health check", Name: n.SharedCheck, Description: c.GetDescription()}
	}
	for _, fw := range []string{n.Firewall, n.LocalCheckFirewall} {
		if f := s.Firewalls[fw]; f != nil && !owned(in, f.GetDescription()) {
			return &ConflictError{Kind: "firewall", Name: fw, Description: f.GetDescription()}
		}
	}
	if f := s.Firewalls[n.SharedCheckFirewall]; f != nil && !sharedOwned(in, f.GetDescription(), n.SharedCheck) {
		return &ConflictError{Kind: "firewall", Name: n.SharedCheckFirewall, Description: f.GetDescription()}
	}
	return nil
}
