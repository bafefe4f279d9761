package main

import (
	"fmt"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	"k8s.io/cloud-provider/options"
	"k8s.io/controller-manager/pkg/features"
	_ "k8s.io/controller-manager/pkg/features/register"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// Defaults that suit this provider. Every one can be overridden by its flag,
// which is parsed after these are set.
const (
	// defaultServiceSyncs: a Service sync is three sequential GCE operation
	// waits and little CPU. Measured on the full stack (make bench, 2 s
	// operations, 1,500 writes/min): 100 new Services converge in 1.03x the
	// write-quota bound with 50 workers, 1.64x with 20, and ten would need
	// ten rounds of waits. Each worker holds a copy of the node list while it
	// syncs, which is the price in memory at thousands of nodes.
	defaultServiceSyncs = 50
	// The framework's 20 QPS / 30 burst to the API server makes the route
	// controller's NetworkUnavailable patches the slowest part of bringing
	// up a large cluster (5,000 nodes: over 4 minutes).
	defaultKubeAPIQPS   = 100
	defaultKubeAPIBurst = 200
)

func applyDefaults(opts *options.CloudControllerManagerOptions) error {
	opts.KubeCloudShared.CloudProvider.Name = gce.ProviderName
	opts.KubeCloudShared.ConfigureCloudRoutes = true
	opts.ServiceController.ConcurrentServiceSyncs = defaultServiceSyncs
	opts.Generic.ClientConnection.QPS = defaultKubeAPIQPS
	opts.Generic.ClientConnection.Burst = defaultKubeAPIBurst
	// Event-driven route reconciliation (KEP-5237): reconcile when a node
	// or its pod CIDRs change instead of listing every route every 10 s,
	// which at scale spends the project's read quota for nothing.
	return utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{
		string(features.CloudControllerManagerWatchBasedRoutesReconciliation): true,
	})
}

// cloudInitializer builds the provider from --cloud-provider and
// --cloud-config. It runs once at start-up, before leader election, so it
// is also where every replica refuses bad node IPAM flags and names the
// upstream-only flags it ignores.
func cloudInitializer(o *gceCCMOptions) app.InitCloudFunc {
	return func(cfg *config.CompletedConfig) cloudprovider.Interface {
		if err := o.NodeIPAM.check(cfg); err != nil {
			klog.Fatalf("%v", err)
		}
		o.Compat.warn()
		cc := cfg.ComponentConfig.KubeCloudShared.CloudProvider
		cloud, err := cloudprovider.InitCloudProvider(cc.Name, cc.CloudConfigFile)
		if err != nil {
			klog.Fatalf("cloud provider %q could not be initialized: %v", cc.Name, err)
		}
		if cloud == nil {
			klog.Fatalf("cloud provider %q is unknown (this binary knows %q)", cc.Name, gce.ProviderName)
		}
		if g, ok := cloud.(*gce.Cloud); ok {
			if err := g.SetClusterCIDRs(cfg.ComponentConfig.KubeCloudShared.ClusterCIDR); err != nil {
				klog.Fatalf("%v", err)
			}
		}
		return cloud
	}
}

// controllerInitializers are the framework's controllers, some replaced by
// ours of the same name, plus ours.
func controllerInitializers(replaced, extra map[string]app.ControllerInitFuncConstructor) (map[string]app.ControllerInitFuncConstructor, error) {
	ctrls := map[string]app.ControllerInitFuncConstructor{}
	for k, v := range app.DefaultInitFuncConstructors {
		ctrls[k] = v
	}
	for name, c := range replaced {
		if _, ok := ctrls[name]; !ok {
			return nil, fmt.Errorf("controller %q replaces no framework controller", name)
		}
		ctrls[name] = c
	}
	for name, c := range extra {
		if _, dup := ctrls[name]; dup {
			return nil, fmt.Errorf("controller %q is registered twice", name)
		}
		ctrls[name] = c
	}
	return ctrls, nil
}

// replacedControllers are framework controllers gce-ccm runs its own way,
// under the framework's name.
func replacedControllers(o *gceCCMOptions) map[string]app.ControllerInitFuncConstructor {
	return map[string]app.ControllerInitFuncConstructor{
		routeController:   routeInitFuncConstructor(o),
		serviceController: serviceInitFuncConstructor(o),
	}
}

// extraControllers are gce-ccm's own controllers, keyed by --controllers
// name, all on by default, and the upstream GCE CCM's names we accept
// (off by default, as upstream). o carries their flags.
func extraControllers(o *gceCCMOptions) map[string]app.ControllerInitFuncConstructor {
	ctrls := map[string]app.ControllerInitFuncConstructor{
		ipforwardController: ourController("ipforward-controller", onGCE("ipforward controller", o.startIPForward)),
		lbResyncController:  ourController("service-controller", onGCE("load-balancer resync", o.startLBResync)),
		orphansController:   ourController("service-controller", onGCE("orphan collector", o.startOrphans)),
		// The upstream's client name for this controller.
		nodeIPAMController: ourController("node-controller", o.NodeIPAM.start),
	}
	for _, cc := range compatControllers {
		ctrls[cc.name] = compatInitFuncConstructor(cc)
		app.ControllersDisabledByDefault.Insert(cc.name)
	}
	return ctrls
}

// controllerAliases are the framework's short names plus the upstream GCE
// CCM's (nodeipam, gke-service, gke-tenant).
func controllerAliases() map[string]string {
	a := names.CCMControllerAliases()
	a[nodeIPAMAlias] = nodeIPAMController
	for _, cc := range compatControllers {
		if cc.alias != "" {
			a[cc.alias] = cc.name
		}
	}
	return a
}
