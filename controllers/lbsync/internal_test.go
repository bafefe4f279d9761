package lbsync

import (
	"fmt"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
)

// internalService is an internal Service converged as the service
// controller converges it.
func (e *env) internalService(name string, opts ...func(*v1.Service)) *v1.Service {
	e.t.Helper()
	opts = append(opts, lbtest.WithAnnotation("networking.gke.io/load-balancer-type", "Internal"))
	return e.service(lbtest.Service(name, opts...))
}

// The pass repairs each kind of drift of an internal load balancer through
// package ilb's plan (the path the binary takes: Controller.Pass ->
// lb.Pass.Repair -> ilb.Controller.Ensure, on the emulator over HTTP),
// counts it under its own kind and says in the LoadBalancerRepaired Event
// what was wrong.
func TestEveryInternalLoadBalancerDriftIsRepaired(t *testing.T) {
	e := newEnv(t)
	svc := e.internalService("ilb")
	local := e.internalService("ilb-local", lbtest.WithLocal(30080))
	name, localName := cloudprovider.DefaultLoadBalancerName(svc), cloudprovider.DefaultLoadBalancerName(local)
	groups, err := e.api.ListInstanceGroups(e.ctx, zone, "")
	if err != nil || len(groups) != 1 {
		t.Fatalf("instance groups in %s: %v, %v; want the cluster's one", zone, groups, err)
	}
	group := groups[0].GetName()
	e.gce.ResetStats()
	e.ctrl.Pass(e.ctx)
	if n := e.writes(); n != 0 {
		t.Fatalf("a pass over converged internal load balancers wrote %d times: %v", n, e.gce.Stats().Calls)
	}
	backend := func(name string) (*computepb.BackendService, error) {
		bss, err := e.api.ListBackendServices(e.ctx, region, fmt.Sprintf(`name eq "%s"`, name))
		if err == nil && len(bss) != 1 {
			err = fmt.Errorf("backend service %s: %d found", name, len(bss))
		}
		if err != nil {
			return nil, err
		}
		return bss[0], nil
	}
	check := func(name string) (*computepb.HealthCheck, error) {
		hcs, err := e.api.ListHealthChecks(e.ctx, fmt.Sprintf(`name eq "%s"`, name))
		if err == nil && len(hcs) != 1 {
			err = fmt.Errorf("health check %s: %d found", name, len(hcs))
		}
		if err != nil {
			return nil, err
		}
		return hcs[0], nil
	}

	for _, tc := range []struct {
		name  string
		svc   *v1.Service
		kind  drift.Kind
		drift func() error
		check func() error
		event string // in the LoadBalancerRepaired Event
	}{
		// The groups are shared: the first Service the pass syncs
		// repairs them, either one.
		{"group member removed", nil, drift.GroupMembers, func() error {
			return e.api.RemoveGroupInstances(e.ctx, zone, group, []string{vmURL("node-1")})
		}, func() error {
			members, err := e.api.ListGroupInstances(e.ctx, zone, group)
			if err == nil && len(members) != 3 {
				err = fmt.Errorf("group %s has members %v", group, members)
			}
			return err
		}, "instance group " + group + " in " + zone + " lacked 1 node(s): added them"},
		{"backend service's session affinity changed", svc, drift.BackendService, func() error {
			bs, err := backend(name)
			if err != nil {
				return err
			}
			return e.api.PatchBackendService(e.ctx, region, &computepb.BackendService{Name: proto.String(name),
				Fingerprint: bs.Fingerprint, SessionAffinity: proto.String("CLIENT_IP")})
		}, func() error {
			bs, err := backend(name)
			if err == nil && bs.GetSessionAffinity() != "NONE" {
				err = fmt.Errorf("backend service %s affinity %s", name, bs.GetSessionAffinity())
			}
			return err
		}, "backend service " + name + " differed (sessionAffinity): patched it"},
		{"firewall opened to every port", svc, drift.Firewall, func() error {
			return e.api.PatchFirewall(e.ctx, "k8s-fw-"+name, &computepb.Firewall{
				Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"1-65535"}}}})
		}, func() error {
			fw, err := e.api.GetFirewall(e.ctx, "k8s-fw-"+name)
			if err == nil && strings.Join(fw.GetAllowed()[0].GetPorts(), ",") != "80" {
				err = fmt.Errorf("firewall ports %v", fw.GetAllowed()[0].GetPorts())
			}
			return err
		}, "firewall k8s-fw-" + name + " differed (allowed): patched it"},
		{"health check's port changed", local, drift.Check, func() error {
			hc, err := check(localName)
			if err != nil {
				return err
			}
			hc.HttpHealthCheck.Port = proto.Int32(8080)
			return e.api.UpdateHealthCheck(e.ctx, hc)
		}, func() error {
			hc, err := check(localName)
			if err == nil && hc.GetHttpHealthCheck().GetPort() != 30080 {
				err = fmt.Errorf("check %s port %d", localName, hc.GetHttpHealthCheck().GetPort())
			}
			return err
		}, "health check " + localName + " differed (httpHealthCheck.port): updated it"},
		{"firewall deleted", local, drift.Firewall, func() error { return e.api.DeleteFirewall(e.ctx, "k8s-fw-"+localName) },
			func() error { _, err := e.api.GetFirewall(e.ctx, "k8s-fw-"+localName); return err },
			"firewall k8s-fw-" + localName + " was missing: created it"},
		{"forwarding rule deleted", svc, drift.Rule, func() error { return e.api.DeleteForwardingRule(e.ctx, region, name) },
			func() error { _, err := e.api.GetForwardingRule(e.ctx, region, name); return err },
			"forwarding rule " + name + " was missing: created it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repairs := drift.Repairs(tc.kind)
			e.repairedByOnePass(t, tc.kind, tc.drift, tc.check)
			if n := drift.Repairs(tc.kind); n != repairs+1 {
				t.Errorf("gce_ccm_drift_repairs_total{kind=%q} grew by %v; want 1", tc.kind, n-repairs)
			}
			on := []*v1.Service{tc.svc}
			if tc.svc == nil {
				on = []*v1.Service{svc, local}
			}
			e.waitFor("a LoadBalancerRepaired event saying "+tc.event, func() bool {
				var evs []string
				for _, s := range on {
					evs = append(evs, e.events(s)...)
				}
				return strings.Contains(strings.Join(evs, "\n"), drift.ReasonLoadBalancerRepaired+": repaired what changed in GCE: "+tc.event)
			})
		})
	}
}

