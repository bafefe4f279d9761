package main

import (
	"context"
	"time"

	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/routes"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// routeController is the framework's route controller's name (alias
// "route" in --controllers); gce-ccm runs the same controller, driven also
// by the resync period (controllers/routes).
const routeController = names.NodeRouteController

// routeInitFuncConstructor is the route controller: off in a VPC-native
// cluster (there pods get addresses from alias IP ranges, which the VPC
// routes by itself as part of the subnet's secondary range, so a static
// route per node would only duplicate that); on the gce provider ours, on
// any other the framework's as it is.
func routeInitFuncConstructor(o *gceCCMOptions) app.ControllerInitFuncConstructor {
	framework := app.DefaultInitFuncConstructors[routeController]
	return app.ControllerInitFuncConstructor{
		InitContext: framework.InitContext,
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			next := framework.Constructor(initCtx, cfg, cloud)
			if gc, ok := cloud.(*gce.Cloud); ok {
				next = func(ctx context.Context, cctx genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
					return startRoutes(ctx, o, initCtx, cfg, cctx, gc)
				}
			}
			return func(ctx context.Context, cctx genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				if why := routesOffBecause(cfg); why != "" {
					klog.InfoS("The route controller is off", "why", why)
					return nil, false, nil
				}
				return next(ctx, cctx)
			}
		},
	}
}

func startRoutes(ctx context.Context, o *gceCCMOptions, initCtx app.ControllerInitContext, cfg *config.CompletedConfig,
	cctx genericcontrollermanager.ControllerContext, gc *gce.Cloud) (controller.Interface, bool, error) {
	shared := cfg.ComponentConfig.KubeCloudShared
	if !shared.ConfigureCloudRoutes {
		klog.InfoS("The route controller is off (--configure-cloud-routes=false)")
		return nil, false, nil
	}
	period := o.resyncPeriod(gc.Config())
	gc.SetResyncPeriod(period)
	client, err := boundedClient(cfg.ClientBuilder, initCtx.ClientName)
	if err != nil {
		return nil, false, err
	}
	err = routes.Start(ctx, routes.Options{
		Routes: gc, Client: client, Nodes: cfg.SharedInformers.Core().V1().Nodes(),
		ClusterName: shared.ClusterName, ClusterCIDRs: shared.ClusterCIDR, ResyncPeriod: period,
		SyncPeriod: shared.RouteReconciliationPeriod.Duration, Metrics: cctx.ControllerManagerMetrics, Clock: o.clock,
	})
	if err != nil {
		return nil, false, err
	}
	klog.InfoS("Started the route controller", "resyncPeriod", period)
	return nil, true, nil
}

// resyncPeriod is --gce-resync-period when set, else gce.conf's
// gce-ccm-resync-period (5 min when absent).
func (o *gceCCMOptions) resyncPeriod(cfg *gce.Config) time.Duration {
	if o.ResyncPeriod > 0 {
		return o.ResyncPeriod
	}
	if cfg.ResyncPeriod > 0 {
		return cfg.ResyncPeriod
	}
	return gce.DefaultResyncPeriod
}
