// Package routes runs the cloud-provider framework's route controller so
// that it reconciles on node events (watch-based, KEP-5237: fast) and also
// at least once per resync period (so drift in GCE — a deleted or re-pointed
// route, a blackhole, a route that failed on quota — is repaired within that
// bound). The framework reconciles in watch-based mode only on node events
// and on the node informer's resync, which for the shared informer is 12-24
// hours; here the controller's own handler on the shared informer resyncs at
// the period, which costs no extra watch and no extra cache. Its node
// events come through controllers/nodeevents' Routes policy.
package routes

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	cloudprovider "k8s.io/cloud-provider"
	routecontroller "k8s.io/cloud-provider/controllers/route"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	"k8s.io/utils/clock"

	"github.com/gce-ccm/gce-ccm/controllers/nodeevents"
)

// Options configure the route controller.
type Options struct {
	Routes       cloudprovider.Routes
	Client       clientset.Interface
	Nodes        coreinformers.NodeInformer // the shared informer, not started yet
	ClusterName  string
	ClusterCIDRs string // --cluster-cidr, comma-separated
	ResyncPeriod time.Duration
	// SyncPeriod is --route-reconciliation-period, used by the framework
	// only when watch-based reconciliation is off.
	SyncPeriod time.Duration
	Metrics    *controllersmetrics.ControllerManagerMetrics
	// Clock times the node events' policy (clock.RealClock when nil).
	Clock clock.WithDelayedExecution
}

// Start builds the controller and runs it until ctx ends. The node informer
// must not have started, and its factory must resync at some period (the
// CCM's does, every 12-24 h): client-go lowers a started informer's resync
// to a handler's only before the start, and never turns resync on for an
// informer built without one.
func Start(ctx context.Context, o Options) error {
	if o.ResyncPeriod <= 0 {
		return fmt.Errorf("route controller: resync period %v is not positive", o.ResyncPeriod)
	}
	cidrs, err := parseClusterCIDRs(o.ClusterCIDRs)
	if err != nil {
		return err
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	rc, err := routecontroller.New(o.Routes, o.Client, routeNodes(o.Nodes, o.ResyncPeriod, o.Clock), o.ClusterName, cidrs)
	if err != nil {
		return fmt.Errorf("route controller: %w", err)
	}
	go rc.Run(ctx, o.SyncPeriod, o.Metrics)
	return nil
}

// parseClusterCIDRs reads --cluster-cidr: one CIDR, or one of each family
// (dual stack), which is what the framework's route controller accepts.
func parseClusterCIDRs(spec string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	families := map[bool]bool{}
	for _, s := range strings.Split(spec, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("route controller: --cluster-cidr %q: %w", s, err)
		}
		v4 := n.IP.To4() != nil
		if families[v4] {
			return nil, fmt.Errorf("route controller: --cluster-cidr %q: at most one CIDR per IP family", spec)
		}
		families[v4] = true
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("route controller: --cluster-cidr is required with --configure-cloud-routes")
	}
	return out, nil
}

// routeNodes is the shared node informer with one difference: the
// handlers added through it (the route controller's) receive node events
// by the Routes policy, and every node again once per period, which the
// framework's controller treats as a signal to reconcile.
func routeNodes(nodes coreinformers.NodeInformer, period time.Duration, clk clock.WithDelayedExecution) coreinformers.NodeInformer {
	return nodeevents.Informer(nodes, nodeevents.Routes(period), clk)
}
