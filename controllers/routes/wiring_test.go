package routes

import (
	"context"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gce-ccm/gce-ccm/controllers/nodeevents"
)

// The route controller's handlers, added through routeNodes as the binary
// adds them, receive node events by the Routes policy: an update of a
// node's addresses alone never reaches them, and the updates after the
// first event of an interval arrive folded into one, at its end.
func TestResyncingNodesPassEventsThroughRouteEvents(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := fake.NewClientset(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"},
		Status: v1.NodeStatus{Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.2"}}}})
	factory := informers.NewSharedInformerFactory(kube, 0)
	clk := testingclock.NewFakeClock(time.Unix(1000, 0))
	nodes := routeNodes(factory.Core().V1().Nodes(), time.Hour, clk)

	var mu sync.Mutex
	var adds int
	var updates []*v1.Node
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { mu.Lock(); adds++; mu.Unlock() },
		UpdateFunc: func(_, cur any) {
			mu.Lock()
			defer mu.Unlock()
			updates = append(updates, cur.(*v1.Node))
		},
	}); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return adds, len(updates) }
	waitFor(t, "the initial add passed", func() bool { clk.Step(nodeevents.Window); a, _ := count(); return a == 1 })

	n, err := kube.CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses[0].Address = "10.0.0.3"
	n.ResourceVersion = "2"
	if n, err = kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n.Spec.PodCIDRs = []string{"10.4.0.0/24"}
	n.ResourceVersion = "3"
	if _, err = kube.CoreV1().Nodes().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	// The initial add used the interval: the pod CIDR update is held
	// until its end, ReconcileInterval after the add.
	waitFor(t, "the pod CIDR update held", clk.HasWaiters)
	if _, u := count(); u != 0 {
		t.Fatalf("%d updates passed within the interval, want none", u)
	}
	clk.Step(nodeevents.ReconcileInterval)
	waitFor(t, "the held update passed", func() bool { _, u := count(); return u > 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(updates) != 1 || len(updates[0].Spec.PodCIDRs) != 1 {
		t.Fatalf("updates passed to the route controller: %d (%v); want exactly the pod CIDR change", len(updates), updates)
	}
}
