package main

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/orphans"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// orphansController is the orphan collector's name in --controllers. It
// deletes what the service controller would have deleted, with the same
// client (so the same RBAC), and runs only beside it: a cluster whose
// load balancers another controller manages keeps them.
const orphansController = "load-balancer-orphans"

func orphansInitFuncConstructor(o *gceCCMOptions) app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: "service-controller"},
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				return startOrphans(ctx, o, initCtx, cfg, cloud)
			}
		},
	}
}

func startOrphans(ctx context.Context, o *gceCCMOptions, initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) (controller.Interface, bool, error) {
	gc, ok := cloud.(*gce.Cloud)
	if !ok {
		klog.InfoS("The orphan collector is off: the cloud provider is not gce", "cloud", fmt.Sprintf("%T", cloud))
		return nil, false, nil
	}
	if !genericcontrollermanager.IsControllerEnabled(names.ServiceLBController, app.ControllersDisabledByDefault, cfg.ComponentConfig.Generic.Controllers) {
		klog.InfoS("The orphan collector is off: the service controller is not running", "controllers", cfg.ComponentConfig.Generic.Controllers)
		return nil, false, nil
	}
	l, _ := gc.LoadBalancer()
	lbs, ok := l.(orphans.LoadBalancers)
	if !ok {
		return nil, false, fmt.Errorf("the gce load balancer %T cannot collect orphans", l)
	}
	client := cfg.ClientBuilder.ClientOrDie(initCtx.ClientName)
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartStructuredLogging(0)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	services := cfg.SharedInformers.Core().V1().Services()
	period := o.resyncPeriod(gc.Config())
	c, err := orphans.New(orphans.Options{API: gc.API(), Region: gc.Config().Region(), LB: lbs, Kube: client, Services: services.Lister(),
		Recorder:    b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "gce-cloud-controller-manager"}),
		ClusterName: cfg.ComponentConfig.KubeCloudShared.ClusterName, Period: period, Grace: orphans.GraceFor(period)})
	if err != nil {
		b.Shutdown()
		return nil, false, err
	}
	go func() {
		defer b.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), services.Informer().HasSynced) {
			return
		}
		c.Run(ctx)
	}()
	return nil, true, nil
}
