package ilb

import (
	"context"
	"fmt"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// PlanDelete removes everything of the load balancer that is this
// Service's: the rules first (traffic stops, nothing refers to the backend
// services), the traffic firewall k8s-fw-<lb> while a backend service
// still shows the load balancer was internal (the external one uses the
// same name and deletes it itself), then the backend services, the
// Service's own check and firewall and its address, and last the shared
// objects (the shared check and its firewall, the groups) when no other
// backend service uses them. What is left after a stop still carries the
// Service's names, so the next call finishes the job. strict (a Service
// with a loadBalancerClass) deletes only what this cluster made, not
// upstream-made objects another controller may own.
func PlanDelete(in Input, strict bool) []Action {
	p := &planner{in: in, ruleGone: map[string]bool{}}
	s, n := in.Seen, in.Names
	mine := func(desc string) bool {
		if strict {
			return ours(in, desc)
		}
		return owned(in, desc)
	}
	internal := false
	for _, name := range n.All() {
		if r := s.Rules[name]; r != nil && r.GetLoadBalancingScheme() == "INTERNAL" && mine(r.GetDescription()) {
			p.add(Action{Kind: DeleteRule, Name: name})
			internal = true
		}
	}
	var backends []Action
	for _, name := range n.All() {
		if b := s.Backends[name]; b != nil && mine(b.GetDescription()) {
			backends = append(backends, Action{Kind: DeleteBackend, Name: name})
			internal = true
		}
	}
	if f := s.Firewalls[n.Firewall]; f != nil && internal && mine(f.GetDescription()) {
		p.add(Action{Kind: DeleteFirewall, Name: n.Firewall})
	}
	p.actions = append(p.actions, backends...)
	if c := s.Checks[n.LocalCheck]; c != nil && mine(c.GetDescription()) {
		p.add(Action{Kind: DeleteCheck, Name: n.LocalCheck})
	}
	if f := s.Firewalls[n.LocalCheckFirewall]; f != nil && mine(f.GetDescription()) {
		p.add(Action{Kind: DeleteFirewall, Name: n.LocalCheckFirewall})
	}
	if a := s.Address; a != nil && a.GetAddressType() == "INTERNAL" && mine(a.GetDescription()) {
		p.add(Action{Kind: ReleaseAddress, Name: n.LB})
	}
	if !strict {
		p.planShared()
	}
	return p.actions
}

// PlanDeleteShared removes the shared objects alone, when no backend
// service uses them: what a deletion stopped half-way, after the last
// internal load balancer's own objects were gone, left behind (the orphan
// collector asks for it).
func PlanDeleteShared(in Input) []Action {
	p := &planner{in: in}
	p.planShared()
	return p.actions
}

// planShared: the shared check and its firewall, and each zone's group,
// that no backend service uses.
func (p *planner) planShared() {
	in, s, n := p.in, p.in.Seen, p.in.Names
	if len(s.CheckUsers[in.checkKey(n.SharedCheck)]) == 0 {
		if c := s.Checks[n.SharedCheck]; c != nil && sharedOwned(in, c.GetDescription(), n.SharedCheck) {
			p.add(Action{Kind: DeleteCheck, Name: n.SharedCheck, Shared: true})
		}
		if f := s.Firewalls[n.SharedCheckFirewall]; f != nil && sharedOwned(in, f.GetDescription(), n.SharedCheck) {
			p.add(Action{Kind: DeleteFirewall, Name: n.SharedCheckFirewall, Shared: true})
		}
	}
	zones := make([]string, 0, len(s.Groups))
	for z := range s.Groups {
		zones = append(zones, z)
	}
	slices.Sort(zones)
	for _, z := range zones {
		if len(s.GroupUsers[in.groupKey(z)]) == 0 {
			p.add(Action{Kind: DeleteGroup, Name: n.Group, Zone: z, Shared: true})
		}
	}
}

// Delete removes the Service's internal load balancer; gone objects are
// fine.
func (c *Controller) Delete(ctx context.Context, svc *v1.Service, lb, clusterID string) error {
	in := Input{Spec: Spec{ServiceSpec: plan.ServiceSpec{Service: plan.ServiceKey(svc)}}, Names: NamesFor(lb, clusterID), Cluster: c.Cluster, ClusterID: clusterID,
		Project: c.Project, Region: c.Region}
	var err error
	if in.Seen, err = c.observe(ctx, in.Names, "", snapshot.Fresh()); err != nil {
		return fmt.Errorf("deleting internal load balancer %s of %s: %w", lb, in.Spec.Service, err)
	}
	actions := PlanDelete(in, svc.Spec.LoadBalancerClass != nil)
	if _, err := c.apply(ctx, lb, actions, ""); err != nil {
		return fmt.Errorf("deleting internal load balancer %s of %s: %w", lb, in.Spec.Service, err)
	}
	if len(actions) > 0 {
		klog.FromContext(ctx).Info("Deleted internal load balancer", "service", in.Spec.Service, "lb", lb, "steps", len(actions))
	}
	return nil
}

// DeleteShared deletes the shared objects no backend service uses; it
// returns how many it deleted.
func (c *Controller) DeleteShared(ctx context.Context, clusterID string) (int, error) {
	in := Input{Names: NamesFor("", clusterID), Cluster: c.Cluster, ClusterID: clusterID, Project: c.Project, Region: c.Region}
	var err error
	if in.Seen, err = c.observe(ctx, in.Names, "", snapshot.Fresh()); err != nil {
		return 0, fmt.Errorf("deleting the internal load balancers' shared objects: %w", err)
	}
	actions := PlanDeleteShared(in)
	if _, err := c.apply(ctx, in.Names.Group, actions, ""); err != nil {
		return 0, fmt.Errorf("deleting the internal load balancers' shared objects: %w", err)
	}
	if len(actions) > 0 {
		klog.FromContext(ctx).Info("Deleted the internal load balancers' unused shared objects", "steps", len(actions))
	}
	return len(actions), nil
}

// Status reports the load balancer's IP and whether any object of it
// exists, so that a half-deleted one is still found.
func (c *Controller) Status(ctx context.Context, svc *v1.Service, lb, clusterID string) (ip string, exists bool, err error) {
	in := Input{Spec: Spec{ServiceSpec: plan.ServiceSpec{Service: plan.ServiceKey(svc)}}, Names: NamesFor(lb, clusterID), Cluster: c.Cluster, ClusterID: clusterID}
	if in.Seen, err = c.observe(ctx, in.Names, "", snapshot.Fresh()); err != nil {
		return "", false, err
	}
	return currentIP(in), hasOwn(PlanDelete(in, false)), nil
}

// hasOwn: the delete plan touches a per-Service object (shared ones alone
// do not make a load balancer exist).
func hasOwn(actions []Action) bool {
	for _, a := range actions {
		if !a.Shared {
			return true
		}
	}
	return false
}
