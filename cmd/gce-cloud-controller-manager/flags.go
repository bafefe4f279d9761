package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/utils/clock"

	"github.com/gce-ccm/gce-ccm/controllers/ipforward"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

// gceCCMOptions are gce-ccm's own flags (the "gce-ccm" section of --help).
type gceCCMOptions struct {
	// IPForwardMode is --ipforward-mode; empty means gce.conf decides.
	IPForwardMode         ipforward.Mode
	IPForwardResyncPeriod time.Duration
	// NodeIPAM are the node IPAM flags the framework lacks.
	NodeIPAM nodeIPAMOptions
	// Compat records the upstream-only flags given.
	Compat compatOptions
	// ResyncPeriod is --gce-resync-period; zero means gce.conf decides.
	ResyncPeriod time.Duration
	// clock times the framework controllers' node events
	// (controllers/nodeevents); not a flag, a test's fake clock.
	clock clock.WithDelayedExecution
}

func newGCECCMOptions() *gceCCMOptions {
	return &gceCCMOptions{IPForwardResyncPeriod: ipforward.DefaultResyncPeriod, clock: clock.RealClock{}}
}

// flagSets returns our flags in a "gce-ccm" section, and the upstream GCE
// CCM's own in its sections ("nodeipam controller", "GCE Cloud Provider").
// Values are checked as they are parsed, so a bad one stops the binary
// before it starts anything, with an error that names the flag.
func (o *gceCCMOptions) flagSets() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	o.NodeIPAM.addFlags(fss.FlagSet(sectionNodeIPAM))
	o.Compat.addFlags(fss.FlagSet)
	fs := fss.FlagSet("gce-ccm")
	fs.Var(&modeValue{&o.IPForwardMode}, "ipforward-mode",
		"What the ipforward controller does about a node VM without canIpForward: enforce (turn it on), audit (only report) or off (the controller does not start). "+
			"Overrides gce-ccm-ipforward-mode in --cloud-config; when neither is set: enforce.")
	fs.Var(&positiveDuration{&o.IPForwardResyncPeriod}, "ipforward-resync-period",
		"How often the ipforward controller reads the project's VMs in bulk (one instances.aggregatedList) and re-checks every node whose VM does not forward.")
	fs.Var(&positiveDuration{&o.ResyncPeriod}, "gce-resync-period",
		"The longest time drift in GCE (a route or load balancer object deleted or changed by hand) waits before it is repaired: "+
			"everything the controller owns in GCE is compared with what should exist at least this often, besides on every change in Kubernetes. "+
			"Overrides gce-ccm-resync-period in --cloud-config; when neither is set: 5m. The route controller reconciles at most every 10s whatever this says.")
	return fss
}

// ipForwardMode is the flag's mode when set, else gce.conf's.
func (o *gceCCMOptions) ipForwardMode(cfg *gce.Config) (ipforward.Mode, error) {
	if o.IPForwardMode != "" {
		return o.IPForwardMode, nil
	}
	m, err := ipforward.ParseMode(cfg.IPForwardMode)
	if err != nil {
		return "", fmt.Errorf("gce.conf: gce-ccm-ipforward-mode: %w", err)
	}
	return m, nil
}

type modeValue struct{ m *ipforward.Mode }

var _ pflag.Value = (*modeValue)(nil)

func (v *modeValue) String() string { return string(*v.m) }
func (v *modeValue) Type() string   { return "mode" }
func (v *modeValue) Set(s string) error {
	// pflag names the flag: invalid argument "x" for "--ipforward-mode" flag: ...
	m, err := ipforward.ParseMode(s)
	if err != nil {
		return err
	}
	*v.m = m
	return nil
}

type positiveDuration struct{ d *time.Duration }

func (v *positiveDuration) String() string { return v.d.String() }
func (v *positiveDuration) Type() string   { return "duration" }
func (v *positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration like 5m", s)
	}
	*v.d = d
	return nil
}
