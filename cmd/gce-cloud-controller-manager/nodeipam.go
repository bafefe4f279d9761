package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/nodeipam"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// nodeIPAMController is the controller's --controllers name and nodeipam
// its alias, both as the upstream GCE cloud-controller-manager registers
// them (kube-controller-manager's name for the same controller).
const (
	nodeIPAMController = "node-ipam-controller"
	nodeIPAMAlias      = "nodeipam"
)

// nodeIPAMOptions are the node IPAM flags the framework does not have
// (it has --allocate-node-cidrs, --cluster-cidr, --cidr-allocator-type).
type nodeIPAMOptions struct {
	ServiceCIDR  string
	MaskSize     int32
	MaskSizeIPv4 int32
	MaskSizeIPv6 int32
}

// addFlags adds them to the upstream's "nodeipam controller" section,
// with the upstream's names, types and meaning.
func (o *nodeIPAMOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ServiceCIDR, "service-cluster-ip-range", "",
		"The cluster's Service range (one CIDR, or one per family); node pod CIDRs are never cut from it. Used with --allocate-node-cidrs=true.")
	fs.Int32Var(&o.MaskSize, "node-cidr-mask-size", 0,
		"Mask size of a node's pod CIDR in a single-stack cluster. Default 24 for IPv4, 64 for IPv6.")
	fs.Int32Var(&o.MaskSizeIPv4, "node-cidr-mask-size-ipv4", 0, "Mask size of a node's IPv4 pod CIDR in a dual-stack cluster. Default 24.")
	fs.Int32Var(&o.MaskSizeIPv6, "node-cidr-mask-size-ipv6", 0, "Mask size of a node's IPv6 pod CIDR in a dual-stack cluster. Default 64.")
}

// nodeIPAMFlags puts the framework's and our flags together.
func (o *nodeIPAMOptions) flags(cfg *config.CompletedConfig) nodeipam.Flags {
	s := cfg.ComponentConfig.KubeCloudShared
	return nodeipam.Flags{AllocateNodeCIDRs: s.AllocateNodeCIDRs, ClusterCIDR: s.ClusterCIDR, ServiceCIDR: o.ServiceCIDR,
		AllocatorType: s.CIDRAllocatorType, MaskSize: o.MaskSize, MaskSizeIPv4: o.MaskSizeIPv4, MaskSizeIPv6: o.MaskSizeIPv6}
}

// checkNodeIPAM refuses bad node IPAM flags at start-up, before leader
// election, so a standby with a bad flag fails as soon as the leader would.
func (o *nodeIPAMOptions) check(cfg *config.CompletedConfig) error {
	f := o.flags(cfg)
	if !f.AllocateNodeCIDRs {
		return nil
	}
	_, err := nodeipam.ParseConfig(f)
	return err
}

func (o *nodeIPAMOptions) start(ctx context.Context, w wiring) (bool, error) {
	f := o.flags(w.cfg)
	if !f.AllocateNodeCIDRs {
		klog.InfoS("The node IPAM controller does nothing: --allocate-node-cidrs is false (another component, e.g. kube-controller-manager, gives nodes their pod CIDRs)")
		return false, nil
	}
	ipamCfg, err := nodeipam.ParseConfig(f)
	if err != nil {
		return false, err
	}
	kube, nodes := w.client(), w.informers().Nodes()
	var ctrl *nodeipam.Controller
	switch ipamCfg.Type {
	case nodeipam.RangeAllocator:
		ctrl, err = nodeipam.New(ipamCfg, kube, nodes, nodeipam.Options{})
	default:
		ctrl, err = newCloudAllocator(ipamCfg, kube, nodes, w.cloud)
	}
	if err != nil {
		return false, err
	}
	go ctrl.Run(ctx)
	return true, nil
}

// routesOffBecause says why the route controller must not run, or "".
func routesOffBecause(cfg *config.CompletedConfig) string {
	s := cfg.ComponentConfig.KubeCloudShared
	if s.AllocateNodeCIDRs && s.CIDRAllocatorType == string(nodeipam.CloudAllocator) {
		return fmt.Sprintf("--cidr-allocator-type=%s: the cluster is VPC-native, pod CIDRs are the VMs' alias IP ranges and the VPC routes them without a route per node",
			nodeipam.CloudAllocator)
	}
	return ""
}

// newCloudAllocator builds the CloudAllocator on the gce provider's API.
func newCloudAllocator(cfg nodeipam.Config, kube kubernetes.Interface, nodes coreinformers.NodeInformer, cloud cloudprovider.Interface) (*nodeipam.Controller, error) {
	gc, ok := cloud.(*gce.Cloud)
	if !ok {
		return nil, fmt.Errorf("--cidr-allocator-type=%s reads VMs through the gce cloud provider, not %T", nodeipam.CloudAllocator, cloud)
	}
	return nodeipam.NewCloud(cfg, gc.API(), kube, nodes, nodeipam.Options{})
}
