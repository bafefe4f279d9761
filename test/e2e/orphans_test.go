//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// orphanPeriod is the resync period the scenario gives the CCM; the
// collector's grace period is the period itself (capped at a minute), so
// an orphan goes within two periods of the CCM's first pass.
const orphanPeriod = 5 * time.Second

// TestOrphansCollected: while the CCM is down, one Service's finalizer is
// stripped and the Service deleted, an internal Service's too, and a third
// Service becomes ClusterIP with its finalizer stripped: the service
// controller, started afresh, knows of none of their load balancers. The
// collector deletes all their GCE objects, and the shared ones nothing
// uses any more, within the period; the load balancer of a Service that
// still wants it, and look-alikes under our names that are another
// cluster's or a user's, are untouched.
func TestOrphansCollected(t *testing.T) {
	e := newEnv(t, 6*time.Minute)
	period := "--gce-resync-period=" + orphanPeriod.String()
	ccm := e.startCCM("ccm", false, period)
	for i := range 3 {
		e.addNode(fmt.Sprintf("node-%d", i), zones[i%2], true, podCIDR(i))
	}
	foreign := e.seedOrphanLookAlikes()
	kept := e.createService("kept", nil)
	gone := e.createService("gone", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	goneInternal := e.createService("gone-internal", internal)
	retyped := e.createService("retyped", nil)
	for _, s := range []string{"kept", "gone", "gone-internal", "retyped"} {
		e.eventually(s+" gets an IP", 120*time.Second, func() (bool, string) { return e.serviceIP(s) != "", "" })
	}
	cid := e.clusterID()
	e.eventually("every load balancer converged (no reserved address left)", 60*time.Second, func() (bool, string) {
		a := e.lbState().addresses
		return len(a) == 0, fmt.Sprint(names(a))
	})
	ccm.Stop(10 * time.Second)

	// Behind the stopped CCM: finalizers stripped, two Services deleted,
	// one made ClusterIP.
	for _, name := range []string{"gone", "gone-internal", "retyped"} {
		e.updateService(name, func(s *v1.Service) { s.Finalizers = nil })
	}
	for _, name := range []string{"gone", "gone-internal"} {
		if err := kube.CoreV1().Services("default").Delete(e.ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.updateService("retyped", func(s *v1.Service) {
		s.Spec.Type, s.Spec.ExternalTrafficPolicy = v1.ServiceTypeClusterIP, ""
		for i := range s.Spec.Ports {
			s.Spec.Ports[i].NodePort = 0
		}
	})

	start := time.Now()
	e.startCCM("ccm-2", false, period)
	left := func() []string {
		var out []string
		for _, l := range e.ilbObjects() {
			for _, s := range []*v1.Service{gone, goneInternal, retyped} {
				if strings.Contains(l, lbName(s)) {
					out = append(out, l)
				}
			}
			if strings.Contains(l, "k8s-ig--"+cid) || strings.HasPrefix(l, "check k8s-"+cid+"-node") || strings.Contains(l, "k8s-"+cid+"-node-hc") {
				out = append(out, l) // the internal kind's shared objects: no internal Service is left
			}
		}
		return out
	}
	e.eventually("every orphan collected", 4*orphanPeriod+60*time.Second, func() (bool, string) {
		l := left()
		return len(l) == 0, strings.Join(l, "; ")
	})
	t.Logf("orphans collected %v after the CCM started (period %v)", time.Since(start).Round(time.Second), orphanPeriod)

	// The Service that wants its load balancer has all of it, and the
	// external shared check it uses.
	st := e.lbState()
	lb := lbName(kept)
	for _, n := range []string{lb} {
		if st.rules[n] == nil || st.pools[n] == nil || st.firewalls["k8s-fw-"+n] == nil {
			t.Errorf("the kept Service's load balancer lost objects: rules %v pools %v firewalls %v", names(st.rules), names(st.pools), names(st.firewalls))
		}
	}
	if st.checks["k8s-"+cid+"-node"] == nil || st.firewalls["k8s-"+cid+"-node-http-hc"] == nil {
		t.Errorf("the shared check the kept Service uses is gone: checks %v firewalls %v", names(st.checks), names(st.firewalls))
	}
	if now := e.orphanLookAlikes(); now != foreign {
		t.Errorf("look-alikes changed:\nbefore %s\nnow    %s", foreign, now)
	}
	e.eventually("an OrphanCollected event on the retyped Service", 30*time.Second, func() (bool, string) {
		evs, err := kube.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=retyped,reason=OrphanCollected"})
		return err == nil && len(evs.Items) > 0, fmt.Sprint(err)
	})
}

// Look-alikes: a rule and a pool named like a load balancer of ours whose
// descriptions name the same Service in another cluster, and a user's
// firewall named k8s-fw-<lb> whose description is not JSON.
const lookAlikeLB = "a0123456789abcdef0123456789abcde"

func (e *env) seedOrphanLookAlikes() string {
	e.t.Helper()
	gce := e.computeService()
	desc := `{"kubernetes.io/service-name":"default/gone","kubernetes.io/cluster-name":"e2e-2"}`
	op, err := gce.TargetPools.Insert(project, "us-central1", &compute.TargetPool{Name: lookAlikeLB, Description: desc}).Context(e.ctx).Do()
	e.waitOp("insert look-alike pool", op, err)
	op, err = gce.ForwardingRules.Insert(project, "us-central1", &compute.ForwardingRule{Name: lookAlikeLB, Description: desc,
		IPProtocol: "TCP", PortRange: "80-80", Target: "regions/us-central1/targetPools/" + lookAlikeLB}).Context(e.ctx).Do()
	e.waitOp("insert look-alike rule", op, err)
	e.insertFirewall(&compute.Firewall{Name: "k8s-fw-" + lookAlikeLB, Description: "web traffic, made by hand",
		Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"80"}}}, SourceRanges: []string{"0.0.0.0/0"}})
	s := e.orphanLookAlikes()
	if strings.Count(s, ", ") != 2 {
		e.t.Fatalf("look-alikes not all made: %s", s)
	}
	return s
}

// orphanLookAlikes says what the look-alikes are: id and creation time.
func (e *env) orphanLookAlikes() string {
	e.t.Helper()
	st := e.lbState()
	var out []string
	if r := st.rules[lookAlikeLB]; r != nil {
		out = append(out, fmt.Sprintf("rule %d %s", r.Id, r.CreationTimestamp))
	}
	if p := st.pools[lookAlikeLB]; p != nil {
		out = append(out, fmt.Sprintf("pool %d %s", p.Id, p.CreationTimestamp))
	}
	if f := st.firewalls["k8s-fw-"+lookAlikeLB]; f != nil {
		out = append(out, fmt.Sprintf("firewall %d %s", f.Id, f.CreationTimestamp))
	}
	return strings.Join(out, ", ")
}
