package lb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Internal Services (networking.gke.io/load-balancer-type: Internal) are
// built by package ilb; this file routes the cloudprovider calls to it and
// handles a switch between the two kinds: the old kind is deleted before
// the new one is built, so an external rule never serves a Service that
// asked for an internal one.

// reasonGroupLimit: a zone has more eligible nodes than an instance group
// used for load balancing may hold.
const reasonGroupLimit = "LoadBalancerGroupLimit"

// internalLB builds the internal load balancer on first use: it needs the
// region's zones, where instance groups may be. A failed zone list is
// tried again on the next call.
type internalLB struct {
	mu sync.Mutex
	c  *ilb.Controller
}

func (l *LoadBalancers) internal(ctx context.Context, cluster string) (*ilb.Controller, error) {
	h := &l.ilb
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		return h.c, nil
	}
	zones, err := l.api.ListZones(ctx, fmt.Sprintf(`region eq ".*/regions/%s"`, l.region))
	if err != nil {
		return nil, fmt.Errorf("listing the zones of region %s: %w", l.region, err)
	}
	c := &ilb.Controller{API: l.api, Project: l.api.Project, Region: l.region, Network: l.deps.NetworkURL,
		Subnetwork: l.deps.SubnetworkName, Cluster: cluster,
		Shared: ilb.Shared{Rules: l.rules, Firewalls: l.firewalls, Addresses: l.addresses}}
	for _, z := range zones {
		c.Zones = append(c.Zones, z.GetName())
	}
	h.c = c
	return c, nil
}

// ensureInternal builds or updates the Service's internal load balancer,
// deleting its external one first if it has one, and returns the writes
// it made. o.confirm, when not nil, runs under the load balancer's lock
// before the first write (package ilb calls it); o.recency is the lists'
// (a pass's).
func (l *LoadBalancers) ensureInternal(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node,
	o syncOpts) (*v1.LoadBalancerStatus, []ilb.Action, error) {
	name := l.GetLoadBalancerName(ctx, cluster, svc)
	// The Service is checked before anything is read: package plan's
	// reading of the fields both kinds serve, then the internal ones.
	if _, err := ilb.SpecOf(svc); err != nil {
		return nil, nil, l.refuse(svc, fmt.Errorf("internal load balancer %s of %s: %w", name, plan.ServiceKey(svc), err))
	}
	defer l.locks.Lock(name)()
	r, err := l.internalRequest(ctx, cluster, svc, nodes)
	r.Recency, r.Confirm = o.recency, o.confirmed
	if err != nil {
		return nil, nil, l.refuse(svc, fmt.Errorf("internal load balancer %s of %s: %w", name, plan.ServiceKey(svc), err))
	}
	c, err := l.internal(ctx, cluster)
	if err != nil {
		return nil, nil, err
	}
	res, err := c.Ensure(ctx, r)
	var ext *ilb.ExternalExistsError
	if errors.As(err, &ext) {
		// A switch from external: the external load balancer goes first.
		if err := o.confirmed(ctx); err != nil {
			return nil, nil, err
		}
		if err := l.deleteExternal(ctx, cluster, svc, name); err != nil {
			return nil, nil, fmt.Errorf("internal load balancer %s of %s: deleting the external one first: %w", name, plan.ServiceKey(svc), err)
		}
		res, err = c.Ensure(ctx, r)
	}
	if err != nil {
		return nil, nil, l.refuse(svc, fmt.Errorf("internal load balancer %s of %s: %w", name, plan.ServiceKey(svc), err))
	}
	for _, w := range res.Warnings {
		l.event(svc, v1.EventTypeWarning, reasonGroupLimit, w)
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: res.IP}}}, res.Actions, nil
}

// internalRequest gathers the nodes' VMs by zone and their tags.
func (l *LoadBalancers) internalRequest(ctx context.Context, cluster string, svc *v1.Service, nodes []*v1.Node) (ilb.Request, error) {
	r := ilb.Request{Service: svc, LB: l.GetLoadBalancerName(ctx, cluster, svc), Hosts: map[string][]string{}}
	var err error
	if r.ClusterID, err = l.deps.ClusterID.ClusterID(ctx); err != nil {
		return r, err
	}
	hosts, err := l.hostsOf(ctx, nodes)
	if err != nil {
		return r, err
	}
	if len(hosts) == 0 {
		return r, fmt.Errorf("no node VM in region %s to put behind the load balancer (%d nodes given)", l.region, len(nodes))
	}
	for _, h := range hosts {
		k, err := gceref.Parse(h)
		if err != nil {
			return r, fmt.Errorf("node VM %s: %w", h, err)
		}
		r.Hosts[k.Location] = append(r.Hosts[k.Location], h)
	}
	for z := range r.Hosts {
		slices.Sort(r.Hosts[z])
	}
	r.Tags, err = l.tagsOf(ctx, hosts)
	return r, err
}

// deleteInternal removes whatever internal load balancer the Service has.
func (l *LoadBalancers) deleteInternal(ctx context.Context, cluster string, svc *v1.Service, name string) error {
	c, err := l.internal(ctx, cluster)
	if err != nil {
		return err
	}
	cid, err := l.deps.ClusterID.ClusterID(ctx)
	if err != nil {
		return err
	}
	return c.Delete(ctx, svc, name, cid)
}

// internalStatus reports the internal load balancer, if any object of it
// exists.
func (l *LoadBalancers) internalStatus(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	c, err := l.internal(ctx, cluster)
	if err != nil {
		return nil, false, err
	}
	cid, err := l.deps.ClusterID.ClusterID(ctx)
	if err != nil {
		return nil, false, err
	}
	ip, exists, err := c.Status(ctx, svc, l.GetLoadBalancerName(ctx, cluster, svc), cid)
	status := &v1.LoadBalancerStatus{}
	if ip != "" {
		status.Ingress = []v1.LoadBalancerIngress{{IP: ip}}
	}
	return status, exists, err
}
