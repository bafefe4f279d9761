// Command gce-cloud-controller-manager is the cloud-controller-manager for
// Google Compute Engine: the standard cloud controllers (cloud-node,
// cloud-node-lifecycle, route, service) on the gce provider, plus the
// controllers gce-ccm adds (ipforward, node-ipam-controller), and every
// flag and controller name of the upstream GCE cloud-controller-manager.
package main

import (
	"os"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/options"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/klog/v2"

	_ "github.com/gce-ccm/gce-ccm/providers/gce" // registers the "gce" provider
)

// defaultGCPercent: the controller's heap is mostly caches (nodes,
// Services, VMs) that live for the process's life; GOGC=50 lets the heap
// grow half, not all, of that before collecting, which keeps a
// 5,000-node cluster's controller within its memory goal for a little CPU.
// GOGC in the environment wins.
const defaultGCPercent = 50

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	klog.Info(setMemoryLimit(os.LookupEnv, "/"))
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		klog.Fatalf("unable to initialize command options: %v", err)
	}
	if err := applyDefaults(opts); err != nil {
		klog.Fatalf("unable to set gce-ccm defaults: %v", err)
	}
	gceOpts := newGCECCMOptions()
	ctrls, err := controllerInitializers(replacedControllers(gceOpts), extraControllers(gceOpts))
	if err != nil {
		klog.Fatalf("unable to register the controllers: %v", err)
	}
	cmd := app.NewCloudControllerManagerCommand(opts, cloudInitializer(gceOpts), ctrls,
		controllerAliases(), gceOpts.flagSets(), wait.NeverStop)
	cmd.Use = "gce-cloud-controller-manager"
	os.Exit(cli.Run(cmd))
}
