package main

import (
	"context"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	servicecontroller "k8s.io/cloud-provider/controllers/service"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/nodeevents"
)

// serviceController is the framework's service controller's name (alias
// "service"): gce-ccm runs the framework's controller as it is, fed node
// additions and deletions coalesced over a settle window
// (controllers/nodeevents' Services policy says why).
const serviceController = names.ServiceLBController

func serviceInitFuncConstructor(o *gceCCMOptions) app.ControllerInitFuncConstructor {
	framework := app.DefaultInitFuncConstructors[serviceController]
	return app.ControllerInitFuncConstructor{
		InitContext: framework.InitContext,
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			return func(ctx context.Context, cctx genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				return o.startService(ctx, initCtx, cfg, cctx, cloud)
			}
		},
	}
}

// startService is the framework's startServiceController with the node
// informer wrapped.
func (o *gceCCMOptions) startService(ctx context.Context, initCtx app.ControllerInitContext, cfg *config.CompletedConfig,
	cctx genericcontrollermanager.ControllerContext, cloud cloudprovider.Interface) (controller.Interface, bool, error) {
	nodes := nodeevents.Informer(cfg.SharedInformers.Core().V1().Nodes(), nodeevents.Services, o.clock)
	sc, err := servicecontroller.New(cloud, cfg.ClientBuilder.ClientOrDie(initCtx.ClientName), cfg.SharedInformers.Core().V1().Services(),
		nodes, cfg.ComponentConfig.KubeCloudShared.ClusterName, utilfeature.DefaultFeatureGate)
	if err != nil {
		// As the framework: a provider without load balancers is not an
		// error of the controller manager.
		klog.ErrorS(err, "The service controller is off")
		return nil, false, nil
	}
	go sc.Run(ctx, int(cfg.ComponentConfig.ServiceController.ConcurrentServiceSyncs), cctx.ControllerManagerMetrics)
	return nil, true, nil
}
