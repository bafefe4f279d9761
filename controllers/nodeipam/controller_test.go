package nodeipam

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/component-base/metrics/testutil"
)

// run starts a controller (a fresh process: its own informers and state)
// on kube; the returned stop ends it and waits for it.
func run(t *testing.T, kube *fake.Clientset, f Flags) (stop func()) {
	t.Helper()
	f.AllocatorType = string(RangeAllocator)
	cfg, err := ParseConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	inf := informers.NewSharedInformerFactory(kube, 0)
	c, err := New(cfg, kube, inf.Core().V1().Nodes(), Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	inf.Start(ctx.Done())
	inf.WaitForCacheSync(ctx.Done()) // the fake's watch then starts empty (its channel holds only 100 events)
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done; inf.Shutdown() }) }
	t.Cleanup(stop)
	return stop
}

func createNode(t *testing.T, kube *fake.Clientset, name string, age time.Duration, cidrs ...string) {
	t.Helper()
	n := node(name, cidrs...)
	n.CreationTimestamp = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(-age))
	if _, err := kube.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or 30 s pass.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) {
			ok, msg := cond()
			last = msg
			return ok, nil
		})
	if err != nil {
		t.Fatalf("%s: not reached: %s", what, last)
	}
}

// podCIDRs reads every node's spec.podCIDRs.
func podCIDRs(t *testing.T, kube *fake.Clientset) map[string][]string {
	t.Helper()
	l, err := kube.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, n := range l.Items {
		out[n.Name] = n.Spec.PodCIDRs
	}
	return out
}

// allAllocated waits for every node to have CIDRs, then checks none is
// shared and each lies in cluster; it returns them.
func allAllocated(t *testing.T, kube *fake.Clientset, cluster string) map[string][]string {
	t.Helper()
	var got map[string][]string
	eventually(t, "every node has pod CIDRs", func() (bool, string) {
		got = podCIDRs(t, kube)
		for n, c := range got {
			if len(c) == 0 {
				return false, n + " has none"
			}
		}
		return true, ""
	})
	cl := netip.MustParsePrefix(cluster)
	owner := map[string]string{}
	for n, cs := range got {
		p := netip.MustParsePrefix(cs[0])
		if !cl.Contains(p.Addr()) {
			t.Errorf("%s: %s outside %s", n, p, cl)
		}
		if o, dup := owner[cs[0]]; dup {
			t.Errorf("%s given to %s and %s", cs[0], o, n)
		}
		owner[cs[0]] = n
	}
	return got
}

// Nodes created at once, 25 at a time (the fake clientset's watch drops
// its watcher past 100 pending events), with 8 workers allocating.
func TestControllerConcurrentNodes(t *testing.T) {
	kube := fake.NewClientset()
	run(t, kube, Flags{ClusterCIDR: "10.64.0.0/16"})
	for batch := range 8 {
		var wg sync.WaitGroup
		for i := range 25 {
			wg.Go(func() { createNode(t, kube, fmt.Sprintf("n-%d-%02d", batch, i), 0) })
		}
		wg.Wait()
		allAllocated(t, kube, "10.64.0.0/16")
	}
	if got := allAllocated(t, kube, "10.64.0.0/16"); len(got) != 200 {
		t.Fatalf("%d nodes; want 200", len(got))
	}
}

// A restart, or a new leader, starts from the nodes' own CIDRs: the
// second controller never hands out one the first gave, nor one a node
// had before either ran.
func TestControllerRestartAndLeaderChange(t *testing.T) {
	kube := fake.NewClientset()
	createNode(t, kube, "old", time.Hour, "10.64.7.0/24") // given by the controller being replaced
	flags := Flags{ClusterCIDR: "10.64.0.0/20"}
	stop := run(t, kube, flags)
	for i := range 6 {
		createNode(t, kube, fmt.Sprintf("a-%d", i), 0)
	}
	first := allAllocated(t, kube, "10.64.0.0/20")
	stop()

	run(t, kube, flags) // the next leader
	for i := range 8 {
		createNode(t, kube, fmt.Sprintf("b-%d", i), 0)
	}
	got := allAllocated(t, kube, "10.64.0.0/20") // checks no CIDR is shared
	for n, c := range first {
		if fmt.Sprint(got[n]) != fmt.Sprint(c) {
			t.Errorf("%s: %v became %v", n, c, got[n])
		}
	}
	if len(got) != 15 {
		t.Errorf("%d nodes; want 15", len(got))
	}
}

func TestControllerExhaustionThenRelease(t *testing.T) {
	kube := fake.NewClientset()
	run(t, kube, Flags{ClusterCIDR: "10.64.0.0/23"}) // two /24s
	before := counter(t, "RangeAllocator", resultExhausted)
	createNode(t, kube, "a", 3*time.Minute)
	createNode(t, kube, "b", 2*time.Minute)
	allAllocated(t, kube, "10.64.0.0/23")
	createNode(t, kube, "c", time.Minute)
	eventually(t, "a CIDRNotAvailable event on c", func() (bool, string) {
		return hasEvent(t, kube, "c", ReasonCIDRNotAvailable)
	})
	if got := counter(t, "RangeAllocator", resultExhausted); got <= before {
		t.Errorf("exhausted allocations = %v; want more than %v", got, before)
	}
	if got := gauge(t); got != 1 {
		t.Errorf("nodes waiting = %v; want 1", got)
	}
	aCIDR := podCIDRs(t, kube)["a"]
	if err := kube.CoreV1().Nodes().Delete(context.Background(), "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "c gets a's CIDR", func() (bool, string) {
		c := podCIDRs(t, kube)["c"]
		return fmt.Sprint(c) == fmt.Sprint(aCIDR), fmt.Sprintf("c has %v, a had %v", c, aCIDR)
	})
	if got := gauge(t); got != 0 {
		t.Errorf("nodes waiting = %v; want 0", got)
	}
}

