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
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/lbsync"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// lbResyncController is the periodic load-balancer comparison's name in
// --controllers. It acts as the service controller (same client, so the
// same RBAC): it writes what the service controller writes.
const lbResyncController = "load-balancer-resync"

func lbResyncInitFuncConstructor(o *gceCCMOptions) app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: "service-controller"},
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				return startLBResync(ctx, o, initCtx, cfg, cloud)
			}
		},
	}
}

func startLBResync(ctx context.Context, o *gceCCMOptions, initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) (controller.Interface, bool, error) {
	gc, ok := cloud.(*gce.Cloud)
	if !ok {
		klog.InfoS("The load-balancer resync is off: the cloud provider is not gce", "cloud", fmt.Sprintf("%T", cloud))
		return nil, false, nil
	}
	l, _ := gc.LoadBalancer()
	repairer, ok := l.(lbsync.LoadBalancers)
	if !ok {
		return nil, false, fmt.Errorf("the gce load balancer %T cannot be compared with GCE", l)
	}
	client := cfg.ClientBuilder.ClientOrDie(initCtx.ClientName)
	b := record.NewBroadcaster(record.WithContext(ctx))
	b.StartStructuredLogging(0)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	services, nodes := cfg.SharedInformers.Core().V1().Services(), cfg.SharedInformers.Core().V1().Nodes()
	period := o.resyncPeriod(gc.Config())
	ctrl, err := lbsync.New(lbsync.Options{LB: repairer, Client: client, Services: services.Lister(), Nodes: nodes.Lister(),
		Synced:   []cache.InformerSynced{services.Informer().HasSynced, nodes.Informer().HasSynced},
		Recorder: b.NewRecorder(scheme.Scheme, v1.EventSource{Component: lbResyncController}), ClusterName: cfg.ComponentConfig.KubeCloudShared.ClusterName,
		Period: period})
	if err != nil {
		return nil, false, err
	}
	go func() {
		defer b.Shutdown()
		ctrl.Run(ctx)
	}()
	return nil, true, nil
}
