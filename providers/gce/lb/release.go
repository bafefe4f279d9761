package lb

import (
	"context"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Releasing the address <lb> once the rules hold the IP is bookkeeping:
// the load balancer works, with its IP, whether or not the release is
// done. So EnsureLoadBalancer does not wait for it: the sync returns after
// three operation waits (address; firewall and pool; rule) and the release
// runs on, still holding the load balancer's lock, so the next sync of the
// same Service sees its outcome. If it fails or the process stops, the
// next sync finds <lb> reserved with nothing needing it and releases it.

// releaseTimeout bounds a release that outlives its sync.
const releaseTimeout = 5 * time.Minute

// reasonNotReleased: the address could not be released yet.
const reasonNotReleased = "LoadBalancerAddressNotReleased"

// releaseLater releases the address in the background and then unlocks
// the load balancer. Its predecessors are done: it runs alone.
func (l *LoadBalancers) releaseLater(ctx context.Context, svc *v1.Service, lb string, a plan.Action, unlock func()) {
	a.After = nil
	l.background.Add(1)
	go func() {
		defer l.background.Done()
		defer unlock()
		// The sync that started it has returned; its context may end.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if _, err := l.apply(ctx, lb, []plan.Action{a}, ""); err != nil {
			klog.FromContext(ctx).Error(err, "Address not released; the next sync will", "lb", lb)
			l.event(svc, v1.EventTypeWarning, reasonNotReleased,
				fmt.Sprintf("static address %s stays reserved until the next sync releases it: %v", a.Name, err))
		}
	}()
}
