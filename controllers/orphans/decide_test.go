package orphans

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	servicehelper "k8s.io/cloud-provider/service/helpers"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// The collector's decisions, read as sentences: every Service state, the
// grace period, and the look-alikes that are never in a group.

const (
	cluster = "prod"
	cid     = "0123456789abcdef"
	lbWeb   = "a1111111122223333444455556666777" // default/web's load balancer (UID 11111111-2222-3333-4444-555566667777)
	lbAPI   = "a9999999988887777666655554444333"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func desc(service, clusterName string) string {
	return ownership.Description{ServiceName: service, ClusterName: clusterName}.String()
}

// external is what an external load balancer of service leaves: rule,
// pool (on the shared check), traffic firewall.
func external(lb, service, clusterName string) []Object {
	d := desc(service, clusterName)
	return []Object{{Kind: Rule, Name: lb, Description: d}, {Kind: Pool, Name: lb, Description: d, Uses: []string{"k8s-" + cid + "-node"}},
		{Kind: Firewall, Name: "k8s-fw-" + lb, Description: d}}
}

// onCheck points the pools of objs at another health check.
func onCheck(objs []Object, check string) []Object {
	for i := range objs {
		if objs[i].Kind == Pool {
			objs[i].Uses = []string{check}
		}
	}
	return objs
}

func shared() []Object {
	d := ownership.Description{ClusterID: cid, ClusterName: cluster}.String()
	return []Object{{Kind: LegacyCheck, Name: "k8s-" + cid + "-node", Description: d}, {Kind: Firewall, Name: "k8s-" + cid + "-node-http-hc", Description: d}}
}

func svc(name, uid string, opts ...func(*v1.Service)) *v1.Service {
	s := &v1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(uid),
		Finalizers: []string{servicehelper.LoadBalancerCleanupFinalizer}}, Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer}}
	for _, o := range opts {
		o(s)
	}
	return s
}

const webUID = "11111111-2222-3333-4444-555566667777"

func noFinalizer(s *v1.Service) { s.Finalizers = nil }
func clusterIP(s *v1.Service)   { s.Spec.Type = v1.ServiceTypeClusterIP }
func deleting(s *v1.Service)    { s.DeletionTimestamp = &metav1.Time{Time: t0} }
func classed(s *v1.Service)     { c := "example.com/lb"; s.Spec.LoadBalancerClass = &c }

