package main

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/options"
	"k8s.io/klog/v2"
)

// upstreamManifestArgs are the flags the upstream GCE CCM's own start-up
// script gives it (cloud-provider-gcp, cluster/gce/gci/configure-helper.sh,
// start-cloud-controller-manager) in a VPC-native cluster, and every flag
// of its main beyond the framework's (cmd/cloud-controller-manager: the
// "GCE Cloud Provider" and "nodeipam controller" sections).
var upstreamManifestArgs = []string{
	"--v=4", "--cloud-config=/etc/gce.conf", "--secure-port=10258", "--use-service-account-credentials",
	"--cloud-provider=gce", "--concurrent-node-syncs=10",
	"--kubeconfig=/etc/srv/kubernetes/cloud-controller-manager/kubeconfig",
	"--authorization-kubeconfig=/etc/srv/kubernetes/cloud-controller-manager/kubeconfig",
	"--authentication-kubeconfig=/etc/srv/kubernetes/cloud-controller-manager/kubeconfig",
	"--cluster-name=prod", "--cluster-cidr=10.64.0.0/14", "--concurrent-service-syncs=5",
	"--allocate-node-cidrs=true", "--cidr-allocator-type=CloudAllocator", "--configure-cloud-routes=false",
	"--controllers=*,-nodeipam,node-ipam-controller,gkenetworkparamset,-gke-service,-gke-tenant,gke-service-lb-controller",
	"--service-cluster-ip-range=10.0.0.0/20", "--node-cidr-mask-size=24",
	"--enable-multi-project", "--enable-rbs-default-l4-netlb=false", "--enable-l4-lb-annotations=true",
	"--enable-l4-deny-firewall", "--enable-l4-deny-firewall-rollback-cleanup", "--enable-gke-tenant-controller=false",
	"--enable-gke-service-controller=false", "--enable-multi-subnet-cluster", "--enable-multi-networking=false",
	"--enable-node-network-config=false",
}

// TestUpstreamManifestFlags parses and validates the upstream's flags as
// the binary does (the command's flag set, then the framework's Validate,
// which is where an unknown controller name is refused).
func TestUpstreamManifestFlags(t *testing.T) {
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		t.Fatal(err)
	}
	if err := applyDefaults(opts); err != nil {
		t.Fatal(err)
	}
	o := newGCECCMOptions()
	ctrls, err := controllerInitializers(replacedControllers(o), extraControllers(o))
	if err != nil {
		t.Fatal(err)
	}
	cmd := app.NewCloudControllerManagerCommand(opts, cloudInitializer(o), ctrls, controllerAliases(), o.flagSets(), wait.NeverStop)
	if err := cmd.ParseFlags(upstreamManifestArgs); err != nil {
		t.Fatalf("the upstream's flags: %v", err)
	}
	if err := opts.Validate(app.ControllerNames(ctrls), app.ControllersDisabledByDefault.List(), controllerAliases(),
		app.AllWebhooks, app.DisabledByDefaultWebhooks); err != nil {
		t.Fatalf("the upstream's flags do not validate: %v", err)
	}
	if got := opts.KubeCloudShared.CIDRAllocatorType; got != "CloudAllocator" {
		t.Errorf("--cidr-allocator-type = %q", got)
	}
	if o.NodeIPAM.ServiceCIDR != "10.0.0.0/20" || o.NodeIPAM.MaskSize != 24 {
		t.Errorf("node IPAM flags = %+v", o.NodeIPAM)
	}

	// Each upstream-only flag given is named in a warning.
	var buf bytes.Buffer
	klog.SetOutput(&buf)
	klog.LogToStderr(false)
	t.Cleanup(func() { klog.LogToStderr(true); klog.SetOutput(nil) })
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	o.Compat.warn()
	klog.Flush()
	for _, f := range compatFlags {
		if !strings.Contains(buf.String(), "--"+f.name+"=") {
			t.Errorf("no warning names --%s; got:\n%s", f.name, buf.String())
		}
	}
}

func TestUnknownControllerNameIsStillRefused(t *testing.T) {
	opts, err := options.NewCloudControllerManagerOptions()
	if err != nil {
		t.Fatal(err)
	}
	o := newGCECCMOptions()
	ctrls, err := controllerInitializers(replacedControllers(o), extraControllers(o))
	if err != nil {
		t.Fatal(err)
	}
	cmd := app.NewCloudControllerManagerCommand(opts, cloudInitializer(o), ctrls, controllerAliases(), o.flagSets(), wait.NeverStop)
	if err := cmd.ParseFlags([]string{"--controllers=*,-no-such-controller"}); err != nil {
		t.Fatal(err)
	}
	err = opts.Validate(app.ControllerNames(ctrls), app.ControllersDisabledByDefault.List(), controllerAliases(), app.AllWebhooks, app.DisabledByDefaultWebhooks)
	if err == nil || !strings.Contains(err.Error(), `"no-such-controller" is not in the list of known controllers`) {
		t.Errorf("an unknown controller: %v", err)
	}
}

func TestCompatFlagRefusesANonBool(t *testing.T) {
	o := newGCECCMOptions()
	fss := o.flagSets()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.AddFlagSet(fss.FlagSet(sectionGCE))
	if err := fs.Parse([]string{"--enable-multi-project=sometimes"}); err == nil || !strings.Contains(err.Error(), "--enable-multi-project") {
		t.Errorf("--enable-multi-project=sometimes: %v; want an error naming the flag", err)
	}
}
