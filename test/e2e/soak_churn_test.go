//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/util/retry"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The cluster changing underneath, in two bounded loops with their own
// random streams: nodes (added with or without a pod CIDR, CIDRs assigned
// later, removed, VMs stopped and started, VMs deleted out of band so that
// the CCM must delete the Node) and LoadBalancer Services (created,
// updated in one field at a time, deleted, or deleted with its finalizer
// stripped). With SOAK_DRIFT=1 the loops also change or delete GCE objects
// behind the CCM's back.

type soakNode struct {
	zone    string
	cidr    string // "" until assigned
	stopped bool
}

type soak struct {
	e    *env
	cfg  soakConfig
	reps *replicas

	mu       sync.Mutex
	nodes    map[string]*soakNode
	nextNode int
	nextCIDR int
	svcs     []string
	nextSvc  int
	count    map[string]int
}

func (s *soak) did(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count == nil {
		s.count = map[string]int{}
	}
	s.count[what]++
}

func (s *soak) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.count))
	for k, v := range s.count {
		out[k] = v
	}
	return out
}

// every runs step at intervals of mean ±50% until ctx ends.
func every(ctx context.Context, rnd *rand.Rand, mean time.Duration, step func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(float64(mean) * (0.5 + rnd.Float64()))):
		}
		step()
	}
}

// pick returns one of the kinds whose condition holds, weighted.
func pick(rnd *rand.Rand, kinds []weighted) string {
	total := 0
	for _, k := range kinds {
		if k.ok {
			total += k.w
		}
	}
	if total == 0 {
		return ""
	}
	n := rnd.Intn(total)
	for _, k := range kinds {
		if k.ok {
			if n < k.w {
				return k.name
			}
			n -= k.w
		}
	}
	return ""
}

type weighted struct {
	name string
	w    int
	ok   bool
}

// podCIDRs come from 10.65.0.0/16 and 10.66.0.0/16 (inside the cluster
// CIDR 10.64.0.0/14), a fresh /24 for every assignment, so a node added
// again under an old name gets another CIDR and its old route must go.
func (s *soak) newCIDR() string {
	s.nextCIDR++
	n := s.nextCIDR % 512
	return fmt.Sprintf("10.%d.%d.0/24", 65+n/256, n%256)
}

