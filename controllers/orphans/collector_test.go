package orphans_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/gce-ccm/gce-ccm/controllers/orphans"
	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// lookAlikes pre-seeds objects under load-balancer names that are not
// this cluster's: another cluster's rule for a Service named like ours,
// a hand-made firewall whose description is not JSON, a pool upstream
// made for a Service of no known cluster, and another cluster's shared
// check. None may ever be touched.
func (e *env) lookAlikes() map[string][]string {
	e.t.Helper()
	other := ownership.Description{ServiceName: "default/gone", ClusterName: "prod-2"}.String()
	net := "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default"
	if err := e.api.InsertTargetPool(e.ctx, region, &computepb.TargetPool{Name: proto.String("a0000000000000000000000000000002"),
		Description: proto.String(ownership.Description{ServiceName: "default/ghost"}.String())}); err != nil {
		e.t.Fatal(err)
	}
	for _, err := range []error{
		e.api.InsertForwardingRule(e.ctx, region, &computepb.ForwardingRule{Name: proto.String("a0000000000000000000000000000001"),
			Description: proto.String(other), IPProtocol: proto.String("TCP"), PortRange: proto.String("80-80"),
			LoadBalancingScheme: proto.String("EXTERNAL"), Target: proto.String("https://www.googleapis.com/compute/v1/projects/demo/regions/us-central1/targetPools/a0000000000000000000000000000002")}),
		e.api.InsertFirewall(e.ctx, &computepb.Firewall{Name: proto.String("k8s-fw-a0000000000000000000000000000003"), Description: proto.String("allow web"),
			Network: proto.String(net), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80"}}}, SourceRanges: []string{"0.0.0.0/0"}}),
		e.api.InsertFirewall(e.ctx, &computepb.Firewall{Name: proto.String("k8s-fedcba9876543210-node-http-hc"),
			Description: proto.String(ownership.Description{ClusterID: "fedcba9876543210", ClusterName: "prod-2"}.String()),
			Network:     proto.String(net), Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"10256"}}}, SourceRanges: []string{"35.191.0.0/16"}}),
	} {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return e.names()
}

