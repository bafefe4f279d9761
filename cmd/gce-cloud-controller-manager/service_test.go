package main

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
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	fakecloud "k8s.io/cloud-provider/fake"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	genericcontrollermanager "k8s.io/controller-manager/app"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gce-ccm/gce-ccm/controllers/nodeevents"
)

// The service controller is the framework's, under its name and client,
// started by gce-ccm's constructor (which feeds it settled node events:
// TestServiceControllerGetsSettledNodes).
func TestServiceControllerIsReplaced(t *testing.T) {
	ctrls, err := controllerInitializers(replacedControllers(newGCECCMOptions()), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ctrls[serviceController]
	if got, want := c.InitContext, app.DefaultInitFuncConstructors[serviceController].InitContext; got != want {
		t.Errorf("init context %+v, want the framework's %+v", got, want)
	}
	kube := fake.NewClientset()
	cfg := (&config.Config{ClientBuilder: &clientBuilder{kube: kube}, SharedInformers: informers.NewSharedInformerFactory(kube, time.Hour)}).Complete()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tt := range []struct {
		name  string
		cloud *fakecloud.Cloud
		want  bool
	}{
		{"with load balancers", &fakecloud.Cloud{}, true},
		{"without", &fakecloud.Cloud{DisableLoadBalancers: true}, false},
	} {
		_, started, err := c.Constructor(c.InitContext, cfg, tt.cloud)(ctx, genericcontrollermanager.ControllerContext{
			ControllerManagerMetrics: controllersmetrics.NewControllerManagerMetrics("test")})
		if started != tt.want || err != nil {
			t.Errorf("%s: started %v, err %v; want started %v", tt.name, started, err, tt.want)
		}
	}
}

// The binary's service controller (the constructor of the table the binary
// runs) gets its node additions by the Services policy: a burst of nodes
// reaches a load balancer as one UpdateLoadBalancer with all of them, when
// the clock passes the settle window. Fed the informer as it is, the first
// node would reach the controller at once, no timer armed, and the load
// balancer would be updated with it alone first.
func TestServiceControllerGetsSettledNodes(t *testing.T) {
	o := newGCECCMOptions()
	clk := testingclock.NewFakeClock(time.Now())
	o.clock = clk
	ctrls, err := controllerInitializers(replacedControllers(o), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ctrls[serviceController]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := fake.NewClientset(&v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb", Namespace: "default"},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: []v1.ServicePort{{Port: 80}}}})
	factory := informers.NewSharedInformerFactory(kube, time.Hour)
	cfg := (&config.Config{ClientBuilder: &clientBuilder{kube: kube}, SharedInformers: factory}).Complete()
	cfg.ComponentConfig.ServiceController.ConcurrentServiceSyncs = 1 // the fake cloud is not safe for more
	var mu sync.Mutex
	var ensured bool
	var updates []int // the node count of each UpdateLoadBalancer
	cloud := &fakecloud.Cloud{
		EnsureCallCb: func(fakecloud.UpdateBalancerCall) { mu.Lock(); ensured = true; mu.Unlock() },
		UpdateCallCb: func(u fakecloud.UpdateBalancerCall) { mu.Lock(); updates = append(updates, len(u.Hosts)); mu.Unlock() },
	}
	if _, started, err := c.Constructor(c.InitContext, cfg, cloud)(ctx, genericcontrollermanager.ControllerContext{
		ControllerManagerMetrics: controllersmetrics.NewControllerManagerMetrics("test")}); !started || err != nil {
		t.Fatalf("started %v, err %v", started, err)
	}
	factory.Start(ctx.Done())
	locked := func(f func() bool) func() bool { return func() bool { mu.Lock(); defer mu.Unlock(); return f() } }
	waitFor(t, "the load balancer ensured", locked(func() bool { return ensured }))

	const burst = 5
	for i := range burst {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)}, Spec: v1.NodeSpec{ProviderID: fmt.Sprintf("gce://p/z/node-%d", i)}}
		if _, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			waitFor(t, "the first node held (a timer armed)", clk.HasWaiters)
		}
	}
	waitFor(t, "every node listed", func() bool {
		l, _ := factory.Core().V1().Nodes().Lister().List(labels.Everything())
		return len(l) == burst
	})
	updated := locked(func() bool { return len(updates) > 0 && updates[len(updates)-1] == burst })
	waitFor(t, "the load balancer updated with every node", func() bool { clk.Step(nodeevents.Window); return updated() })
	mu.Lock()
	defer mu.Unlock()
	if len(updates) != 1 {
		t.Fatalf("UpdateLoadBalancer node counts %v, want one call with %d nodes", updates, burst)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 30*time.Second, true,
		func(context.Context) (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
