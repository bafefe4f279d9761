package ipforward

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/util/workqueue"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const project = "demo"

// env is the controller on a fake clientset, talking HTTP to the emulator
// through the real API layer.
type env struct {
	t    *testing.T
	gce  *fakecompute.Server
	url  string
	api  *gceapi.Client
	kube *fake.Clientset
	ctrl *Controller
	ctx  context.Context

	mu   sync.Mutex
	puts []*url.URL // instances.update requests as sent
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, gce: fakecompute.New(fakecompute.Options{Project: project}), kube: fake.NewClientset()}
	// A thin wrapper records the update requests' query: the emulator's own
	// log keeps only paths, and mostDisruptiveAllowedAction is the point.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			e.mu.Lock()
			e.puts = append(e.puts, r.URL)
			e.mu.Unlock()
		}
		e.gce.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	e.url = hs.URL
	var err error
	e.api, err = gceapi.New(context.Background(), gceapi.Config{Project: project, Endpoint: hs.URL,
		ClientOptions:  []option.ClientOption{option.WithoutAuthentication()},
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, MaxAttempts: 2,
		BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.api.Close() })
	return e
}

// vm seeds a VM in us-central1-a.
func (e *env) vm(name string, canIPForward bool) {
	e.t.Helper()
	e.vmWith(fakecompute.InstanceSeed{Name: name, Zone: "us-central1-a", CanIPForward: canIPForward})
}

func (e *env) vmWith(seeds ...fakecompute.InstanceSeed) {
	e.t.Helper()
	if _, err := e.gce.SeedInstances(seeds...); err != nil {
		e.t.Fatal(err)
	}
}

// node registers a Node; providerID "" leaves it without one.
func (e *env) node(name, providerID string, created time.Time) {
	e.t.Helper()
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), CreationTimestamp: metav1.NewTime(created)},
		Spec: v1.NodeSpec{ProviderID: providerID}}
	if _, err := e.kube.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// gceNode registers a Node for VM name in us-central1-a, created long ago.
func (e *env) gceNode(name string) {
	e.node(name, providerID("us-central1-a", name), time.Now().Add(-time.Hour))
}

func providerID(zone, name string) string { return fmt.Sprintf("gce://%s/%s/%s", project, zone, name) }

// start runs the controller until the test ends, and waits for it to stop.
func (e *env) start(mode Mode, tweak func(*Options)) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.ctx = ctx
	factory := informers.NewSharedInformerFactory(e.kube, 0)
	opts := Options{Mode: mode, ResyncPeriod: time.Hour, // resyncs are called by hand
		RateLimiter: workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, 50*time.Millisecond)}
	if tweak != nil {
		tweak(&opts)
	}
	c, err := New(e.api, inventory.New(e.api), e.kube, factory.Core().V1().Nodes(), opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.ctrl = c
	factory.Start(ctx.Done())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		<-done
		factory.Shutdown()
	})
}

func (e *env) calls(method string) int64 { return e.gce.Stats().Calls["compute.instances."+method] }

func (e *env) condition(name string) *v1.NodeCondition {
	n, err := e.kube.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return conditionOf(n)
}

// waitCondition waits until the node's condition has status and reason.
func (e *env) waitCondition(name string, status v1.ConditionStatus, reason string) *v1.NodeCondition {
	e.t.Helper()
	var c *v1.NodeCondition
	eventually(e.t, fmt.Sprintf("node %s condition %s=%s/%s", name, ConditionType, status, reason), func() bool {
		c = e.condition(name)
		return c != nil && c.Status == status && c.Reason == reason
	})
	return c
}

// events lists the events recorded on a node, by reason.
func (e *env) events(name string) map[string][]v1.Event {
	out := map[string][]v1.Event{}
	list, err := e.kube.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range list.Items {
		if ev.InvolvedObject.Kind == "Node" && ev.InvolvedObject.Name == name {
			out[ev.Reason] = append(out[ev.Reason], ev)
		}
	}
	return out
}

func (e *env) waitEvent(name, reason string) v1.Event {
	e.t.Helper()
	var ev v1.Event
	eventually(e.t, fmt.Sprintf("event %s on node %s", reason, name), func() bool {
		evs := e.events(name)[reason]
		if len(evs) > 0 {
			ev = evs[0]
		}
		return len(evs) > 0
	})
	return ev
}

func (e *env) vmForwards(name string) bool {
	e.t.Helper()
	inst, err := e.api.GetInstance(context.Background(), project, "us-central1-a", name)
	if err != nil {
		e.t.Fatal(err)
	}
	return inst.GetCanIpForward()
}

func (e *env) updateQueries() []url.Values {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []url.Values
	for _, u := range e.puts {
		out = append(out, u.Query())
	}
	return out
}

// eventually polls f until it holds or the deadline passes.
// eventuallyTimeout bounds a wait for state, not a performance claim: 200
// nodes' updates through the emulator took 55 s on a 2-core machine at load
// 30 (20 s was too short there), a few seconds when idle.
const eventuallyTimeout = 2 * time.Minute

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, eventuallyTimeout, true,
		func(context.Context) (bool, error) { return f(), nil })
	if err != nil {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// absent says whether the controller knows the VM of a node in
// us-central1-a not to exist.
func (e *env) absent(name string) bool {
	_, res := e.ctrl.inv.Lookup(gceref.Instance(project, "us-central1-a", name), time.Time{})
	return res == inventory.Absent
}