func TestControllerRefusesBadExistingCIDRs(t *testing.T) {
	kube := fake.NewClientset()
	createNode(t, kube, "older", 2*time.Hour, "10.64.1.0/24")
	createNode(t, kube, "newer", time.Hour, "10.64.1.0/24")   // collides: older keeps it
	createNode(t, kube, "stray", time.Hour, "192.168.0.0/24") // outside
	run(t, kube, Flags{ClusterCIDR: "10.64.0.0/22"})
	eventually(t, "PodCIDRCollision on newer", func() (bool, string) { return hasEvent(t, kube, "newer", ReasonCollision) })
	eventually(t, "PodCIDROutsideClusterCIDR on stray", func() (bool, string) { return hasEvent(t, kube, "stray", ReasonOutside) })
	if ok, _ := hasEvent(t, kube, "older", ReasonCollision); ok {
		t.Error("the older node got the collision event")
	}
	// Nothing else changed: the nodes keep their CIDRs, and a new node
	// gets neither the collided one nor the service of anyone's.
	createNode(t, kube, "new", 0)
	eventually(t, "new gets a CIDR", func() (bool, string) {
		c := podCIDRs(t, kube)["new"]
		return len(c) == 1, fmt.Sprint(c)
	})
	got := podCIDRs(t, kube)
	want := map[string]string{"older": "[10.64.1.0/24]", "newer": "[10.64.1.0/24]", "stray": "[192.168.0.0/24]"}
	for n, w := range want {
		if fmt.Sprint(got[n]) != w {
			t.Errorf("%s: %v; want %s", n, got[n], w)
		}
	}
	if fmt.Sprint(got["new"]) == "[10.64.1.0/24]" {
		t.Errorf("new got the collided CIDR")
	}
}

func hasEvent(t *testing.T, kube *fake.Clientset, nodeName, reason string) (bool, string) {
	t.Helper()
	evs, err := kube.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range evs.Items {
		if e.InvolvedObject.Kind == "Node" && e.InvolvedObject.Name == nodeName && e.Reason == reason && e.Type == v1.EventTypeWarning {
			return true, ""
		}
		seen = append(seen, e.InvolvedObject.Name+":"+e.Reason)
	}
	return false, fmt.Sprint(seen)
}

func counter(t *testing.T, labels ...string) float64 {
	t.Helper()
	v, err := testutil.GetCounterMetricValue(allocationsTotal.WithLabelValues(labels...))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func gauge(t *testing.T) float64 {
	t.Helper()
	v, err := testutil.GetGaugeMetricValue(nodesWaiting)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A write that loses the race (another writer, e.g. a leader that had not
// yet stopped, set the node's CIDRs first; the API server then refuses to
// change them) drops the controller's pick and records the node's own.
func TestControllerLostRace(t *testing.T) {
	kube := fake.NewClientset()
	var once sync.Once
	kube.PrependReactor("patch", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.PatchAction)
		if p.GetName() != "raced" || p.GetSubresource() != "" {
			return false, nil, nil
		}
		lost := false
		once.Do(func() {
			lost = true
			n, err := kube.Tracker().Get(v1.SchemeGroupVersion.WithResource("nodes"), "", "raced")
			if err != nil {
				t.Error(err)
				return
			}
			nn := n.(*v1.Node).DeepCopy()
			nn.Spec.PodCIDR, nn.Spec.PodCIDRs = "10.64.9.0/24", []string{"10.64.9.0/24"}
			if err := kube.Tracker().Update(v1.SchemeGroupVersion.WithResource("nodes"), nn, ""); err != nil {
				t.Error(err)
			}
		})
		if !lost {
			return false, nil, nil
		}
		return true, nil, apierrors.NewInvalid(v1.SchemeGroupVersion.WithKind("Node").GroupKind(), "raced",
			field.ErrorList{field.Forbidden(field.NewPath("spec", "podCIDRs"), "node updates may not change podCIDR except from \"\" to valid")})
	})
	run(t, kube, Flags{ClusterCIDR: "10.64.0.0/20"})
	createNode(t, kube, "raced", 0)
	eventually(t, "raced keeps the other writer's CIDR", func() (bool, string) {
		c := podCIDRs(t, kube)["raced"]
		return fmt.Sprint(c) == "[10.64.9.0/24]", fmt.Sprint(c)
	})
	// The controller recorded it: 15 more nodes fill the rest of the /20
	// without 10.64.9.0/24, and a 17th finds it full.
	for i := range 15 {
		createNode(t, kube, fmt.Sprintf("n-%02d", i), 0)
	}
	allAllocated(t, kube, "10.64.0.0/20")
	createNode(t, kube, "one-too-many", 0)
	eventually(t, "the range is full", func() (bool, string) { return hasEvent(t, kube, "one-too-many", ReasonCIDRNotAvailable) })
}
