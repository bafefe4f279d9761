package lbsync

import (
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
)

// The addresses a load balancer keeps, through a pass. A TCP+UDP Service
// keeps <lb> reserved (two rules share an IP only through an address); a
// Service with spec.loadBalancerIP uses the user's address and never
// reserves or releases one of its own.
func TestAddressDriftIsRepaired(t *testing.T) {
	t.Run("the reserved address of a TCP+UDP Service deleted", func(t *testing.T) {
		e := newEnv(t)
		svc := e.service(lbtest.Service("dns", lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))))
		name, ip := cloudprovider.DefaultLoadBalancerName(svc), ingressIP(svc.Status.LoadBalancer)
		// GCE lets an address in use be deleted: the rules keep the IP as
		// an ephemeral one, which nothing holds for them any more.
		if err := e.api.DeleteAddress(e.ctx, region, name); err != nil {
			t.Fatal(err)
		}
		addresses, rules := drift.Repairs(drift.Address), drift.Repairs(drift.Rule)
		e.gce.ResetStats()
		e.ctrl.Pass(e.ctx)
		a, err := e.api.GetAddress(e.ctx, region, name)
		if err != nil || a.GetAddress() != ip {
			t.Fatalf("address %s after the pass: %v, %v; want it reserved again at %s", name, a.GetAddress(), err, ip)
		}
		if st := e.gce.Stats(); st.Mutations != 1 || st.Calls["compute.addresses.insert"] != 1 {
			t.Errorf("the repair made %d writes (%v), want one addresses.insert", st.Mutations, st.Calls)
		}
		if n := drift.Repairs(drift.Address); n != addresses+1 {
			t.Errorf("gce_ccm_drift_repairs_total{kind=address} grew by %v, want 1", n-addresses)
		}
		if n := drift.Repairs(drift.Rule); n != rules {
			t.Errorf("gce_ccm_drift_repairs_total{kind=rule} grew by %v, want 0", n-rules)
		}
		e.waitFor("the LoadBalancerRepaired event", func() bool {
			return strings.Contains(strings.Join(e.events(svc), "\n"), "address "+name+" was missing: reserved it")
		})
		e.quietAfter(svc, ip)
	})

	t.Run("the rules and reserved address of a TCP+UDP Service deleted, the IP taken", func(t *testing.T) {
		e := newEnv(t)
		svc := e.service(lbtest.Service("dns", lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))))
		name, ip := cloudprovider.DefaultLoadBalancerName(svc), ingressIP(svc.Status.LoadBalancer)
		for _, r := range []string{name, name + "-udp"} {
			if err := e.api.DeleteForwardingRule(e.ctx, region, r); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.api.DeleteAddress(e.ctx, region, name); err != nil {
			t.Fatal(err)
		}
		if err := e.api.InsertAddress(e.ctx, region, &computepb.Address{Name: proto.String("someone-else"), Address: proto.String(ip)}); err != nil {
			t.Fatal(err)
		}
		addresses, rules := drift.Repairs(drift.Address), drift.Repairs(drift.Rule)
		e.ctrl.Pass(e.ctx)
		a, err := e.api.GetAddress(e.ctx, region, name)
		if err != nil || a.GetAddress() == ip {
			t.Fatalf("address %s after the pass: %q, %v; want it reserved at a new IP", name, a.GetAddress(), err)
		}
		for _, r := range []string{name, name + "-udp"} {
			rule, err := e.api.GetForwardingRule(e.ctx, region, r)
			if err != nil || rule.GetIPAddress() != a.GetAddress() {
				t.Errorf("rule %s: IP %q, %v; want the address's %s", r, rule.GetIPAddress(), err, a.GetAddress())
			}
		}
		// The address stays reserved for the two rules: not the passing
		// reservation of a recreated rule, so it counts as its own repair.
		if n := drift.Repairs(drift.Address); n != addresses+1 {
			t.Errorf("gce_ccm_drift_repairs_total{kind=address} grew by %v, want 1", n-addresses)
		}
		if n := drift.Repairs(drift.Rule); n != rules+2 {
			t.Errorf("gce_ccm_drift_repairs_total{kind=rule} grew by %v, want 2", n-rules)
		}
		e.waitFor("the new IP in the status and the IP change said", func() bool {
			s, err := e.kube.CoreV1().Services(svc.Namespace).Get(e.ctx, svc.Name, metav1.GetOptions{})
			return err == nil && ingressIP(s.Status.LoadBalancer) == a.GetAddress() &&
				strings.Contains(strings.Join(e.events(svc), "\n"), ReasonIPChanged+": the load balancer's IP changed from "+ip+" to "+a.GetAddress())
		})
		e.quietAfter(svc, a.GetAddress())
	})

	t.Run("the rule of a Service on the user's reserved IP deleted", func(t *testing.T) {
		e := newEnv(t)
		if err := e.api.InsertAddress(e.ctx, region, &computepb.Address{Name: proto.String("my-ip"), Description: proto.String("the user's")}); err != nil {
			t.Fatal(err)
		}
		mine, err := e.api.GetAddress(e.ctx, region, "my-ip")
		if err != nil {
			t.Fatal(err)
		}
		ip := mine.GetAddress()
		svc := e.service(lbtest.Service("web", lbtest.WithIP(ip)))
		name := cloudprovider.DefaultLoadBalancerName(svc)
		if err := e.api.DeleteForwardingRule(e.ctx, region, name); err != nil {
			t.Fatal(err)
		}
		addresses := drift.Repairs(drift.Address)
		e.gce.ResetStats()
		e.ctrl.Pass(e.ctx)
		rule, err := e.api.GetForwardingRule(e.ctx, region, name)
		if err != nil || rule.GetIPAddress() != ip {
			t.Fatalf("rule %s after the pass: IP %q, %v; want the user's %s", name, rule.GetIPAddress(), err, ip)
		}
		// The user's address is used as it is: none of ours reserved for
		// the recreation, the user's not released.
		if st := e.gce.Stats(); st.Calls["compute.addresses.insert"]+st.Calls["compute.addresses.delete"] != 0 {
			t.Errorf("address writes for a user's address: %v", st.Calls)
		}
		if a, err := e.api.GetAddress(e.ctx, region, "my-ip"); err != nil || a.GetDescription() != "the user's" || len(a.GetUsers()) != 1 {
			t.Errorf("the user's address after the repair: %v, %v", a, err)
		}
		if n := drift.Repairs(drift.Address); n != addresses {
			t.Errorf("gce_ccm_drift_repairs_total{kind=address} grew by %v, want 0", n-addresses)
		}
		e.quietAfter(svc, ip)
	})
}

// quietAfter checks the pass after a repair: it writes nothing, the
// Service's status holds ip, and no Event says the IP changed unless it did.
func (e *env) quietAfter(svc *v1.Service, ip string) {
	e.t.Helper()
	before := e.writes()
	e.ctrl.Pass(e.ctx)
	if n := e.writes() - before; n != 0 {
		e.t.Errorf("the pass after the repair wrote %d times: %v", n, e.gce.Stats().Calls)
	}
	s, err := e.kube.CoreV1().Services(svc.Namespace).Get(e.ctx, svc.Name, metav1.GetOptions{})
	if err != nil || ingressIP(s.Status.LoadBalancer) != ip {
		e.t.Errorf("status after the repair: %+v, %v; want %s", s.Status.LoadBalancer, err, ip)
	}
	if ip == ingressIP(svc.Status.LoadBalancer) {
		for _, ev := range e.events(svc) {
			if strings.HasPrefix(ev, ReasonIPChanged) {
				e.t.Errorf("an IP change said for an IP that stayed %s: %s", ip, ev)
			}
		}
	}
}
