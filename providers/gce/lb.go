package gce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
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
	poolListTTL = time.Second
	vmListTTL   = 30 * time.Second
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
	pools        *poolCache
	vms          *listCache[vmIndex]
	cid          clusterIDCache
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
	l.pools = newPoolCache(poolListTTL,
		func(ctx context.Context) ([]*computepb.TargetPool, error) {
			return c.api.ListTargetPools(ctx, c.region, "")
		},
		func(ctx context.Context, name string) (*computepb.TargetPool, error) {
			tp, err := c.api.GetTargetPool(ctx, c.region, name)
			if gceapi.IsNotFound(err) {
				return nil, nil
			}
			return tp, err
		})
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
	if in.Seen, err = l.observe(ctx, in.Names, ""); err != nil {
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
	defer l.locks.lock(name)()
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
	ip, err := l.apply(ctx, name, p.Actions, p.IP)
	if err != nil {
		return nil, fmt.Errorf("load balancer %s of %s: %w", name, in.Spec.Service, err)
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
	err = l.updateMembers(ctx, cluster, svc, hosts, l.pools.get)
	if err != nil && !errors.Is(err, errNoPool) {
		// The cached list may have been older than a change GCE made by
		// itself (a deleted VM leaves its pools): read afresh, once.
		klog.V(2).InfoS("Retrying load balancer update on fresh pools", "lb", name, "err", err)
		err = l.updateMembers(ctx, cluster, svc, hosts, l.pools.getOne)
	}
	if err != nil {
		return fmt.Errorf("load balancer %s of %s: %w", name, serviceKey(svc), err)
	}
	return nil
}

func (l *loadBalancers) updateMembers(ctx context.Context, cluster string, svc *v1.Service, hosts []string,
	get func(ctx context.Context, name string) (*computepb.TargetPool, error)) error {
	n := namesFor(svc, "")
	p := &planner{in: planInput{Names: n}, lastOn: map[string]string{}}
	found := 0
	for _, name := range n.pools() {
		tp, err := get(ctx, name)
		if err != nil {
			return fmt.Errorf("reading target pool %s: %w", name, err)
		}
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
	_, err := l.apply(ctx, n.LB, p.actions, "")
	return err
}
