package gce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// Services of type LoadBalancer as GCE external passthrough network load
// balancers: address, firewall rule, legacy HTTP health check, a target
// pool of every node VM, forwarding rule(s). Each call observes what
// exists, plans (lb_plan.go, pure) and applies the plan (lb_apply.go).

// Cache lifetimes: a burst of syncs shares one list.
const (
	snapshotTTL = time.Second
	vmListTTL   = 30 * time.Second
)

// Our objects' names, for the lists the snapshots take: <lb> names are
// "a" and the Service UID (upstream's), ours add -alt or -udp.
const (
	lbNamesFilter       = `name eq "a[a-z0-9]+(-alt|-udp)?"`
	firewallNamesFilter = `name eq "k8s-.*"`
	checkNamesFilter    = `name eq "(a[a-z0-9]+|k8s-.*)"`
)

// loadBalancers implements cloudprovider.LoadBalancer.
type loadBalancers struct {
	c     *Cloud
	locks keyedLocks // one sync per load balancer at a time
	// shared guards the cluster's shared health check: Services using it
	// hold it for reading from observation to apply; deleting it takes it
	// for writing, so the check never vanishes under a pool being made.
	shared       sync.RWMutex
	sharedCreate keyedLocks // one creator of the shared check, one of its firewall
	// What exists, one list per collection shared by all Services.
	rules     *snapshotCache[*computepb.ForwardingRule]
	pools     *snapshotCache[*computepb.TargetPool]
	firewalls *snapshotCache[*computepb.Firewall]
	checks    *snapshotCache[*computev1.HttpHealthCheck]
	addresses *snapshotCache[*computepb.Address]
	vms       *listCache[vmIndex]
	// background counts releases still running after their sync returned.
	background sync.WaitGroup
	cid        clusterIDCache
	// hostURLs interns each node VM's URL (providerID -> URL): every sync
	// of every Service names every node, and 50 concurrent syncs of a
	// 5,000-node cluster would otherwise build a quarter million strings.
	hostURLs sync.Map
}

// lbHolder builds the load balancer on first use (it needs the API
// client and, for the cluster id, the Kubernetes client).
type lbHolder struct {
	once sync.Once
	lb   *loadBalancers
}

func (c *Cloud) loadBalancers() *loadBalancers {
	c.lbs.once.Do(func() { c.lbs.lb = newLoadBalancers(c) })
	return c.lbs.lb
}

func newLoadBalancers(c *Cloud) *loadBalancers {
	l := &loadBalancers{c: c}
	api, region := c.api, c.region
	l.rules = newSnapshotCache(snapshotTTL, (*computepb.ForwardingRule).GetName,
		func(ctx context.Context) ([]*computepb.ForwardingRule, error) {
			return api.ListForwardingRules(ctx, region, lbNamesFilter)
		})
	l.pools = newSnapshotCache(snapshotTTL, (*computepb.TargetPool).GetName,
		func(ctx context.Context) ([]*computepb.TargetPool, error) {
			return api.ListTargetPools(ctx, region, lbNamesFilter)
		})
	l.firewalls = newSnapshotCache(snapshotTTL, (*computepb.Firewall).GetName,
		func(ctx context.Context) ([]*computepb.Firewall, error) {
			return api.ListFirewalls(ctx, firewallNamesFilter)
		})
	l.checks = newSnapshotCache(snapshotTTL, func(hc *computev1.HttpHealthCheck) string { return hc.Name },
		func(ctx context.Context) ([]*computev1.HttpHealthCheck, error) {
			return api.ListHTTPHealthChecks(ctx, checkNamesFilter)
		})
	// All of the region's addresses: a user's reserved address may have
	// any name.
	l.addresses = newSnapshotCache(snapshotTTL, (*computepb.Address).GetName,
		func(ctx context.Context) ([]*computepb.Address, error) { return api.ListAddresses(ctx, region, "") })
	l.vms = &listCache[vmIndex]{ttl: vmListTTL, load: l.listVMs}
	return l
}

func (l *loadBalancers) api() *gceapi.Client { return l.c.api }
func (l *loadBalancers) region() string      { return l.c.region }

// GetLoadBalancerName is upstream's: "a" + the UID without dashes, cut to 32.
func (l *loadBalancers) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	return cloudprovider.DefaultLoadBalancerName(svc)
}

// GetLoadBalancer reports the load balancer if any object of it exists, so
// that a half-deleted one is still found and its deletion finished.
func (l *loadBalancers) GetLoadBalancer(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	in := planInput{Spec: lbSpec{Service: serviceKey(svc)}, Names: namesFor(svc, ""), Cluster: cluster}
	var err error
	if in.Seen, err = l.observe(ctx, in.Names, "", true); err != nil {
		return nil, false, fmt.Errorf("reading load balancer %s of %s: %w", in.Names.LB, in.Spec.Service, err)
	}
	strict := svc.Spec.LoadBalancerClass != nil
	status, exists := &v1.LoadBalancerStatus{}, false
	for _, c := range claims(in) {
		exists = exists || c.who == ours || (c.who == upstream && !strict)
	}
	if a := in.Seen.address(in.Names.LB); a != nil && serviceOwner(a.GetDescription(), in.Spec.Service, cluster) == ours {
		exists = true
	}
	if ip := currentIPAnyTier(in); ip != "" && exists {
		status.Ingress = []v1.LoadBalancerIngress{{IP: ip}}
	}
	return status, exists, nil
}

