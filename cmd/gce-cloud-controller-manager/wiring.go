package main

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	genericcontrollermanager "k8s.io/controller-manager/app"
	"k8s.io/controller-manager/controller"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/runner"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// wiring is what one of gce-ccm's own controllers is built from: the
// framework's completed config, the cloud provider, and the name of the
// Kubernetes client it acts as (its RBAC binds to that name).
type wiring struct {
	cfg        *config.CompletedConfig
	cloud      cloudprovider.Interface
	clientName string
}

// startFunc builds a controller and starts it in the background. started
// false with a nil error means the controller is off; it has logged why.
type startFunc func(ctx context.Context, w wiring) (started bool, err error)

// ourController registers start with the framework under clientName.
func ourController(clientName string, start startFunc) app.ControllerInitFuncConstructor {
	return app.ControllerInitFuncConstructor{
		InitContext: app.ControllerInitContext{ClientName: clientName},
		Constructor: func(initCtx app.ControllerInitContext, cfg *config.CompletedConfig, cloud cloudprovider.Interface) app.InitFunc {
			w := wiring{cfg: cfg, cloud: cloud, clientName: initCtx.ClientName}
			return func(ctx context.Context, _ genericcontrollermanager.ControllerContext) (controller.Interface, bool, error) {
				started, err := start(ctx, w)
				return nil, started, err
			}
		},
	}
}

// client is the controller's Kubernetes client. Asked for only once the
// controller is known to run: a controller that is off makes no client.
func (w wiring) client() kubernetes.Interface { return w.cfg.ClientBuilder.ClientOrDie(w.clientName) }

// onGCE is a start of a controller that works on the gce provider only:
// on another cloud provider the controller is off (logged as "The <what>
// is off").
func onGCE(what string, start func(ctx context.Context, w wiring, gc *gce.Cloud) (bool, error)) startFunc {
	return func(ctx context.Context, w wiring) (bool, error) {
		gc, ok := w.cloud.(*gce.Cloud)
		if !ok {
			klog.InfoS("The "+what+" is off: the cloud provider is not gce", "cloud", fmt.Sprintf("%T", w.cloud))
			return false, nil
		}
		return start(ctx, w, gc)
	}
}

func (w wiring) informers() coreinformers.Interface { return w.cfg.SharedInformers.Core().V1() }

func (w wiring) clusterName() string { return w.cfg.ComponentConfig.KubeCloudShared.ClusterName }

// recorder writes Events through client as component; stop ends the
// broadcaster's goroutines.
func recorder(ctx context.Context, client kubernetes.Interface, component string) (r record.EventRecorder, stop func()) {
	b := record.NewBroadcaster(record.WithContext(ctx))
	stop = runner.RecordEvents(b, client, 0)
	return b.NewRecorder(scheme.Scheme, v1.EventSource{Component: component}), stop
}
