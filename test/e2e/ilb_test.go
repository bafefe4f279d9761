//go:build e2e

package e2e

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ilbObjects is every object of the internal load balancer's collections
// (and the external one's), one line each, sorted.
func (e *env) ilbObjects() []string {
	e.t.Helper()
	svc := e.computeService()
	var out []string
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(svc.InstanceGroups.AggregatedList(project).Pages(e.ctx, func(l *compute.InstanceGroupAggregatedList) error {
		for scope, sl := range l.Items {
			for _, g := range sl.InstanceGroups {
				out = append(out, fmt.Sprintf("group %s/%s size=%d", lastSeg(scope), g.Name, g.Size))
			}
		}
		return nil
	}))
	must(svc.RegionBackendServices.List(project, "us-central1").Pages(e.ctx, func(l *compute.BackendServiceList) error {
		for _, b := range l.Items {
			out = append(out, fmt.Sprintf("backend %s %s check=%s backends=%d", b.Name, b.Protocol, lastSeg(b.HealthChecks[0]), len(b.Backends)))
		}
		return nil
	}))
	must(svc.HealthChecks.List(project).Pages(e.ctx, func(l *compute.HealthCheckList) error {
		for _, h := range l.Items {
			out = append(out, fmt.Sprintf("check %s port=%d", h.Name, h.HttpHealthCheck.Port))
		}
		return nil
	}))
	st := e.lbState()
	for _, r := range st.rules {
		out = append(out, fmt.Sprintf("rule %s %s", r.Name, r.LoadBalancingScheme))
	}
	for _, n := range names(st.pools) {
		out = append(out, "pool "+n)
	}
	for _, n := range names(st.checks) {
		out = append(out, "http-check "+n)
	}
	for _, n := range names(st.firewalls) {
		out = append(out, "firewall "+n)
	}
	for _, n := range names(st.addresses) {
		out = append(out, "address "+n)
	}
	sort.Strings(out)
	return out
}

