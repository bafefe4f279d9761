//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"
)

func (e *env) createService(name string, mutate func(*v1.Service)) *v1.Service {
	e.t.Helper()
	s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"e2e": "true"}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name},
			Ports: []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP}}}}
	if mutate != nil {
		mutate(s)
	}
	s, err := kube.CoreV1().Services("default").Create(e.ctx, s, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) updateService(name string, mutate func(*v1.Service)) {
	e.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		s, err := kube.CoreV1().Services("default").Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(s)
		_, err = kube.CoreV1().Services("default").Update(e.ctx, s, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) serviceIP(name string) string {
	s, err := kube.CoreV1().Services("default").Get(e.ctx, name, metav1.GetOptions{})
	if err != nil || len(s.Status.LoadBalancer.Ingress) == 0 {
		return ""
	}
	return s.Status.LoadBalancer.Ingress[0].IP
}

// lbState is every load-balancing object in the emulator, by name.
type lbState struct {
	rules     map[string]*compute.ForwardingRule
	pools     map[string]*compute.TargetPool
	firewalls map[string]*compute.Firewall
	checks    map[string]*compute.HttpHealthCheck
	addresses map[string]*compute.Address
}

func (e *env) lbState() lbState {
	e.t.Helper()
	svc := e.computeService()
	st := lbState{rules: map[string]*compute.ForwardingRule{}, pools: map[string]*compute.TargetPool{},
		firewalls: map[string]*compute.Firewall{}, checks: map[string]*compute.HttpHealthCheck{}, addresses: map[string]*compute.Address{}}
	must := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	must(svc.ForwardingRules.AggregatedList(project).Pages(e.ctx, func(l *compute.ForwardingRuleAggregatedList) error {
		for _, sl := range l.Items {
			for _, r := range sl.ForwardingRules {
				st.rules[r.Name] = r
			}
		}
		return nil
	}))
	must(svc.TargetPools.AggregatedList(project).Pages(e.ctx, func(l *compute.TargetPoolAggregatedList) error {
		for _, sl := range l.Items {
			for _, p := range sl.TargetPools {
				st.pools[p.Name] = p
			}
		}
		return nil
	}))
	must(svc.Firewalls.List(project).Pages(e.ctx, func(l *compute.FirewallList) error {
		for _, f := range l.Items {
			st.firewalls[f.Name] = f
		}
		return nil
	}))
	must(svc.HttpHealthChecks.List(project).Pages(e.ctx, func(l *compute.HttpHealthCheckList) error {
		for _, h := range l.Items {
			st.checks[h.Name] = h
		}
		return nil
	}))
	must(svc.Addresses.AggregatedList(project).Pages(e.ctx, func(l *compute.AddressAggregatedList) error {
		for _, sl := range l.Items {
			for _, a := range sl.Addresses {
				st.addresses[a.Name] = a
			}
		}
		return nil
	}))
	return st
}

func names[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func members(p *compute.TargetPool) []string {
	var out []string
	for _, i := range p.Instances {
		out = append(out, lastSeg(i))
	}
	sort.Strings(out)
	return out
}

func lbName(s *v1.Service) string { return "a" + strings.ReplaceAll(string(s.UID), "-", "")[:31] }

func TestLoadBalancerLifecycle(t *testing.T) {
	e := newEnv(t, 5*time.Minute)
	e.startCCM("ccm", false)
	for i := 0; i < 4; i++ {
		e.addNode(fmt.Sprintf("node-%d", i), zones[i%3], true, podCIDR(i))
	}
	svc := e.createService("web", nil)
	lb := lbName(svc)
	var ip string
	e.eventually("an external IP in the Service's status", 90*time.Second, func() (bool, string) {
		ip = e.serviceIP("web")
		return ip != "", "no IP yet"
	})
	var hcName string
	e.eventually("the exact set of GCE objects", 60*time.Second, func() (bool, string) {
		st := e.lbState()
		fr, pool := st.rules[lb], st.pools[lb]
		if fr == nil || pool == nil || len(st.rules) != 1 || len(st.pools) != 1 {
			return false, fmt.Sprintf("rules %v pools %v", names(st.rules), names(st.pools))
		}
		if fr.IPAddress != ip || lastSeg(fr.Target) != lb || fr.IPProtocol != "TCP" || fr.PortRange != "80-80" {
			return false, fmt.Sprintf("rule %+v", fr)
		}
		if got := fmt.Sprint(members(pool)); got != "[node-0 node-1 node-2 node-3]" {
			return false, "pool members " + got
		}
		if len(pool.HealthChecks) != 1 || len(st.checks) != 1 {
			return false, fmt.Sprintf("checks %v, pool checks %v", names(st.checks), pool.HealthChecks)
		}
		hcName = lastSeg(pool.HealthChecks[0])
		hc := st.checks[hcName]
		if hc == nil || hc.Port != 10256 || hc.RequestPath != "/healthz" || !strings.HasSuffix(hcName, "-node") {
			return false, fmt.Sprintf("health check %+v", hc)
		}
		fw := st.firewalls["k8s-fw-"+lb]
		if fw == nil || fmt.Sprint(fw.DestinationRanges) != "["+ip+"]" || fmt.Sprint(fw.SourceRanges) != "[0.0.0.0/0]" ||
			len(fw.Allowed) != 1 || fw.Allowed[0].IPProtocol != "tcp" || fmt.Sprint(fw.Allowed[0].Ports) != "[80]" {
			return false, fmt.Sprintf("firewall %+v", fw)
		}
		if _, ok := st.firewalls[hcName+"-http-hc"]; !ok || len(st.firewalls) != 2 {
			return false, fmt.Sprintf("firewalls %v", names(st.firewalls))
		}
		if len(st.addresses) != 0 {
			return false, fmt.Sprintf("leftover reserved addresses %v", names(st.addresses))
		}
		return true, ""
	})
	before := e.lbState()
	frID, poolID := before.rules[lb].Id, before.pools[lb].Id

	// Nodes added, one labelled for exclusion: the pool follows.
	e.addNode("node-4", zones[1], true, podCIDR(4))
	e.addNode("node-5", zones[2], true, podCIDR(5))
	e.updateNode("node-1", func(n *v1.Node) {
		n.Labels = map[string]string{"node.kubernetes.io/exclude-from-external-load-balancers": "true"}
	})
	e.eventually("the pool holds the new nodes and not the excluded one", 90*time.Second, func() (bool, string) {
		got := fmt.Sprint(members(e.lbState().pools[lb]))
		return got == "[node-0 node-2 node-3 node-4 node-5]", got
	})

	// externalTrafficPolicy flipped: the health check is swapped on the same pool.
	e.updateService("web", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	e.eventually("the pool checks the Service's healthCheckNodePort", 90*time.Second, func() (bool, string) {
		s, _ := kube.CoreV1().Services("default").Get(e.ctx, "web", metav1.GetOptions{})
		st := e.lbState()
		pool := st.pools[lb]
		if pool == nil || len(pool.HealthChecks) != 1 || lastSeg(pool.HealthChecks[0]) != lb {
			return false, fmt.Sprintf("pool checks %v", pool)
		}
		hc := st.checks[lb]
		if hc == nil || hc.Port != int64(s.Spec.HealthCheckNodePort) {
			return false, fmt.Sprintf("check %+v (healthCheckNodePort %d)", hc, s.Spec.HealthCheckNodePort)
		}
		return true, ""
	})
	after := e.lbState()
	if after.rules[lb].Id != frID || after.pools[lb].Id != poolID {
		t.Errorf("forwarding rule or pool recreated by the ETP flip: rule %d->%d pool %d->%d", frID, after.rules[lb].Id, poolID, after.pools[lb].Id)
	}
	if e.serviceIP("web") != ip {
		t.Errorf("IP changed: %s -> %s", ip, e.serviceIP("web"))
	}

	// The Service deleted: every GCE object goes, and the finalizer with it.
	if err := kube.CoreV1().Services("default").Delete(e.ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("the Service gone (finalizer removed)", 90*time.Second, func() (bool, string) {
		_, err := kube.CoreV1().Services("default").Get(e.ctx, "web", metav1.GetOptions{})
		return isNotFound(err), fmt.Sprint(err)
	})
	st := e.lbState()
	if len(st.rules)+len(st.pools)+len(st.checks)+len(st.firewalls)+len(st.addresses) != 0 {
		t.Errorf("leaked: rules %v pools %v checks %v firewalls %v addresses %v", names(st.rules), names(st.pools),
			names(st.checks), names(st.firewalls), names(st.addresses))
	}
}

func TestLoadBalancerBadInputGetsEvents(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	e.startCCM("ccm", false)
	e.addNode("node-0", zones[0], true, podCIDR(0))
	// The API server itself refuses a malformed source range, in the field
	// and in the annotation: it never reaches the controller.
	for _, mutate := range []func(*v1.Service){
		func(s *v1.Service) { s.Spec.LoadBalancerSourceRanges = []string{"not-a-cidr"} },
		func(s *v1.Service) {
			s.Annotations = map[string]string{"service.beta.kubernetes.io/load-balancer-source-ranges": "10.0.0.0/8,not-a-cidr"}
		},
	} {
		s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "bad-ranges", Namespace: "default", Labels: map[string]string{"e2e": "true"}},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80, Protocol: v1.ProtocolTCP}}}}
		mutate(s)
		if _, err := kube.CoreV1().Services("default").Create(e.ctx, s, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "CIDR") {
			t.Errorf("a malformed source range was accepted by the API server: %v", err)
		}
	}
	bad := e.createService("bad-tier", func(s *v1.Service) {
		s.Annotations = map[string]string{"cloud.google.com/network-tier": "Gold"}
	})
	sctp := e.createService("sctp", func(s *v1.Service) { s.Spec.Ports[0].Protocol = v1.ProtocolSCTP })
	good := e.createService("good", nil)
	e.eventually("the good Service gets its IP", 90*time.Second, func() (bool, string) { return e.serviceIP("good") != "", "" })
	for _, tc := range []struct {
		svc  *v1.Service
		text string
	}{{bad, "network-tier"}, {sctp, "SCTP"}} {
		e.eventually("a Warning event on "+tc.svc.Name+" naming "+tc.text, 60*time.Second, func() (bool, string) {
			evs := e.eventsFor("Service", "default", tc.svc.Name)
			for _, ev := range evs {
				if ev.Type == v1.EventTypeWarning && strings.Contains(ev.Message, tc.text) {
					return true, ""
				}
			}
			var msgs []string
			for _, ev := range evs {
				msgs = append(msgs, ev.Reason+": "+ev.Message)
			}
			return false, strings.Join(msgs, " | ")
		})
	}
	st := e.lbState()
	for _, s := range []*v1.Service{bad, sctp} {
		n := lbName(s)
		if st.rules[n] != nil || st.pools[n] != nil || st.firewalls["k8s-fw-"+n] != nil {
			t.Errorf("GCE objects created for %s", s.Name)
		}
		if e.serviceIP(s.Name) != "" {
			t.Errorf("%s got an IP", s.Name)
		}
	}
	if st.rules[lbName(good)] == nil {
		t.Errorf("the good Service has no forwarding rule")
	}
}