// A pass over converged internal load balancers costs the same few reads
// whatever their number (the collections once, through the snapshots the
// external load balancers' pass began), no write and no read of a Service
// from the API server (that happens only before a write).
func TestAnIdlePassOverInternalLoadBalancers(t *testing.T) {
	e := newEnv(t)
	const n = 6
	for i := range n {
		e.internalService(fmt.Sprintf("ilb-%d", i))
	}
	zones, err := e.api.ListZones(e.ctx, fmt.Sprintf(`region eq ".*/regions/%s"`, region))
	if err != nil {
		t.Fatal(err)
	}
	e.gce.ResetStats()
	e.kube.ClearActions()
	e.ctrl.Pass(e.ctx)
	st := e.gce.Stats()
	if st.Mutations != 0 {
		t.Errorf("idle pass wrote: %v", st.Calls)
	}
	// The pass's own five lists, then the internal load balancer's:
	// backend services and checks once, each zone's group once (members
	// only where the group exists).
	want := map[string]int64{"compute.forwardingRules.list": 1, "compute.targetPools.list": 1, "compute.firewalls.list": 1,
		"compute.httpHealthChecks.list": 1, "compute.addresses.list": 1, "compute.regionBackendServices.list": 1,
		"compute.healthChecks.list": 1, "compute.instanceGroups.list": int64(len(zones)), "compute.instanceGroups.listInstances": 1}
	var sum int64
	for call, w := range want {
		if st.Calls[call] != w {
			t.Errorf("%s: %d calls, want %d", call, st.Calls[call], w)
		}
		sum += w
	}
	if st.Reads != sum {
		t.Errorf("idle pass over %d internal load balancers: %d reads, want %d: %v", n, st.Reads, sum, st.Calls)
	}
	for _, a := range e.kube.Actions() {
		if a.GetVerb() == "get" && a.GetResource().Resource == "services" {
			t.Errorf("the idle pass read a Service from the API server: %v", a)
		}
	}
	t.Logf("idle pass over %d internal load balancers in %d zones: %d GCE reads (%v), 0 writes", n, len(zones), st.Reads, st.Calls)
}
