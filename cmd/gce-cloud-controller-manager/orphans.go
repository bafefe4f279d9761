package main

import (
	"context"
	"fmt"

	"k8s.io/client-go/tools/cache"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/orphans"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// orphansController is the orphan collector's name in --controllers. It
// deletes what the service controller would have deleted, with the same
// client (so the same RBAC), and runs only beside it: a cluster whose
// load balancers another controller manages keeps them.
const orphansController = "load-balancer-orphans"

func (o *gceCCMOptions) startOrphans(ctx context.Context, w wiring, gc *gce.Cloud) (bool, error) {
	if enabled := w.cfg.ComponentConfig.Generic.Controllers; !genericcontrollermanager.IsControllerEnabled(names.ServiceLBController, app.ControllersDisabledByDefault, enabled) {
		klog.InfoS("The orphan collector is off: the service controller is not running", "controllers", enabled)
		return false, nil
	}
	l, _ := gc.LoadBalancer()
	lbs, ok := l.(orphans.LoadBalancers)
	if !ok {
		return false, fmt.Errorf("the gce load balancer %T cannot collect orphans", l)
	}
	client := w.client()
	rec, stopEvents := recorder(ctx, client, "gce-cloud-controller-manager")
	services := w.informers().Services()
	period := o.resyncPeriod(gc.Config())
	c, err := orphans.New(orphans.Options{API: gc.API(), Region: gc.Config().Region(), LB: lbs, Kube: client, Services: services.Lister(),
		Recorder: rec, ClusterName: w.clusterName(), Period: period, Grace: orphans.GraceFor(period)})
	if err != nil {
		stopEvents()
		return false, err
	}
	go func() {
		defer stopEvents()
		if !cache.WaitForCacheSync(ctx.Done(), services.Informer().HasSynced) {
			return
		}
		c.Run(ctx)
	}()
	return true, nil
}
