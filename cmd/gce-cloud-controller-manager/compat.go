package main

import (
	"context"
	"strconv"

	"github.com/spf13/pflag"
	"k8s.io/cloud-provider/app"
	"k8s.io/klog/v2"
)

// The upstream GCE cloud-controller-manager (kubernetes/cloud-provider-gcp,
// cmd/cloud-controller-manager) has flags and controllers for GKE features
// gce-ccm does not have. A manifest written for it must start ours
// unchanged, so each is accepted and, when given, named in a warning that
// says what it would have done: accepted, never silently.

// compatFlag is an upstream flag accepted with no effect.
type compatFlag struct {
	name, section, help string
	// why is the warning's reason: what the upstream does that ours does not.
	why string
}

// Sections as the upstream's --help names them.
const (
	sectionGCE      = "GCE Cloud Provider"
	sectionNodeIPAM = "nodeipam controller"
)

var compatFlags = []compatFlag{
	{"enable-multi-project", sectionGCE, "Upstream: project selection from the Node providerID.",
		"gce-ccm calls GCE in the projects gce.conf names (project-id, network-project-id)"},
	{"enable-rbs-default-l4-netlb", sectionGCE, "Upstream: backend-service-based network LBs by default.",
		"gce-ccm makes target-pool network load balancers"},
	{"enable-l4-lb-annotations", sectionGCE, "Upstream: annotations on Services naming their GCE resources.",
		"gce-ccm writes no such annotations"},
	{"enable-l4-deny-firewall", sectionGCE, "Upstream: deny firewall rules for L4 external LBs.",
		"gce-ccm makes no deny firewall rules"},
	{"enable-l4-deny-firewall-rollback-cleanup", sectionGCE, "Upstream: deletes the deny firewall rules it made.",
		"gce-ccm makes no deny firewall rules, so has none to clean up"},
	{"enable-gke-tenant-controller", sectionGCE, "Upstream: the GKE tenant controller manager.",
		"GKE's multi-tenancy controllers are not part of gce-ccm"},
	{"enable-gke-service-controller", sectionGCE, "Upstream: the GKE implementation of the service controller.",
		"gce-ccm has one service controller, the framework's, on its own load balancer code"},
	{"enable-multi-subnet-cluster", sectionNodeIPAM, "Upstream: writes the nodeTopology custom resource.",
		"gce-ccm writes no nodeTopology resource"},
	{"enable-multi-networking", sectionNodeIPAM, "Upstream: multi-network IPAM (GKE Network resources).",
		"gce-ccm gives each node the pod CIDRs of its primary network only"},
	{"enable-node-network-config", sectionNodeIPAM, "Upstream: writes a NodeNetworkConfig custom resource per node.",
		"gce-ccm writes no NodeNetworkConfig resources"},
}

// compatOptions records which of compatFlags were given, and how.
type compatOptions struct {
	given map[string]string // flag name -> value as given
}

// addFlags adds every compat flag to its upstream section of fss.
func (o *compatOptions) addFlags(section func(string) *pflag.FlagSet) {
	o.given = map[string]string{}
	for _, f := range compatFlags {
		fl := section(f.section).VarPF(&givenBool{name: f.name, given: o.given}, f.name, "",
			f.help+" Accepted for compatibility with the upstream GCE cloud-controller-manager; no effect here: "+f.why+".")
		fl.NoOptDefVal = "true" // a bool flag: --name alone means true
	}
}

// warn names each compat flag that was given; cloudInitializer calls it.
func (o *compatOptions) warn() {
	for _, f := range compatFlags {
		if v, ok := o.given[f.name]; ok {
			klog.Warningf("--%s=%s is accepted for compatibility with the upstream GCE cloud-controller-manager and has no effect here: %s", f.name, v, f.why)
		}
	}
}

// givenBool is a bool flag that only remembers it was given.
type givenBool struct {
	name  string
	given map[string]string
}

func (b *givenBool) String() string { return "false" }
func (b *givenBool) Type() string   { return "bool" }
func (b *givenBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.given[b.name] = strconv.FormatBool(v)
	return nil
}

// compatController is an upstream controller name gce-ccm accepts in
// --controllers; it is off unless named, and named it only warns.
type compatController struct{ name, alias, why string }

// The upstream's controllers that are off by default and have no
// counterpart here (their names and aliases as the upstream registers them).
var compatControllers = []compatController{
	{"gkenetworkparamset", "", "GKE's GKENetworkParamSet resources are not served by gce-ccm"},
	{"gke-service-lb-controller", "gke-service", "gce-ccm's service-lb-controller is the one service controller"},
	{"gke-tenant-controller-manager", "gke-tenant", "GKE's multi-tenancy controllers are not part of gce-ccm"},
}

func compatInitFuncConstructor(cc compatController) app.ControllerInitFuncConstructor {
	return ourController("", func(context.Context, wiring) (bool, error) {
		klog.Warningf("Controller %q is accepted for compatibility with the upstream GCE cloud-controller-manager and does not run here: %s", cc.name, cc.why)
		return false, nil
	})
}