func (s *soak) sortedNodes(f func(*soakNode) bool) []string {
	var out []string
	for name, n := range s.nodes {
		if f(n) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (s *soak) nodeLoop(ctx context.Context) {
	rnd := soakRand(s.cfg.Seed, 0)
	every(ctx, rnd, 2*time.Second, func() {
		s.mu.Lock()
		all := s.sortedNodes(func(*soakNode) bool { return true })
		noCIDR := s.sortedNodes(func(n *soakNode) bool { return n.cidr == "" })
		running := s.sortedNodes(func(n *soakNode) bool { return !n.stopped })
		stopped := s.sortedNodes(func(n *soakNode) bool { return n.stopped })
		s.mu.Unlock()
		kind := pick(rnd, []weighted{
			{"node added", 3, len(all) < s.cfg.MaxNodes},
			{"pod CIDR assigned", 3, len(noCIDR) > 0},
			{"node removed", 2, len(all) > 2},
			{"VM deleted out of band", 1, len(all) > 2},
			{"VM stopped", 2, len(running) > 2},
			{"VM started", 2, len(stopped) > 0},
		})
		oneOf := func(l []string) string { return l[rnd.Intn(len(l))] }
		var err error
		switch kind {
		case "node added":
			err = s.addNode(rnd)
		case "pod CIDR assigned":
			err = s.assignCIDR(oneOf(noCIDR))
		case "node removed":
			err = s.removeNode(oneOf(all), false)
		case "VM deleted out of band":
			err = s.removeNode(oneOf(all), true)
		case "VM stopped", "VM started":
			l, status := running, fakecompute.StatusTerminated
			if kind == "VM started" {
				l, status = stopped, fakecompute.StatusRunning
			}
			name := oneOf(l)
			s.mu.Lock()
			n := s.nodes[name]
			s.mu.Unlock()
			if err = s.e.gce.SetInstanceStatus(n.zone, name, status); err == nil {
				s.mu.Lock()
				n.stopped = kind == "VM stopped"
				s.mu.Unlock()
			}
		}
		s.record(kind, err)
	})
}

func (s *soak) record(kind string, err error) {
	if kind == "" {
		return
	}
	if err != nil {
		s.e.t.Logf("soak: %s: %v", kind, err)
		s.did(kind + " (failed)")
		return
	}
	s.did(kind)
}

func (s *soak) addNode(rnd *rand.Rand) error {
	s.mu.Lock()
	// A name in use, or whose Node the CCM has yet to delete after its VM
	// went out of band, is skipped.
	var name string
	for {
		name = fmt.Sprintf("soak-%02d", s.nextNode%(2*s.cfg.MaxNodes))
		s.nextNode++
		if s.nodes[name] != nil {
			continue
		}
		if _, err := kube.CoreV1().Nodes().Get(s.e.ctx, name, metav1.GetOptions{}); !isNotFound(err) {
			continue
		}
		break
	}
	n := &soakNode{zone: zones[rnd.Intn(len(zones))]}
	// Seven in ten nodes register with a CIDR; the others get one later.
	if rnd.Intn(10) < 7 {
		n.cidr = s.newCIDR()
	}
	s.mu.Unlock()
	if _, err := s.e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: n.zone, CanIPForward: true, Tags: []string{"soak-node"}}); err != nil {
		return err
	}
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{ProviderID: "gce://" + project + "/" + n.zone + "/" + name}}
	if n.cidr != "" {
		node.Spec.PodCIDR, node.Spec.PodCIDRs = n.cidr, []string{n.cidr}
	}
	if _, err := kube.CoreV1().Nodes().Create(s.e.ctx, node, metav1.CreateOptions{}); err != nil {
		return err
	}
	s.mu.Lock()
	s.nodes[name] = n
	s.mu.Unlock()
	return nil
}

func (s *soak) assignCIDR(name string) error {
	s.mu.Lock()
	cidr := s.newCIDR()
	s.mu.Unlock()
	patch := fmt.Sprintf(`{"spec":{"podCIDR":%q,"podCIDRs":[%q]}}`, cidr, cidr)
	if _, err := kube.CoreV1().Nodes().Patch(s.e.ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return err
	}
	s.mu.Lock()
	s.nodes[name].cidr = cidr
	s.mu.Unlock()
	return nil
}

// removeNode deletes the Node and the VM, or with outOfBand only the VM:
// the CCM's node lifecycle controller must then delete the Node.
func (s *soak) removeNode(name string, outOfBand bool) error {
	s.mu.Lock()
	n := s.nodes[name]
	delete(s.nodes, name)
	s.mu.Unlock()
	if !outOfBand {
		if err := kube.CoreV1().Nodes().Delete(s.e.ctx, name, metav1.DeleteOptions{}); err != nil && !isNotFound(err) {
			return err
		}
	}
	return s.e.gce.DeleteInstanceNow(n.zone, name)
}

// serviceLoop creates, updates and deletes LoadBalancer Services in
// namespace default, labelled soak=true.
func (s *soak) serviceLoop(ctx context.Context) {
	rnd := soakRand(s.cfg.Seed, 1)
	every(ctx, rnd, 3*time.Second, func() {
		s.mu.Lock()
		live := append([]string(nil), s.svcs...)
		s.mu.Unlock()
		kind := pick(rnd, []weighted{
			{"Service created", 4, len(live) < s.cfg.MaxServices},
			{"Service updated", 6, len(live) > 0},
			{"Service deleted", 2, len(live) > 2},
			// The service controller deletes these while it knows the
			// Service; the orphan collector when a leader change loses it.
			{"Service deleted with its finalizer stripped", 1, len(live) > 2},
			{"GCE object changed behind the CCM", 2, s.cfg.Drift && len(live) > 0},
		})
		var err error
		switch kind {
		case "Service created":
			err = s.createService(rnd)
		case "Service updated":
			kind, err = s.updateService(rnd, live[rnd.Intn(len(live))])
		case "Service deleted", "Service deleted with its finalizer stripped":
			err = s.deleteService(live[rnd.Intn(len(live))], kind != "Service deleted")
		case "GCE object changed behind the CCM":
			kind, err = s.driftGCE(rnd, live[rnd.Intn(len(live))])
		}
		s.record(kind, err)
	})
}

