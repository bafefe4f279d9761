package orphans

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	servicehelper "k8s.io/cloud-provider/service/helpers"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Verdict is what the collector does with a load balancer's objects.
type Verdict int

const (
	Keep    Verdict = iota // the Service wants them, or the service controller deletes them
	Wait                   // orphaned for less than the grace period, or the Service could not be read
	Collect                // orphaned for the grace period: delete
)

func (v Verdict) String() string { return [...]string{"keep", "wait", "collect"}[v] }

// Group is one candidate: the objects under one load balancer's names
// whose descriptions name one Service, at least one of them made by this
// cluster (the others made for the same Service by upstream), or the
// cluster's shared health check of one kind with its firewall.
type Group struct {
	LB      string // the load balancer's name; "" for a shared check
	Service string // namespace/name in the descriptions
	Shared  string // a shared check's kind: "external" or "internal"
	Objects []Object
	// Upstream: every object was made by upstream (no cluster name); the
	// group is this cluster's because its pool or backend service uses
	// the cluster's id-named shared check or instance groups.
	Upstream bool
}

// Key identifies a group from one pass to the next.
func (g Group) Key() string {
	if g.LB == "" {
		return "shared " + g.Shared
	}
	return g.LB + " " + g.Service
}

// Lookup is a live read of a Service: Service nil and Err nil means the
// API server answered NotFound; any other failure is Err.
type Lookup struct {
	Service *v1.Service
	Err     error
}

// Input is everything a decision depends on.
type Input struct {
	Cluster   string // --cluster-name
	ClusterID string // names the shared objects
	Objects   []Object
	Services  map[string]Lookup // by namespace/name; a Service not looked up is never collected
	// Orphaned holds, by group key, when a pass first found the group
	// orphaned; Now and Grace say whether that was long enough ago.
	Orphaned map[string]time.Time
	Now      time.Time
	Grace    time.Duration
}

// Decision is the verdict on one group.
type Decision struct {
	Group
	Verdict Verdict
	Reason  string
	// Since is when the group was first found orphaned (zero: it is not).
	Since time.Time
	// Strict: delete only what this cluster made (the Service has a
	// loadBalancerClass: upstream-named objects may be another
	// controller's).
	Strict bool
	// Service is the Service when it exists (the Event goes on it).
	Service *v1.Service
}

func (d Decision) String() string {
	what := "shared " + d.Shared + " check"
	if d.LB != "" {
		what = "lb " + d.LB + " of " + d.Group.Service
	}
	objs := make([]string, len(d.Objects))
	for i, o := range d.Objects {
		objs[i] = o.String()
	}
	strict := ""
	if d.Strict {
		strict = " (only ours)"
	}
	if d.Upstream {
		strict += " (upstream-made, tied by the cluster id)"
	}
	return fmt.Sprintf("%s %s%s: %s [%s]", d.Verdict, what, strict, d.Reason, strings.Join(objs, ", "))
}