func currentIPAnyTier(in planInput) string {
	for _, name := range in.Names.rules() {
		if r := in.Seen.Rules[name]; r != nil {
			return r.GetIPAddress()
		}
	}
	return ""
}

// EnsureLoadBalancer creates or updates the Service's load balancer.
// Every check comes before the first write: a Service GCE cannot serve
// changes nothing and gets a Warning event saying why.
func (l *loadBalancers) EnsureLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	// A class names another controller; the service controller does not
	// even call us for one, but a direct caller may.
	if svc.Spec.LoadBalancerClass != nil {
		return nil, cloudprovider.ImplementedElsewhere
	}
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	unlock := l.locks.lock(name)
	defer func() {
		if unlock != nil {
			unlock()
		}
	}()
	if svc.Spec.ExternalTrafficPolicy != v1.ServiceExternalTrafficPolicyLocal {
		// The shared check must not be deleted between our reading it
		// and our pool holding it.
		l.shared.RLock()
		defer l.shared.RUnlock()
	}
	in, err := l.prepare(ctx, cluster, svc, nodes)
	if err != nil {
		return nil, l.refuse(svc, fmt.Errorf("load balancer %s of %s/%s: %w", name, svc.Namespace, svc.Name, err))
	}
	p, err := planLB(in)
	if err != nil {
		return nil, l.refuse(svc, fmt.Errorf("load balancer %s of %s: %w", name, in.Spec.Service, err))
	}
	actions, release := splitRelease(p.Actions)
	ip, err := l.apply(ctx, name, actions, p.IP)
	if err != nil {
		return nil, fmt.Errorf("load balancer %s of %s: %w", name, in.Spec.Service, err)
	}
	if release != nil {
		l.releaseLater(ctx, svc, name, *release, unlock)
		unlock = nil // the release holds the lock until it is done
	}
	if len(p.Actions) > 0 {
		klog.InfoS("Ensured load balancer", "service", in.Spec.Service, "lb", name, "ip", ip, "steps", len(p.Actions))
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: ip}}}, nil
}

// errNoPool: UpdateLoadBalancer found no pool to update.
var errNoPool = errors.New("the load balancer has no target pool yet (EnsureLoadBalancer makes it)")

// UpdateLoadBalancer brings the pool(s) up to the node set: one list of
// the region's pools serves a burst of calls, and each pool gets at most
// one add and one remove per 1,000 changed nodes.
func (l *loadBalancers) UpdateLoadBalancer(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) error {
	if svc.Spec.LoadBalancerClass != nil {
		return cloudprovider.ImplementedElsewhere
	}
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	defer l.locks.lock(name)()
	hosts, err := l.hostsOf(ctx, nodes)
	if err != nil {
		return fmt.Errorf("load balancer %s: %w", name, err)
	}
	// An empty node set is far likelier a transient than the wish to
	// drop every backend (upstream learnt this in kubernetes#11327).
	if len(hosts) == 0 {
		return fmt.Errorf("load balancer %s: no node VM in region %s among %d nodes: keeping the current members", name, l.region(), len(nodes))
	}
	err = l.updateMembers(ctx, cluster, svc, hosts, false)
	if err != nil && !errors.Is(err, errNoPool) {
		// The shared list may be older than a change GCE made by itself
		// (a deleted VM leaves its pools): list afresh, once.
		klog.V(2).InfoS("Retrying load balancer update on fresh pools", "lb", name, "err", err)
		err = l.updateMembers(ctx, cluster, svc, hosts, true)
	}
	if err != nil {
		return fmt.Errorf("load balancer %s of %s: %w", name, serviceKey(svc), err)
	}
	return nil
}

func (l *loadBalancers) updateMembers(ctx context.Context, cluster string, svc *v1.Service, hosts []string, fresh bool) error {
	n := namesFor(svc, "")
	pools, err := l.pools.view(ctx, fresh, n.pools()...)
	if err != nil {
		return fmt.Errorf("listing target pools: %w", err)
	}
	p := &planner{in: planInput{Names: n}, lastOn: map[string]string{}}
	found := 0
	for _, name := range n.pools() {
		tp := pools[name]
		if tp == nil {
			continue
		}
		if serviceOwner(tp.GetDescription(), serviceKey(svc), cluster) == foreign {
			return l.refuse(svc, &conflictError{Kind: "target pool", Name: name, Description: tp.GetDescription()})
		}
		found++
		add, remove := diffMembers(tp.GetInstances(), hosts)
		p.planMembers(name, add, remove)
	}
	if found == 0 {
		return errNoPool
	}
	_, err = l.apply(ctx, n.LB, p.actions, "")
	return err
}