func TestDecideScenarios(t *testing.T) {
	webObjs := "rule " + lbWeb + ", pool " + lbWeb + ", firewall k8s-fw-" + lbWeb
	for _, tc := range []struct {
		name     string
		objects  []Object
		services map[string]Lookup
		since    time.Duration // the group was found orphaned this long ago (0: never)
		want     []string
	}{{
		name: "wanted: kept", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID)}},
		want:     []string{"keep lb $WEB of default/web: the Service wants it [$OBJS]"},
	}, {
		name: "Service gone, first seen: waits the grace period", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {}},
		want:     []string{"wait lb $WEB of default/web: the Service is gone; collected after the grace period (1m0s) [$OBJS]"},
	}, {
		name: "Service gone, within the grace period: waits", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {}}, since: 59 * time.Second,
		want: []string{"wait lb $WEB of default/web: the Service is gone; orphaned for 59s of the grace period (1m0s) [$OBJS]"},
	}, {
		name: "Service gone for the grace period: collected", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web: the Service is gone; orphaned for 1m0s [$OBJS]"},
	}, {
		name: "a read error is never 'gone', however long", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Err: errors.New("etcdserver: request timed out")}}, since: time.Hour,
		want: []string{"wait lb $WEB of default/web: the Service could not be read (etcdserver: request timed out): never collected on an error [$OBJS]"},
	}, {
		name: "a Service not read is never collected", objects: external(lbWeb, "default/web", cluster), since: time.Hour,
		want: []string{"wait lb $WEB of default/web: the Service was not read [$OBJS]"},
	}, {
		name: "recreated under another UID: the old load balancer is collected", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", "99999999-8888-7777-6666-555544443333")}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web: the Service was recreated (UID 99999999-8888-7777-6666-555544443333); orphaned for 1m0s [$OBJS]"},
	}, {
		name: "ClusterIP with the finalizer: the service controller deletes it", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID, clusterIP)}}, since: time.Hour,
		want: []string{"keep lb $WEB of default/web: the Service is no longer of type LoadBalancer; the service controller holds its finalizer and deletes it [$OBJS]"},
	}, {
		name: "ClusterIP without the finalizer: collected", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID, clusterIP, noFinalizer)}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web: the Service is of type ClusterIP; orphaned for 1m0s [$OBJS]"},
	}, {
		name: "being deleted with the finalizer: the service controller's", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID, deleting)}}, since: time.Hour,
		want: []string{"keep lb $WEB of default/web: the Service is being deleted by the service controller (it holds its finalizer) [$OBJS]"},
	}, {
		name: "being deleted without the finalizer (another one holds it): collected", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID, deleting, noFinalizer)}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web: the Service is being deleted without the service controller's finalizer; orphaned for 1m0s [$OBJS]"},
	}, {
		name: "a loadBalancerClass, even with the finalizer: collected, only ours", objects: external(lbWeb, "default/web", cluster),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID, classed)}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web (only ours): the Service has loadBalancerClass example.com/lb; orphaned for 1m0s [$OBJS]"},
	}, {
		name:     "upstream's objects of the same Service go with ours",
		objects:  append(external(lbWeb, "default/web", cluster), Object{Kind: Address, Name: lbWeb, Description: desc("default/web", "")}),
		services: map[string]Lookup{"default/web": {}}, since: time.Minute,
		want: []string{"collect lb $WEB of default/web: the Service is gone; orphaned for 1m0s [$OBJS, address $WEB]"},
	}, {
		name: "look-alikes are in no group: another cluster's, no cluster's, not JSON, another Service's upstream object",
		objects: append(append(append(external(lbWeb, "default/web", "prod-2"), onCheck(external(lbAPI, "default/api", ""), "k8s-fedcba9876543210-node")...),
			Object{Kind: Firewall, Name: "k8s-fw-" + lbAPI, Description: "allow web"}),
			Object{Kind: Address, Name: lbWeb, Description: desc("default/other", "")}),
		services: map[string]Lookup{"default/web": {}, "default/api": {}}, since: time.Hour,
		want: nil,
	}, {
		name: "upstream's load balancer whose pool uses this cluster's shared check: tied to the cluster, collected", since: time.Minute,
		objects:  external(lbAPI, "default/api", ""),
		services: map[string]Lookup{"default/api": {}},
		want:     []string{"collect lb $API of default/api (upstream-made, tied by the cluster id): the Service is gone; orphaned for 1m0s [rule $API, pool $API, firewall k8s-fw-$API]"},
	}, {
		name: "upstream's internal load balancer whose backend service uses this cluster's instance group: collected", since: time.Minute,
		objects: []Object{{Kind: Rule, Name: lbAPI, Description: desc("default/api", "")},
			{Kind: Backend, Name: lbAPI, Description: desc("default/api", ""), Uses: []string{lbAPI, "projects/demo/zones/us-central1-a/instanceGroups/k8s-ig--" + cid}}},
		services: map[string]Lookup{"default/api": {}},
		want:     []string{"collect lb $API of default/api (upstream-made, tied by the cluster id): the Service is gone; orphaned for 1m0s [rule $API, backend-service $API]"},
	}, {
		name: "upstream's load balancer on this cluster's check, of a Service with a loadBalancerClass: kept (another controller may own it)", since: time.Minute,
		objects:  external(lbAPI, "default/api", ""),
		services: map[string]Lookup{"default/api": {Service: svc("api", "99999999-8888-7777-6666-555544443333", func(s *v1.Service) { c := "example.com/lb"; s.Spec.LoadBalancerClass = &c })}},
		want:     []string{"keep lb $API of default/api (only ours) (upstream-made, tied by the cluster id): the Service has loadBalancerClass example.com/lb; every object is upstream-named: another controller may own them [rule $API, pool $API, firewall k8s-fw-$API]"},
	}, {
		name: "internal load balancer objects: backend, rule, check, firewalls, address", since: time.Minute,
		objects: []Object{{Kind: Rule, Name: lbWeb, Description: desc("default/web", cluster)}, {Kind: Backend, Name: lbWeb, Description: desc("default/web", cluster)},
			{Kind: Backend, Name: lbWeb + "-udp", Description: desc("default/web", cluster)}, {Kind: Check, Name: lbWeb, Description: desc("default/web", cluster)},
			{Kind: Firewall, Name: lbWeb + "-hc", Description: desc("default/web", cluster)}, {Kind: Address, Name: lbWeb, Description: desc("default/web", cluster)}},
		services: map[string]Lookup{"default/web": {}},
		want:     []string{"collect lb $WEB of default/web: the Service is gone; orphaned for 1m0s [rule $WEB, backend-service $WEB, backend-service $WEB-udp, health-check $WEB, firewall $WEB-hc, address $WEB]"},
	}, {
		name: "the shared check with no pool using it: collected after the grace period", objects: shared(), since: time.Minute,
		want: []string{"collect shared external check: no target pool uses it; orphaned for 1m0s [check k8s-$CID-node, firewall k8s-$CID-node-http-hc]"},
	}, {
		name: "the internal shared check with no backend service using it: collected after the grace period", since: time.Minute,
		objects: []Object{{Kind: Check, Name: "k8s-" + cid + "-node", Description: shared()[0].Description},
			{Kind: Firewall, Name: "k8s-" + cid + "-node-hc", Description: shared()[0].Description},
			{Kind: Backend, Name: "my-backend", Uses: []string{"k8s-" + cid + "-node-other"}}},
		want: []string{"collect shared internal check: no backend service uses it; orphaned for 1m0s [health-check k8s-$CID-node, firewall k8s-$CID-node-hc]"},
	}, {
		name: "the internal shared check used by a backend service: kept", since: time.Hour,
		objects: []Object{{Kind: Check, Name: "k8s-" + cid + "-node", Description: shared()[0].Description},
			{Kind: Backend, Name: "my-backend", Uses: []string{"k8s-" + cid + "-node"}}},
		want: nil,
	}, {
		name: "the shared check used by a pool: not a candidate (the pool's Service decides)", objects: append(shared(), external(lbWeb, "default/web", cluster)...),
		services: map[string]Lookup{"default/web": {Service: svc("web", webUID)}},
		want:     []string{"keep lb $WEB of default/web: the Service wants it [$OBJS]"},
	}, {
		name: "the shared check used by another cluster's or a user's pool: kept", since: time.Hour,
		objects: append(shared(), Object{Kind: Pool, Name: "my-pool", Uses: []string{"k8s-" + cid + "-node"}}),
		want:    nil,
	}, {
		name: "another cluster's shared check (same name, its description): never a candidate", since: time.Hour,
		objects: []Object{{Kind: LegacyCheck, Name: "k8s-" + cid + "-node", Description: ownership.Description{ClusterID: cid, ClusterName: "prod-2"}.String()}},
		want:    nil,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Cluster: cluster, ClusterID: cid, Objects: tc.objects, Services: tc.services, Now: t0.Add(time.Hour), Grace: time.Minute,
				Orphaned: map[string]time.Time{}}
			if tc.since > 0 {
				for _, g := range Groups(tc.objects, cluster, cid) {
					in.Orphaned[g.Key()] = in.Now.Add(-tc.since)
				}
			}
			var got []string
			for _, d := range Decide(in) {
				got = append(got, d.String())
			}
			r := strings.NewReplacer("$OBJS", webObjs, "$WEB", lbWeb, "$CID", cid, "$API", lbAPI)
			var want []string
			for _, w := range tc.want {
				want = append(want, r.Replace(r.Replace(w)))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("decisions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLBOf(t *testing.T) {
	for name, want := range map[string]string{
		"rule " + lbWeb: lbWeb, "rule " + lbWeb + "-udp": lbWeb, "pool " + lbWeb + "-alt": lbWeb, "firewall k8s-fw-" + lbWeb: lbWeb,
		"firewall k8s-" + lbWeb + "-http-hc": lbWeb, "firewall " + lbWeb + "-hc": lbWeb, "backend-service " + lbWeb + "-tcp": lbWeb,
		"firewall k8s-" + cid + "-node-http-hc": "", "firewall k8s-" + cid + "-node-hc": "", "check k8s-" + cid + "-node": "",
		"firewall k8s-fw-web": "", "rule " + lbWeb + "-alt": "", "address " + lbWeb + "-udp": "", "firewall default-allow-internal": "",
	} {
		kind, n, _ := strings.Cut(name, " ")
		if got := LBOf(Object{Kind: Kind(kind), Name: n}); got != want {
			t.Errorf("LBOf(%s) = %q, want %q", name, got, want)
		}
	}
}
