package main

import (
	"context"

	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/ipforward"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// ipforwardController is the controller's name in --controllers.
const ipforwardController = "ipforward"

func (o *gceCCMOptions) startIPForward(ctx context.Context, w wiring, gc *gce.Cloud) (bool, error) {
	mode, err := o.ipForwardMode(gc.Config())
	if err != nil {
		return false, err
	}
	if mode == ipforward.ModeOff {
		klog.InfoS("The ipforward controller is off (--ipforward-mode or gce-ccm-ipforward-mode is off): node VMs are neither checked nor changed")
		return false, nil
	}
	ctrl, err := ipforward.New(gc.API(), gc.Inventory(), w.client(), w.informers().Nodes(),
		ipforward.Options{Mode: mode, ResyncPeriod: o.IPForwardResyncPeriod})
	if err != nil {
		return false, err
	}
	go ctrl.Run(ctx)
	return true, nil
}
