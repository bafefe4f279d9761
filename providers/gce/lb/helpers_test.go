package lb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Helpers of the load-balancer tests: a provider on the emulator with a
// fixed cluster id and nodes whose VMs carry the tag "node" (a prefix of
// their names, as upstream derives node tags).

const (
	testCluster   = "prod"
	testClusterID = "0123456789abcdef"
)

type lbTestEnv struct {
	lb   *LoadBalancers
	deps Deps
	api  *gceapi.Client
	gce  *fakecompute.TestServer
	kube *fake.Clientset
}

// newLBTestEnv is the load balancer of project demo, region us-central1,
// on an emulator, with a Kubernetes client for its cluster id and events.
// tweak may change the API client's settings and the dependencies.
func newLBTestEnv(t testing.TB, opts fakecompute.Options, tweak func(*gceapi.Config, *Deps)) *lbTestEnv {
	t.Helper()
	opts.Project = "demo"
	ts := fakecompute.NewTestServer(t, opts)
	// Unit tests are about behaviour, not the client's budget: lift it
	// (the benchmark sets production values).
	cfg := gceapi.Config{Project: "demo", NetworkProject: "demo", Endpoint: ts.URL,
		ClientOptions:  []option.ClientOption{option.WithoutAuthentication()},
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, PollInterval: 20 * time.Millisecond}
	kube := fake.NewSimpleClientset()
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	t.Cleanup(b.Shutdown)
	deps := Deps{Region: "us-central1", NetworkURL: "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default",
		Zones: []string{"us-central1-a"}, Recorder: b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "gce-cloud-controller-manager"}),
		ClusterID: &ConfigMapClusterID{Kube: kube}}
	if tweak != nil {
		tweak(&cfg, &deps)
	}
	api, err := gceapi.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	deps.API, deps.VMs = api, inventory.New(api)
	cm := newClusterIDConfigMap()
	cm.Data = map[string]string{clusterIDKey: testClusterID}
	if _, err := kube.CoreV1().ConfigMaps(clusterIDNamespace).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return &lbTestEnv{lb: New(deps), deps: deps, api: api, gce: ts, kube: kube}
}

// pool reads one target pool as the load balancer does, from a filtered
// list: the API layer has no single-pool read, since nothing needs one.
func (e *lbTestEnv) pool(ctx context.Context, name string) (*computepb.TargetPool, error) {
	pools, err := e.api.ListTargetPools(ctx, "us-central1", fmt.Sprintf(`name eq "%s"`, name))
	if err != nil {
		return nil, err
	}
	if len(pools) != 1 {
		return nil, fmt.Errorf("target pool %s: %d found", name, len(pools))
	}
	return pools[0], nil
}

// settle waits for the releases still running after their sync returned.
func (l *LoadBalancers) settle() { l.background.Wait() }

// seedNodes makes VMs node-<i> for i in [from, to) in zone, tagged "node".
func (e *lbTestEnv) seedNodes(t testing.TB, zone string, from, to int) []*v1.Node {
	t.Helper()
	var seeds []fakecompute.InstanceSeed
	var nodes []*v1.Node
	for i := from; i < to; i++ {
		name := fmt.Sprintf("node-%03d", i)
		seeds = append(seeds, fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: true, Tags: []string{"node", "other"}})
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name)},
			Spec: v1.NodeSpec{ProviderID: "gce://demo/" + zone + "/" + name}}
		nodes = append(nodes, n)
	}
	if _, err := e.gce.SeedInstances(seeds...); err != nil {
		t.Fatal(err)
	}
	return nodes
}

func (e *lbTestEnv) ensure(t testing.TB, svc *v1.Service, nodes []*v1.Node) string {
	t.Helper()
	st, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, svc, nodes)
	e.lb.settle()
	if err != nil {
		t.Fatalf("EnsureLoadBalancer(%s): %v", svc.Name, err)
	}
	if len(st.Ingress) != 1 || st.Ingress[0].IP == "" {
		t.Fatalf("EnsureLoadBalancer(%s) status %+v", svc.Name, st)
	}
	return st.Ingress[0].IP
}

func (e *lbTestEnv) remove(t testing.TB, svc *v1.Service) {
	t.Helper()
	if err := e.lb.EnsureLoadBalancerDeleted(context.Background(), testCluster, svc); err != nil {
		t.Fatalf("EnsureLoadBalancerDeleted(%s): %v", svc.Name, err)
	}
}

// lbCollections are the emulator collections a load balancer lives in.
var lbCollections = []string{"forwardingRules", "targetPools", "httpHealthChecks", "firewalls", "addresses",
	"instanceGroups", "backendServices", "healthChecks"}

// lbState is the load-balancing part of the emulator, objects reduced to
// what a load balancer is (no ids, times, fingerprints), by collection.
func (e *lbTestEnv) lbState(t testing.TB) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for path, objs := range e.gce.Dump() {
		coll := path[strings.LastIndex(path, "/")+1:]
		if !slices.Contains(lbCollections, coll) {
			continue
		}
		for _, raw := range objs {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if coll == "firewalls" && m["name"] == "default-allow-internal" {
				continue
			}
			for _, k := range []string{"id", "selfLinkWithId", "creationTimestamp", "fingerprint", "labelFingerprint"} {
				delete(m, k)
			}
			out[coll] = append(out[coll], m)
		}
		sort.Slice(out[coll], func(i, j int) bool { return fmt.Sprint(out[coll][i]["name"]) < fmt.Sprint(out[coll][j]["name"]) })
	}
	return out
}

// ids maps "collection/name" to the GCE id of every load-balancing object.
func (e *lbTestEnv) ids(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for path, objs := range e.gce.Dump() {
		coll := path[strings.LastIndex(path, "/")+1:]
		for _, raw := range objs {
			var m struct {
				Name string      `json:"name"`
				ID   json.Number `json:"id"`
			}
			_ = json.Unmarshal(raw, &m)
			out[coll+"/"+m.Name] = m.ID.String()
		}
	}
	return out
}

// names lists the names in each load-balancing collection.
func (e *lbTestEnv) names(t testing.TB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for coll, objs := range e.lbState(t) {
		for _, o := range objs {
			out[coll] = append(out[coll], fmt.Sprint(o["name"]))
		}
	}
	return out
}

// events waits until the Service has an event with reason, or fails.
func (e *lbTestEnv) waitEvent(t testing.TB, svc *v1.Service, reason string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs, err := e.kube.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs.Items {
			if ev.InvolvedObject.Name == svc.Name && ev.Reason == reason {
				return ev.Message
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, ev := range evs.Items {
				got = append(got, ev.InvolvedObject.Name+":"+ev.Reason)
			}
			t.Fatalf("no %s event on %s; events: %v", reason, svc.Name, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
