package lbsync

import (
	"fmt"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
)

// A pass over converged load balancers reads each collection once, however
// many Services there are, and writes nothing.
func TestAnIdlePassListsEachCollectionOnce(t *testing.T) {
	e := newEnv(t)
	var svcs []*v1.Service
	for i := range 12 {
		svcs = append(svcs, e.service(lbtest.Service(fmt.Sprintf("svc-%d", i))))
	}
	// Each creation releases its address in the background, holding the
	// load balancer's lock until the release is done and its listing
	// invalidated; GCE shows the address gone before that. A sync of
	// each waits for its lock: after them no release is still running.
	for _, svc := range svcs {
		if _, err := e.lbs.EnsureLoadBalancer(e.ctx, "prod", svc, e.nodes); err != nil {
			t.Fatal(err)
		}
	}
	e.gce.ResetStats()
	e.ctrl.Pass(e.ctx)
	st := e.gce.Stats()
	// One listing each; the pools' listing is two pages, since gceapi asks
	// for 10 pools first (their sizes unknown) and then the other 2.
	want := map[string]int64{"compute.forwardingRules.list": 1, "compute.targetPools.list": 2, "compute.firewalls.list": 1,
		"compute.httpHealthChecks.list": 1, "compute.addresses.list": 1}
	if st.Mutations != 0 || st.Reads != 6 {
		t.Errorf("idle pass over 12 load balancers: %d reads, %d writes, want 6 and 0: %v", st.Reads, st.Mutations, st.Calls)
	}
	for id, n := range want {
		if st.Calls[id] != n {
			t.Errorf("%s: %d calls, want %d", id, st.Calls[id], n)
		}
	}
}

// A Service deleted, replaced or changed after the pass listed it is left
// to the service controller: its load balancer is not rebuilt from the
// stale listing.
func TestAServiceChangedSinceTheListingIsNotRepaired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(e *env, svc *v1.Service)
	}{
		{"deleted", func(e *env, svc *v1.Service) {
			if err := e.kube.CoreV1().Services(svc.Namespace).Delete(e.ctx, svc.Name, metav1.DeleteOptions{}); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"being deleted", func(e *env, svc *v1.Service) {
			e.update(svc, func(s *v1.Service) { now := metav1.Now(); s.DeletionTimestamp = &now })
		}},
		{"no longer a LoadBalancer", func(e *env, svc *v1.Service) {
			e.update(svc, func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeClusterIP })
		}},
		{"replaced", func(e *env, svc *v1.Service) { e.update(svc, func(s *v1.Service) { s.UID = types.UID("other") }) }},
		{"ports changed", func(e *env, svc *v1.Service) { e.update(svc, func(s *v1.Service) { s.Spec.Ports[0].Port = 8443 }) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.service(lbtest.Service("web"))
			name := cloudprovider.DefaultLoadBalancerName(svc)
			if err := e.api.DeleteFirewall(e.ctx, "k8s-fw-"+name); err != nil {
				t.Fatal(err)
			}
			listed := svc.DeepCopy()
			tc.change(e, svc)
			pass, err := e.lbs.StartPass(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			before, repairs := e.writes(), drift.Repairs(drift.Firewall)
			e.ctrl.repair(e.ctx, pass, listed, e.nodes)
			if n := e.writes() - before; n != 0 {
				t.Errorf("%d writes for a Service %s after it was listed", n, tc.name)
			}
			if drift.Repairs(drift.Firewall) != repairs {
				t.Errorf("a repair was counted")
			}
		})
	}
}

func (e *env) update(svc *v1.Service, f func(*v1.Service)) {
	e.t.Helper()
	cur, err := e.kube.CoreV1().Services(svc.Namespace).Get(e.ctx, svc.Name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	f(cur)
	if _, err := e.kube.CoreV1().Services(svc.Namespace).Update(e.ctx, cur, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// A node that joined or left after the pass listed the nodes is left to
// the service controller: the pass neither removes the member it added
// nor puts back the one it removed (repair is what Pass runs per Service,
// with the nodes it listed before reading GCE).
func TestNodesChangedSinceTheListingAreNotRepaired(t *testing.T) {
	for _, tc := range []struct {
		name        string
		change      func(e *env, svc *v1.Service) (listed []*v1.Node)
		wantMembers int
	}{
		{"joined", func(e *env, svc *v1.Service) []*v1.Node {
			// The service controller added node-2 to the pool; the pass
			// had listed the nodes before it registered.
			return e.nodes[:2]
		}, 3},
		{"left", func(e *env, svc *v1.Service) []*v1.Node {
			if err := e.kube.CoreV1().Nodes().Delete(e.ctx, "node-2", metav1.DeleteOptions{}); err != nil {
				e.t.Fatal(err)
			}
			e.waitFor("node-2 gone from the cache", func() bool {
				_, err := e.ctrl.o.Nodes.Get("node-2")
				return err != nil
			})
			if err := e.lbs.UpdateLoadBalancer(e.ctx, "prod", svc, e.nodes[:2]); err != nil {
				e.t.Fatal(err)
			}
			return e.nodes
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			svc := e.service(lbtest.Service("web"))
			listed := tc.change(e, svc)
			pass, err := e.lbs.StartPass(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := e.writes()
			e.ctrl.repair(e.ctx, pass, svc, listed)
			if err := poolHas(e, cloudprovider.DefaultLoadBalancerName(svc), tc.wantMembers); err != nil {
				t.Error(err)
			}
			if n := e.writes() - before; n != 0 {
				t.Errorf("%d writes by a pass whose node list is stale", n)
			}
		})
	}
}