func (s *soak) createService(rnd *rand.Rand) error {
	s.mu.Lock()
	name := fmt.Sprintf("soak-svc-%03d", s.nextSvc)
	s.nextSvc++
	s.mu.Unlock()
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"e2e": "true", "soak": "true"}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": name}, Ports: soakPorts(rnd)}}
	if rnd.Intn(3) == 0 {
		svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
	}
	if _, err := kube.CoreV1().Services("default").Create(s.e.ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	s.mu.Lock()
	s.svcs = append(s.svcs, name)
	s.mu.Unlock()
	return nil
}

// soakPorts is one to three TCP ports, and now and then a UDP one (a
// Service with two forwarding rules on one IP).
func soakPorts(rnd *rand.Rand) []v1.ServicePort {
	var ports []v1.ServicePort
	for i, p := range []int32{80, 443, 8080} {
		if i == 0 || rnd.Intn(2) == 0 {
			ports = append(ports, v1.ServicePort{Name: fmt.Sprintf("tcp-%d", p), Port: p, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP})
		}
	}
	if rnd.Intn(4) == 0 {
		ports = append(ports, v1.ServicePort{Name: "udp-53", Port: 53, TargetPort: intstr.FromInt32(5353), Protocol: v1.ProtocolUDP})
	}
	return ports
}

var soakSourceRanges = [][]string{nil, {"10.0.0.0/8"}, {"192.168.0.0/16", "203.0.113.0/24"}}

// updateService changes one field the load balancer depends on.
func (s *soak) updateService(rnd *rand.Rand, name string) (string, error) {
	fields := []string{"ports", "traffic policy", "source ranges", "session affinity", "network tier"}
	field := fields[rnd.Intn(len(fields))]
	// The draws happen before the write so that a retry on conflict does
	// not consume the stream.
	ports, ranges, coin := soakPorts(rnd), soakSourceRanges[rnd.Intn(len(soakSourceRanges))], rnd.Intn(2)
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		svc, err := kube.CoreV1().Services("default").Get(s.e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch field {
		case "ports":
			svc.Spec.Ports = ports
		case "traffic policy":
			if svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal {
				svc.Spec.ExternalTrafficPolicy, svc.Spec.HealthCheckNodePort = v1.ServiceExternalTrafficPolicyCluster, 0
			} else {
				svc.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal
			}
		case "source ranges":
			svc.Spec.LoadBalancerSourceRanges = ranges
		case "session affinity":
			svc.Spec.SessionAffinity, svc.Spec.SessionAffinityConfig = v1.ServiceAffinityNone, nil
			if coin == 1 {
				svc.Spec.SessionAffinity = v1.ServiceAffinityClientIP
			}
		case "network tier":
			if svc.Annotations == nil {
				svc.Annotations = map[string]string{}
			}
			svc.Annotations["cloud.google.com/network-tier"] = [...]string{"Premium", "Standard"}[coin]
		}
		_, err = kube.CoreV1().Services("default").Update(s.e.ctx, svc, metav1.UpdateOptions{})
		return err
	})
	return "Service updated: " + field, err
}

func (s *soak) deleteService(name string, stripFinalizer bool) error {
	s.mu.Lock()
	for i, n := range s.svcs {
		if n == name {
			s.svcs = append(s.svcs[:i], s.svcs[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if err := kube.CoreV1().Services("default").Delete(s.e.ctx, name, metav1.DeleteOptions{}); err != nil {
		return err
	}
	if !stripFinalizer {
		return nil
	}
	// What a user in a hurry does: the load balancer is then an orphan
	// that only the orphan collector can find.
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		svc, err := kube.CoreV1().Services("default").Get(s.e.ctx, name, metav1.GetOptions{})
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		svc.Finalizers = nil
		_, err = kube.CoreV1().Services("default").Update(s.e.ctx, svc, metav1.UpdateOptions{})
		if isNotFound(err) {
			return nil
		}
		return err
	})
}
