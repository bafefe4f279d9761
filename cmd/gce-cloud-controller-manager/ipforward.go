package main

import (
	"context"
	"fmt"

	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/ipforward"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// ipforwardController is the controller's name in --controllers.
const ipforwardController = "ipforward"

func ipforwardInitFuncConstructor(o *gceCCMOptions) app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: "ipforward-controller"},
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				return startIPForward(ctx, o, initCtx, cfg, cloud)
			}
		},
	}
}

func startIPForward(ctx context.Context, o *gceCCMOptions, initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) (controller.Interface, bool, error) {
	gc, ok := cloud.(*gce.Cloud)
	if !ok {
		klog.InfoS("The ipforward controller is disabled: the cloud provider is not gce", "cloud", fmt.Sprintf("%T", cloud))
		return nil, false, nil
	}
	mode, err := o.ipForwardMode(gc.Config())
	if err != nil {
		return nil, false, err
	}
	if mode == ipforward.ModeOff {
		klog.InfoS("The ipforward controller is off (--ipforward-mode or gce-ccm-ipforward-mode is off): node VMs are neither checked nor changed")
		return nil, false, nil
	}
	ctrl, err := ipforward.New(gc.API(), gc.Inventory(), cfg.ClientBuilder.ClientOrDie(initCtx.ClientName),
		cfg.SharedInformers.Core().V1().Nodes(), ipforward.Options{Mode: mode, ResyncPeriod: o.IPForwardResyncPeriod})
	if err != nil {
		return nil, false, err
	}
	go ctrl.Run(ctx)
	return nil, true, nil
}
