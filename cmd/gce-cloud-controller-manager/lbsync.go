package main

import (
	"context"
	"fmt"

	"k8s.io/client-go/tools/cache"

	"github.com/gce-ccm/gce-ccm/controllers/lbsync"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// lbResyncController is the periodic load-balancer comparison's name in
// --controllers. It acts as the service controller (same client, so the
// same RBAC): it writes what the service controller writes.
const lbResyncController = "load-balancer-resync"

func (o *gceCCMOptions) startLBResync(ctx context.Context, w wiring, gc *gce.Cloud) (bool, error) {
	l, _ := gc.LoadBalancer()
	repairer, ok := l.(lbsync.LoadBalancers)
	if !ok {
		return false, fmt.Errorf("the gce load balancer %T cannot be compared with GCE", l)
	}
	client := w.client()
	rec, stopEvents := recorder(ctx, client, lbResyncController)
	services, nodes := w.informers().Services(), w.informers().Nodes()
	ctrl, err := lbsync.New(lbsync.Options{LB: repairer, Client: client, Services: services.Lister(), Nodes: nodes.Lister(),
		Synced:   []cache.InformerSynced{services.Informer().HasSynced, nodes.Informer().HasSynced},
		Recorder: rec, ClusterName: w.clusterName(), Period: o.resyncPeriod(gc.Config())})
	if err != nil {
		stopEvents()
		return false, err
	}
	go func() {
		defer stopEvents()
		ctrl.Run(ctx)
	}()
	return true, nil
}