func TestCollectsOrphansAndNothingElse(t *testing.T) {
	e := newEnv(t)
	before := e.lookAlikes()
	web, api := service("web"), service("api", internal)
	goneLocal, goneInternal := service("gone-local", local), service("gone-internal", internal)
	clusterIP := service("now-clusterip")
	broken := service("unreadable", local)
	for _, s := range []*v1.Service{web, api, broken} {
		e.build(s, true)
	}
	for _, s := range []*v1.Service{goneLocal, goneInternal} {
		e.build(s, false) // finalizer stripped, Service deleted: nobody deletes these
	}
	e.build(clusterIP, false)
	stored := clusterIP.DeepCopy()
	stored.Finalizers, stored.Spec.Type = nil, v1.ServiceTypeClusterIP
	if _, err := e.kube.CoreV1().Services("default").Create(e.ctx, stored, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Reading this one Service always fails: its load balancer waits.
	e.kube.PrependReactor("get", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.GetAction).GetName() == broken.Name {
			return true, nil, errors.New("etcdserver: request timed out")
		}
		return false, nil, nil
	})
	e.settled()
	built := e.names()
	rules := drift.Collections(drift.Kind(orphans.Rule))

	// First sight: nothing is deleted, the orphans start their grace period.
	got := e.pass()
	for _, lb := range []string{lbName(goneLocal), lbName(goneInternal), lbName(clusterIP)} {
		if !contains(got, "wait lb "+lb) {
			t.Errorf("first pass: %s not waiting:\n%s", lb, strings.Join(got, "\n"))
		}
	}
	e.now = e.now.Add(grace - time.Second)
	e.pass()
	if diff := cmp.Diff(built, e.names()); diff != "" {
		t.Fatalf("deleted within the grace period (-before +after):\n%s", diff)
	}

	// The grace period is over: the three orphans go, everything else stays.
	e.now = e.now.Add(time.Second)
	got = e.pass()
	for _, lb := range []string{lbName(goneLocal), lbName(goneInternal), lbName(clusterIP)} {
		if !contains(got, "collect lb "+lb) {
			t.Errorf("%s not collected:\n%s", lb, strings.Join(got, "\n"))
		}
	}
	if !contains(got, "wait lb "+lbName(broken)+" of default/unreadable: the Service could not be read") {
		t.Errorf("the unreadable Service's load balancer is not waiting:\n%s", strings.Join(got, "\n"))
	}
	want := union(before, objectsOf(web), objectsOf(api), objectsOf(broken),
		map[string][]string{"httpHealthChecks": {"k8s-" + clusterID + "-node"}, "firewalls": {"k8s-" + clusterID + "-node-http-hc"}})
	if diff := cmp.Diff(want, e.names()); diff != "" {
		t.Fatalf("after collection (-want +got):\n%s", diff)
	}
	if d := drift.Collections(drift.Kind(orphans.Rule)) - rules; d != 3 {
		t.Errorf("gce_ccm_orphans_collected_total{kind=rule} grew by %v, want 3", d)
	}
	e.waitEvent(stored.Name, orphans.ReasonOrphanCollected)

	// The last Services go with their finalizers stripped: their load
	// balancers go, and with them the shared objects nothing uses now
	// (the shared checks, their firewalls, the instance groups).
	for _, s := range []*v1.Service{web, api} {
		if err := e.kube.CoreV1().Services("default").Delete(e.ctx, s.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.pass()
	e.now = e.now.Add(grace)
	e.pass()
	want = union(before, objectsOf(broken))
	if diff := cmp.Diff(want, e.names()); diff != "" {
		t.Fatalf("after the last Services went (-want +got):\n%s", diff)
	}
	// An hour on, the unreadable Service's load balancer is still there,
	// and a pass with nothing to collect is seven reads and one per zone
	// (the instance groups), and no write.
	e.now = e.now.Add(time.Hour)
	e.gce.ResetStats()
	e.pass()
	if diff := cmp.Diff(want, e.names()); diff != "" {
		t.Fatalf("an hour later (-want +got):\n%s", diff)
	}
	zones, err := e.lb.InternalZones(e.ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.gce.Stats(); st.Reads != int64(7+len(zones)) || st.Mutations != 0 || st.Calls["compute.instanceGroups.list"] != int64(len(zones)) {
		t.Errorf("a pass with nothing to collect: %d reads, %d writes (%v); want %d (7 and one per zone) and 0", st.Reads, st.Mutations, st.Calls, 7+len(zones))
	}
}

// objectsOf are the objects a converged load balancer of the test's
// Services has (besides the shared ones).
func objectsOf(svc *v1.Service) map[string][]string {
	lb := lbName(svc)
	if svc.Annotations["networking.gke.io/load-balancer-type"] == "Internal" {
		return map[string][]string{"forwardingRules": {lb}, "backendServices": {lb}, "firewalls": {"k8s-" + clusterID + "-node-hc", "k8s-fw-" + lb},
			"healthChecks": {"k8s-" + clusterID + "-node"}, "instanceGroups": {"k8s-ig--" + clusterID}}
	}
	out := map[string][]string{"forwardingRules": {lb}, "targetPools": {lb}, "firewalls": {"k8s-fw-" + lb}}
	if svc.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal {
		out["httpHealthChecks"] = []string{lb}
		out["firewalls"] = append(out["firewalls"], "k8s-"+lb+"-http-hc")
	}
	return out
}

// union merges name lists, sorted, without duplicates.
func union(ms ...map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for k, v := range m {
			for _, n := range v {
				if !slices.Contains(out[k], n) {
					out[k] = append(out[k], n)
				}
			}
		}
	}
	for k := range out {
		slices.Sort(out[k])
	}
	return out
}

func contains(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// waitEvent waits for an Event with reason on the Service named name.
func (e *env) waitEvent(name, reason string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, err := e.kube.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		var seen []string
		for _, ev := range evs.Items {
			if ev.InvolvedObject.Name == name && ev.Reason == reason {
				return
			}
			seen = append(seen, fmt.Sprintf("%s:%s", ev.InvolvedObject.Name, ev.Reason))
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s event on %s; events: %v", reason, name, seen)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The shared check left alone (its last load balancer's objects deleted by
// hand) goes after the grace period, unless a pool (anyone's) uses it.
func TestCollectsTheSharedCheckLeftAlone(t *testing.T) {
	e := newEnv(t)
	svc := service("web")
	e.build(svc, false)
	e.settled()
	lb := lbName(svc)
	for _, err := range []error{e.api.DeleteForwardingRule(e.ctx, region, lb), e.api.DeleteTargetPool(e.ctx, region, lb), e.api.DeleteFirewall(e.ctx, "k8s-fw-"+lb)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	check := "https://www.googleapis.com/compute/v1/projects/demo/global/httpHealthChecks/k8s-" + clusterID + "-node"
	if err := e.api.InsertTargetPool(e.ctx, region, &computepb.TargetPool{Name: proto.String("my-pool"), HealthChecks: []string{check}}); err != nil {
		t.Fatal(err)
	}
	shared := map[string][]string{"httpHealthChecks": {"k8s-" + clusterID + "-node"}, "firewalls": {"k8s-" + clusterID + "-node-http-hc"},
		"targetPools": {"my-pool"}}
	e.pass()
	e.now = e.now.Add(time.Hour)
	e.pass()
	if diff := cmp.Diff(shared, e.names()); diff != "" {
		t.Fatalf("the shared check used by a user's pool (-want +got):\n%s", diff)
	}
	if err := e.api.DeleteTargetPool(e.ctx, region, "my-pool"); err != nil {
		t.Fatal(err)
	}
	checks := drift.Collections(drift.Kind(orphans.LegacyCheck))
	if got := e.pass(); !contains(got, "wait shared external check: no target pool uses it") {
		t.Fatalf("first pass without users:\n%s", strings.Join(got, "\n"))
	}
	e.now = e.now.Add(grace)
	e.pass()
	if got := e.names(); len(got) > 0 {
		t.Fatalf("left: %v", got)
	}
	if d := drift.Collections(drift.Kind(orphans.LegacyCheck)) - checks; d != 1 {
		t.Errorf("gce_ccm_orphans_collected_total{kind=check} grew by %v, want 1", d)
	}
}

// Decisions read the informer's cache; a deletion reads its Service live
// first. A cache that lags (here: empty, every Service "gone") deletes
// nothing of a Service that wants its load balancer.
func TestStaleCacheDeletesNothing(t *testing.T) {
	e := newEnv(t)
	e.c = e.collector(corelisters.NewServiceLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})))
	web := service("web")
	e.build(web, true)
	e.settled()
	built := e.names()
	e.pass()
	e.now = e.now.Add(grace)
	if got := e.pass(); !contains(got, "collect lb "+lbName(web)+" of default/web: the Service is gone") {
		t.Fatalf("the empty cache did not make it a candidate:\n%s", strings.Join(got, "\n"))
	}
	if diff := cmp.Diff(built, e.names()); diff != "" {
		t.Fatalf("deleted on a stale cache (-before +after):\n%s", diff)
	}
}

// The internal kind's shared objects left alone (the last internal load
// balancer's own objects deleted by hand) go after the grace period: the
// check, its firewall and the zone's instance group.
func TestCollectsTheInternalSharedObjectsLeftAlone(t *testing.T) {
	e := newEnv(t)
	svc := service("web", internal)
	e.build(svc, false)
	lb := lbName(svc)
	for _, err := range []error{e.api.DeleteForwardingRule(e.ctx, region, lb), e.api.DeleteBackendService(e.ctx, region, lb), e.api.DeleteFirewall(e.ctx, "k8s-fw-"+lb)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := map[string][]string{"healthChecks": {"k8s-" + clusterID + "-node"}, "firewalls": {"k8s-" + clusterID + "-node-hc"},
		"instanceGroups": {"k8s-ig--" + clusterID}}
	if diff := cmp.Diff(want, e.names()); diff != "" {
		t.Fatalf("left by hand (-want +got):\n%s", diff)
	}
	if got := e.pass(); !contains(got, "wait shared internal check: no backend service uses it") {
		t.Fatalf("first pass:\n%s", strings.Join(got, "\n"))
	}
	e.now = e.now.Add(grace)
	e.pass()
	if got := e.names(); len(got) > 0 {
		t.Fatalf("left: %v", got)
	}
}

// Instance groups named for this cluster that no backend service uses go
// even when the shared check and its firewall are gone already (deleted by
// hand, or by a deletion that stopped before the groups). Another
// cluster's group, upstream's group of no cluster id, and a group of ours a
// backend service still uses are kept.
func TestCollectsInstanceGroupsLeftAlone(t *testing.T) {
	e := newEnv(t)
	svc := service("web", internal)
	e.build(svc, false)
	lb := lbName(svc)
	for _, err := range []error{e.api.DeleteForwardingRule(e.ctx, region, lb), e.api.DeleteBackendService(e.ctx, region, lb),
		e.api.DeleteFirewall(e.ctx, "k8s-fw-"+lb), e.api.DeleteFirewall(e.ctx, "k8s-"+clusterID+"-node-hc"),
		e.api.DeleteHealthCheck(e.ctx, "k8s-"+clusterID+"-node")} {
		if err != nil {
			t.Fatal(err)
		}
	}
	const other = "us-central1-b"
	net := "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default"
	for _, ig := range []struct{ zone, name string }{
		{zone, "k8s-ig--fedcba9876543210"}, // another cluster's
		{zone, "k8s-ig"},                   // upstream's, no cluster id
		{other, "k8s-ig--" + clusterID},    // ours, used below
	} {
		if err := e.api.InsertInstanceGroup(e.ctx, ig.zone, &computepb.InstanceGroup{Name: proto.String(ig.name), Network: proto.String(net)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.api.InsertHealthCheck(e.ctx, &computepb.HealthCheck{Name: proto.String("users-check"), Type: proto.String("TCP"),
		TcpHealthCheck: &computepb.TCPHealthCheck{Port: proto.Int32(80)}}); err != nil {
		t.Fatal(err)
	}
	if err := e.api.InsertBackendService(e.ctx, region, &computepb.BackendService{Name: proto.String("users-backend"),
		LoadBalancingScheme: proto.String("INTERNAL"), Protocol: proto.String("TCP"), Network: proto.String(net),
		HealthChecks: []string{"https://www.googleapis.com/compute/v1/projects/demo/global/healthChecks/users-check"},
		Backends:     []*computepb.Backend{{Group: proto.String("https://www.googleapis.com/compute/v1/projects/demo/zones/" + other + "/instanceGroups/k8s-ig--" + clusterID)}}}); err != nil {
		t.Fatal(err)
	}
	left := map[string][]string{"instanceGroups": {"k8s-ig", "k8s-ig--" + clusterID, "k8s-ig--" + clusterID, "k8s-ig--fedcba9876543210"},
		"backendServices": {"users-backend"}, "healthChecks": {"users-check"}}
	if diff := cmp.Diff(left, e.names()); diff != "" {
		t.Fatalf("before (-want +got):\n%s", diff)
	}
	groups := drift.Collections(drift.Kind(orphans.InstanceGroup))
	want := "wait shared internal check: no backend service uses it; collected after the grace period (1m0s) [instance-group " + zone + "/k8s-ig--" + clusterID + "]"
	if got := e.pass(); !slices.Contains(got, want) {
		t.Fatalf("first pass:\n%s\nwant %s", strings.Join(got, "\n"), want)
	}
	e.now = e.now.Add(grace)
	e.pass()
	left["instanceGroups"] = []string{"k8s-ig", "k8s-ig--" + clusterID, "k8s-ig--fedcba9876543210"}
	if diff := cmp.Diff(left, e.names()); diff != "" {
		t.Fatalf("after the grace period (-want +got):\n%s", diff)
	}
	if igs, err := e.api.ListInstanceGroups(e.ctx, other, ""); err != nil || len(igs) != 1 {
		t.Errorf("the group a backend service uses: %v, %v", igs, err)
	}
	if d := drift.Collections(drift.Kind(orphans.InstanceGroup)) - groups; d != 1 {
		t.Errorf("gce_ccm_orphans_collected_total{kind=instance-group} grew by %v, want 1", d)
	}
}
