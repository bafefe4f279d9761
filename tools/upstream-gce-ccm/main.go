// Command upstream-gce-ccm is the upstream GCE cloud provider
// (k8s.io/cloud-provider-gcp/providers/gce) inside the standard
// cloud-controller-manager of k8s.io/cloud-provider, built unchanged from the
// Go module proxy. gce-ccm never ships it: the e2e suite runs it against the
// fakecompute emulator to prove that the emulator serves the requests the
// upstream provider sends (gce.conf `api-endpoint`), the fifth client of the
// emulator beside the two Go libraries, gcloud and terraform.
//
// The upstream repository's own main lives in its root module, which the
// module proxy here does not serve; this wrapper is the few lines that
// main amounts to: register the provider, hand it to the framework.
package main

import (
	"os"

	"k8s.io/apimachinery/pkg/util/wait"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	"k8s.io/cloud-provider/names"
	"k8s.io/cloud-provider/options"
	"k8s.io/component-base/cli"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/klog/v2"

	_ "k8s.io/cloud-provider-gcp/providers/gce" // registers the "gce" provider
)

func main() {
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		klog.Fatalf("command options: %v", err)
	}
	cmd := app.NewCloudControllerManagerCommand(opts, initCloud, app.DefaultInitFuncConstructors,
		names.CCMControllerAliases(), cliflag.NamedFlagSets{}, wait.NeverStop)
	cmd.Use = "upstream-gce-ccm"
	os.Exit(cli.Run(cmd))
}

// initCloud builds the provider named by --cloud-provider from --cloud-config.
func initCloud(c *config.CompletedConfig) cloudprovider.Interface {
	gen := c.ComponentConfig.KubeCloudShared.CloudProvider
	cloud, err := cloudprovider.InitCloudProvider(gen.Name, gen.CloudConfigFile)
	if err != nil {
		klog.Fatalf("cloud provider %q: %v", gen.Name, err)
	}
	if cloud == nil {
		klog.Fatalf("cloud provider %q is not registered", gen.Name)
	}
	if !cloud.HasClusterID() {
		klog.Warning("no ClusterID: the upstream provider tags nothing with a cluster id")
	}
	return cloud
}