// Groups gathers the candidates from one listing: objects of this
// cluster's Services (by description) grouped by load balancer and
// Service, and the shared external check with its firewall. Objects of
// another cluster, or whose description is not ours or upstream's, are in
// no group. Objects upstream made (its description names the Service but
// no cluster) are in a group when an object of this cluster shares its
// load balancer and Service, or when the group's pool or backend service
// uses this cluster's shared check k8s-<id>-node or instance groups
// k8s-ig--<id>: upstream names those after the cluster id (the same
// kube-system/ingress-uid ConfigMap), so another cluster's load balancer
// does not refer to them. Without either, an upstream object's cluster
// cannot be told: it is left.
func Groups(objs []Object, cluster, clusterID string) []Group {
	byKey := map[string]*Group{}
	ours, tied := map[string]bool{}, map[string]bool{}
	for _, o := range objs {
		lb := LBOf(o)
		if lb == "" {
			continue
		}
		who, svc := owner(o.Description, cluster)
		if who == ownership.Foreign {
			continue
		}
		g := Group{LB: lb, Service: svc}
		if byKey[g.Key()] == nil {
			byKey[g.Key()] = &g
		}
		byKey[g.Key()].Objects = append(byKey[g.Key()].Objects, o)
		ours[g.Key()] = ours[g.Key()] || who == ownership.Ours
		tied[g.Key()] = tied[g.Key()] || usesClusterShared(o, clusterID)
	}
	var out []Group
	for k, g := range byKey {
		if ours[k] || tied[k] {
			g.Upstream = !ours[k]
			out = append(out, *g)
		}
	}
	out = append(out, sharedGroups(objs, cluster, clusterID)...)
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// sharedGroups are the cluster's shared checks with their firewalls, of
// each kind, when this cluster made them and nothing refers to the check:
// no target pool (external), no backend service (internal; the zones'
// instance groups named for this cluster that no backend service uses go
// with them, and alone when the check and its firewall are gone already).
// Usually they go with the last load balancer that used them; these are
// what a deletion stopped half-way left alone.
func sharedGroups(objs []Object, cluster, clusterID string) []Group {
	if clusterID == "" {
		return nil
	}
	ext, in := plan.NamesFor(&v1.Service{}, clusterID), ilb.NamesFor("", clusterID)
	var out []Group
	for _, k := range []struct {
		shared          string
		check, firewall Object
		user            Kind
		group           string // the instance groups' name ("" none)
	}{
		{"external", Object{Kind: LegacyCheck, Name: ext.NodesCheck}, Object{Kind: Firewall, Name: ext.NodesCheckFirewall}, Pool, ""},
		{"internal", Object{Kind: Check, Name: in.SharedCheck}, Object{Kind: Firewall, Name: in.SharedCheckFirewall}, Backend, in.Group},
	} {
		if usedBy(objs, k.check.Name, k.user) {
			continue
		}
		g := Group{Shared: k.shared}
		for _, o := range objs {
			same := func(want Object) bool { return o.Kind == want.Kind && o.Name == want.Name }
			switch {
			case (same(k.check) || same(k.firewall)) && sharedOwner(o.Description, clusterID, k.check.Name, cluster) == ownership.Ours:
				g.Objects = append(g.Objects, o)
			case k.group != "" && o.Kind == InstanceGroup && o.Name == k.group && !usedBy(objs, o.Ref, Backend):
				// The name carries this cluster's id (upstream gives its
				// groups no description).
				g.Objects = append(g.Objects, o)
			}
		}
		if len(g.Objects) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// usesClusterShared says whether a pool or backend service refers to this
// cluster's id-named shared check or instance groups.
func usesClusterShared(o Object, clusterID string) bool {
	if clusterID == "" {
		return false
	}
	ext, in := plan.NamesFor(&v1.Service{}, clusterID), ilb.NamesFor("", clusterID)
	switch o.Kind {
	case Pool:
		return slices.Contains(o.Uses, ext.NodesCheck)
	case Backend:
		return slices.ContainsFunc(o.Uses, func(u string) bool {
			return u == in.SharedCheck || strings.HasSuffix(u, "/instanceGroups/"+in.Group)
		})
	}
	return false
}

// Services are the Services the groups name: the ones to read.
func Services(groups []Group) []string {
	var out []string
	for _, g := range groups {
		if g.Service != "" && !slices.Contains(out, g.Service) {
			out = append(out, g.Service)
		}
	}
	sort.Strings(out)
	return out
}

// Decide gives every candidate its verdict. A group is orphaned when its
// Service is gone, was recreated (another UID, so another load balancer),
// is being deleted without the service controller's finalizer, is no
// longer of type LoadBalancer without that finalizer, or has a
// loadBalancerClass; it is collected once it has been orphaned for the
// grace period. A Service that could not be read keeps its group waiting
// (an API error is not "gone").
func Decide(in Input) []Decision {
	groups := Groups(in.Objects, in.Cluster, in.ClusterID)
	out := make([]Decision, 0, len(groups))
	for _, g := range groups {
		d := Decision{Group: g}
		st := orphaned
		switch {
		case g.Shared == "external":
			d.Reason = "no target pool uses it"
		case g.Shared == "internal":
			d.Reason = "no backend service uses it"
		default:
			l, read := in.Services[g.Service]
			d.Service = l.Service
			st, d.Strict, d.Reason = judge(g.LB, l, read)
			if st == orphaned && d.Strict && g.Upstream {
				// Strict deletion deletes only what this cluster made:
				// nothing here (another controller may own them).
				st, d.Reason = kept, d.Reason+"; every object is upstream-named: another controller may own them"
			}
		}
		switch since, seen := in.Orphaned[g.Key()]; {
		case st == kept:
			d.Verdict = Keep
		case st == unknown:
			d.Verdict = Wait
		case !seen:
			d.Verdict, d.Since = Wait, in.Now
			d.Reason += fmt.Sprintf("; collected after the grace period (%s)", in.Grace)
		case in.Now.Sub(since) < in.Grace:
			d.Verdict, d.Since = Wait, since
			d.Reason += fmt.Sprintf("; orphaned for %s of the grace period (%s)", in.Now.Sub(since), in.Grace)
		default:
			d.Verdict, d.Since = Collect, since
			d.Reason += fmt.Sprintf("; orphaned for %s", in.Now.Sub(since))
		}
		out = append(out, d)
	}
	return out
}

// state is what a Service's read says about its load balancer.
type state int

const (
	kept     state = iota // wanted, or the service controller deletes it
	unknown               // the Service could not be read
	orphaned              // nobody will delete it but the collector
)

// judge reads one Service's state, whether deletion is strict, and why.
func judge(lb string, l Lookup, read bool) (st state, strict bool, reason string) {
	svc := l.Service
	switch {
	case !read:
		return unknown, false, "the Service was not read"
	case l.Err != nil:
		return unknown, false, fmt.Sprintf("the Service could not be read (%v): never collected on an error", l.Err)
	case svc == nil:
		return orphaned, false, "the Service is gone"
	case cloudprovider.DefaultLoadBalancerName(svc) != lb:
		return orphaned, false, fmt.Sprintf("the Service was recreated (UID %s)", svc.UID)
	}
	// The service controller deletes the load balancer of a Service
	// holding its finalizer that is being deleted or is no longer of type
	// LoadBalancer (needsCleanup); it ignores one with a class.
	fin := servicehelper.HasLBFinalizer(svc)
	switch {
	case svc.DeletionTimestamp != nil && fin:
		return kept, false, "the Service is being deleted by the service controller (it holds its finalizer)"
	case svc.DeletionTimestamp != nil:
		return orphaned, false, "the Service is being deleted without the service controller's finalizer"
	case svc.Spec.Type != v1.ServiceTypeLoadBalancer && fin:
		return kept, false, "the Service is no longer of type LoadBalancer; the service controller holds its finalizer and deletes it"
	case svc.Spec.Type != v1.ServiceTypeLoadBalancer:
		return orphaned, false, fmt.Sprintf("the Service is of type %s", svc.Spec.Type)
	case svc.Spec.LoadBalancerClass != nil:
		return orphaned, true, fmt.Sprintf("the Service has loadBalancerClass %s", *svc.Spec.LoadBalancerClass)
	}
	return kept, false, "the Service wants it"
}
