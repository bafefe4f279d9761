package nodeevents_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	fakecloud "k8s.io/cloud-provider/fake"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gce-ccm/gce-ccm/controllers/nodeevents"
)

// The framework's service controller, fed through the settled informer:
// 50 nodes joining 3 load balancers make one UpdateLoadBalancer per load
// balancer, with all 50 nodes. Fed directly, the first node's event starts
// a node sync at once, and every load balancer is updated with one node,
// then again with 50.
func TestFrameworkSyncsABurstOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := fake.NewSimpleClientset()
	const lbs, joining = 3, 50
	for i := range lbs {
		svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("lb-%d", i), Namespace: "default"},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80}}}}
		if _, err := kube.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cloud := &fakecloud.Cloud{}
	var mu sync.Mutex
	updates := map[string][]int{} // Service -> node count of each UpdateLoadBalancer
	cloud.UpdateCallCb = func(c fakecloud.UpdateBalancerCall) {
		mu.Lock()
		defer mu.Unlock()
		updates[c.Service.Name] = append(updates[c.Service.Name], len(c.Hosts))
	}
	ensured := 0
	cloud.EnsureCallCb = func(fakecloud.UpdateBalancerCall) { mu.Lock(); ensured++; mu.Unlock() }
	updated := func() (map[string][]int, int) {
		mu.Lock()
		defer mu.Unlock()
		out, n := map[string][]int{}, 0
		for k, v := range updates {
			out[k], n = append([]int(nil), v...), n+len(v)
		}
		return out, n
	}
	f := informers.NewSharedInformerFactory(kube, 0)
	clk := testingclock.NewFakeClock(time.Now())
	nodes := nodeevents.Informer(f.Core().V1().Nodes(), nodeevents.Services, clk)
	sc, err := servicecontroller.New(cloud, kube, f.Core().V1().Services(), nodes, "test", utilfeature.DefaultFeatureGate)
	if err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	// One worker: the fake cloud's EnsureLoadBalancer is not safe for
	// concurrent calls.
	go sc.Run(ctx, 1, controllersmetrics.NewControllerManagerMetrics("test"))
	waitFor(t, "every load balancer ensured", func() bool { mu.Lock(); defer mu.Unlock(); return ensured >= lbs })

	addNode := func(i int) {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%02d", i)}, Spec: v1.NodeSpec{ProviderID: fmt.Sprintf("gce://p/z/node-%02d", i)}}
		if _, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	listed := func(want int) func() bool {
		return func() bool { l, _ := f.Core().V1().Nodes().Lister().List(labels.Everything()); return len(l) == want }
	}
	addNode(0)
	// Held (a timer armed) or, fed directly, synced with the one node.
	waitFor(t, "the first node's event handled", func() bool { _, n := updated(); return clk.HasWaiters() || n > 0 })
	for i := 1; i < joining; i++ {
		addNode(i)
	}
	waitFor(t, "every node listed", listed(joining))
	waitFor(t, "every load balancer updated with every node", func() bool {
		clk.Step(nodeevents.Window)
		u, _ := updated()
		for i := range lbs {
			c := u[fmt.Sprintf("lb-%d", i)]
			if len(c) == 0 || c[len(c)-1] != joining {
				return false
			}
		}
		return true
	})
	if u, n := updated(); n != lbs {
		t.Fatalf("UpdateLoadBalancer calls (node counts per load balancer): %v, want one per load balancer with %d nodes", u, joining)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