// clusterID is the id the CCM keeps in kube-system/ingress-uid.
func (e *env) clusterID() string {
	e.t.Helper()
	var id string
	e.eventually("the cluster id ConfigMap", 30*time.Second, func() (bool, string) {
		cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(e.ctx, "ingress-uid", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		id = cm.Data["uid"]
		if p := cm.Data["provider-uid"]; p != "" {
			id = p
		}
		return id != "", ""
	})
	return id
}

// hasLine: a line of the object list starts with prefix.
func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func internal(s *v1.Service) {
	if s.Annotations == nil {
		s.Annotations = map[string]string{}
	}
	s.Annotations["networking.gke.io/load-balancer-type"] = "Internal"
}

// TestInternalLoadBalancer: an internal Service gets an IP of the cluster's
// subnetwork and exactly the internal objects; the traffic-policy flip
// swaps the check; global access patches the rule in place; switching to
// external and back leaves nothing of the other kind; deletion leaves
// nothing.
func TestInternalLoadBalancer(t *testing.T) {
	e := newEnv(t, 6*time.Minute)
	e.startCCM("ccm", false)
	for i := range 3 {
		e.addNode(fmt.Sprintf("node-%d", i), zones[i%2], true, podCIDR(i))
	}
	s := e.createService("ilb", internal)
	e.eventually("the internal Service gets an IP", 120*time.Second, func() (bool, string) { return e.serviceIP("ilb") != "", "" })
	ip := netip.MustParseAddr(e.serviceIP("ilb"))
	if !netip.MustParsePrefix("10.128.0.0/9").Contains(ip) {
		t.Fatalf("IP %s is not internal", ip)
	}
	cid, lb := e.clusterID(), lbName(s)
	want := []string{
		"backend " + lb + " TCP check=k8s-" + cid + "-node backends=2",
		"check k8s-" + cid + "-node port=10256",
		"firewall k8s-" + cid + "-node-hc",
		"firewall k8s-fw-" + lb,
		"group us-central1-a/k8s-ig--" + cid + " size=2",
		"group us-central1-b/k8s-ig--" + cid + " size=1",
		"rule " + lb + " INTERNAL",
	}
	e.eventually("exactly the internal objects", 60*time.Second, func() (bool, string) {
		got := e.ilbObjects()
		return strings.Join(got, "\n") == strings.Join(want, "\n"), strings.Join(got, "; ")
	})

	// externalTrafficPolicy Local: the Service's own check on its node port.
	e.updateService("ilb", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	e.eventually("the backend service uses the Service's own check", 120*time.Second, func() (bool, string) {
		got := strings.Join(e.ilbObjects(), "; ")
		return strings.Contains(got, "check="+lb+" ") && !strings.Contains(got, "k8s-"+cid+"-node"), got
	})
	if now := e.serviceIP("ilb"); now != ip.String() {
		t.Errorf("the flip changed the IP: %s -> %s", ip, now)
	}

	// Global access: the rule is patched in place, same id and IP.
	before, err := e.computeService().ForwardingRules.Get(project, "us-central1", lb).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	e.updateService("ilb", func(s *v1.Service) {
		s.Annotations["networking.gke.io/internal-load-balancer-allow-global-access"] = "true"
	})
	e.eventually("the rule allows global access, same rule and IP", 120*time.Second, func() (bool, string) {
		r, err := e.computeService().ForwardingRules.Get(project, "us-central1", lb).Context(e.ctx).Do()
		if err != nil {
			return false, err.Error()
		}
		if r.Id != before.Id || r.IPAddress != before.IPAddress {
			t.Fatalf("the rule was replaced: id %d -> %d, IP %s -> %s", before.Id, r.Id, before.IPAddress, r.IPAddress)
		}
		return r.AllowGlobalAccess, fmt.Sprintf("allowGlobalAccess=%v", r.AllowGlobalAccess)
	})

	// To external: the internal objects go, an external load balancer comes.
	// (The internal annotations go too: an external Service with one is refused.)
	e.updateService("ilb", func(s *v1.Service) {
		delete(s.Annotations, "networking.gke.io/load-balancer-type")
		delete(s.Annotations, "networking.gke.io/internal-load-balancer-allow-global-access")
	})
	e.eventually("only the external load balancer is left", 120*time.Second, func() (bool, string) {
		got := e.ilbObjects()
		return hasLine(got, "rule "+lb+" EXTERNAL") && hasLine(got, "pool "+lb) &&
			!hasLine(got, "backend ") && !hasLine(got, "group ") && !hasLine(got, "check "), strings.Join(got, "; ")
	})
	// And back to internal: nothing of the external one stays.
	e.updateService("ilb", internal)
	e.eventually("only the internal load balancer is left", 120*time.Second, func() (bool, string) {
		got := e.ilbObjects()
		return hasLine(got, "rule "+lb+" INTERNAL") && !hasLine(got, "pool ") && !hasLine(got, "http-check ") &&
			!hasLine(got, "address "), strings.Join(got, "; ")
	})

	if err := kube.CoreV1().Services("default").Delete(e.ctx, "ilb", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("nothing left after deletion", 120*time.Second, func() (bool, string) {
		got := e.ilbObjects()
		return len(got) == 0, strings.Join(got, "; ")
	})
}

// TestInternalLoadBalancerRefusals: an internal Service GCE cannot serve
// gets a Warning event naming the field and no object; a good one next to
// it converges.
func TestInternalLoadBalancerRefusals(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	e.startCCM("ccm", false)
	e.addNode("node-0", zones[0], true, podCIDR(0))
	bad := []struct{ name, field string }{
		{"bad-subnet", "internal-load-balancer-subnet"},
		{"bad-ip", "spec.loadBalancerIP"},
		{"bad-type", "load-balancer-type"},
		{"vm-ip", "is the internal IP of VM node-0"},
	}
	e.createService("bad-subnet", func(s *v1.Service) {
		internal(s)
		s.Annotations["networking.gke.io/internal-load-balancer-subnet"] = "nope"
	})
	e.createService("bad-ip", func(s *v1.Service) { internal(s); s.Spec.LoadBalancerIP = "192.168.50.1" })
	e.createService("bad-type", func(s *v1.Service) {
		s.Annotations = map[string]string{"networking.gke.io/load-balancer-type": "Regional"}
	})
	vm, err := e.computeService().Instances.Get(project, zones[0], "node-0").Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	e.createService("vm-ip", func(s *v1.Service) { internal(s); s.Spec.LoadBalancerIP = vm.NetworkInterfaces[0].NetworkIP })
	e.createService("good", internal)
	e.eventually("the good internal Service gets its IP", 120*time.Second, func() (bool, string) { return e.serviceIP("good") != "", "" })
	for _, b := range bad {
		e.eventually("a Warning event on "+b.name+" naming "+b.field, 60*time.Second, func() (bool, string) {
			var msgs []string
			for _, ev := range e.eventsFor("Service", "default", b.name) {
				if ev.Type == v1.EventTypeWarning && strings.Contains(ev.Message, b.field) {
					return true, ""
				}
				msgs = append(msgs, ev.Reason+": "+ev.Message)
			}
			return false, strings.Join(msgs, " | ")
		})
		if e.serviceIP(b.name) != "" {
			t.Errorf("%s got an IP", b.name)
		}
	}
	// Only the good Service's objects exist.
	var good *v1.Service
	good, err = kube.CoreV1().Services("default").Get(e.ctx, "good", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range e.ilbObjects() {
		if (strings.HasPrefix(line, "rule ") || strings.HasPrefix(line, "backend ")) && !strings.Contains(line, lbName(good)) {
			t.Errorf("an object of a refused Service: %s", line)
		}
	}
}
