package main

import (
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	cpconfig "k8s.io/cloud-provider/config"
	fakecloud "k8s.io/cloud-provider/fake"
	"k8s.io/cloud-provider/names"
	genericcontrollermanager "k8s.io/controller-manager/app"
)

func completedConfig(shared cpconfig.KubeCloudSharedConfiguration) (*config.CompletedConfig, *clientBuilder) {
	kube := fake.NewClientset()
	cb := &clientBuilder{kube: kube}
	c := &config.Config{ClientBuilder: cb, SharedInformers: informers.NewSharedInformerFactory(kube, 0)}
	c.ComponentConfig.KubeCloudShared = shared
	return c.Complete(), cb
}

func TestStartNodeIPAM(t *testing.T) {
	for _, tt := range []struct {
		name    string
		shared  cpconfig.KubeCloudSharedConfiguration
		ipam    nodeIPAMOptions
		started bool
		wantErr string
		badFlag bool // check, at start-up, refuses it too
	}{
		{name: "allocate-node-cidrs false: off", shared: cpconfig.KubeCloudSharedConfiguration{ClusterCIDR: "10.64.0.0/14", CIDRAllocatorType: "RangeAllocator"}},
		{name: "range allocator", started: true,
			shared: cpconfig.KubeCloudSharedConfiguration{AllocateNodeCIDRs: true, ClusterCIDR: "10.64.0.0/14", CIDRAllocatorType: "RangeAllocator"},
			ipam:   nodeIPAMOptions{ServiceCIDR: "10.0.0.0/20", MaskSize: 26}},
		{name: "cloud allocator needs the gce provider",
			shared:  cpconfig.KubeCloudSharedConfiguration{AllocateNodeCIDRs: true, ClusterCIDR: "10.64.0.0/14", CIDRAllocatorType: "CloudAllocator"},
			wantErr: "--cidr-allocator-type=CloudAllocator reads VMs through the gce cloud provider"},
		{name: "bad mask",
			shared: cpconfig.KubeCloudSharedConfiguration{AllocateNodeCIDRs: true, ClusterCIDR: "10.64.0.0/14", CIDRAllocatorType: "RangeAllocator"},
			ipam:   nodeIPAMOptions{MaskSize: 8}, badFlag: true,
			wantErr: "--node-cidr-mask-size: /8 is larger than the cluster CIDR 10.64.0.0/14"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, cb := completedConfig(tt.shared)
			if err := tt.ipam.check(cfg); (err != nil) != tt.badFlag || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("check at start-up: %v", err)
			}
			o := newGCECCMOptions()
			o.NodeIPAM = tt.ipam
			ctor := extraControllers(o)[nodeIPAMController]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, started, err := ctor.Constructor(ctor.InitContext, cfg, &fakecloud.Cloud{})(ctx, genericcontrollermanager.ControllerContext{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || started != tt.started {
				t.Fatalf("started %v, %v; want %v", started, err, tt.started)
			}
			if started && strings.Join(cb.names, ",") != "node-controller" {
				t.Errorf("clients asked for %v, want [node-controller]", cb.names)
			}
		})
	}
}

func TestRouteControllerOffWhenVPCNative(t *testing.T) {
	ctrls, err := controllerInitializers(replacedControllers(newGCECCMOptions()), extraControllers(newGCECCMOptions()))
	if err != nil {
		t.Fatal(err)
	}
	ctor := ctrls[names.NodeRouteController]
	cfg, _ := completedConfig(cpconfig.KubeCloudSharedConfiguration{AllocateNodeCIDRs: true, ClusterCIDR: "10.64.0.0/14",
		CIDRAllocatorType: "CloudAllocator", ConfigureCloudRoutes: true})
	_, started, err := ctor.Constructor(ctor.InitContext, cfg, &fakecloud.Cloud{})(context.Background(), genericcontrollermanager.ControllerContext{})
	if err != nil || started {
		t.Errorf("route controller with CloudAllocator: started %v, %v; want off", started, err)
	}
	if why := routesOffBecause(cfg); !strings.Contains(why, "--cidr-allocator-type=CloudAllocator") {
		t.Errorf("the reason %q does not name the flag", why)
	}
	cfg, _ = completedConfig(cpconfig.KubeCloudSharedConfiguration{AllocateNodeCIDRs: true, ClusterCIDR: "10.64.0.0/14",
		CIDRAllocatorType: "RangeAllocator", ConfigureCloudRoutes: true})
	if why := routesOffBecause(cfg); why != "" {
		t.Errorf("RangeAllocator turns routes off: %s", why)
	}
	if _, ok := app.DefaultInitFuncConstructors[names.NodeRouteController]; !ok {
		t.Fatal("the framework no longer has its route controller")
	}
}
