package ilb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// apply runs the actions in order and stops at the first failure: each
// step depends on the ones before it (a backend service on its groups and
// check, a rule on its backend service, the traffic firewall on the rule's
// IP), and the next sync plans again from what exists. It returns the
// load balancer's IP.
func (c *Controller) apply(ctx context.Context, lb string, actions []Action, ip string) (string, error) {
	logger := klog.FromContext(ctx).WithValues("lb", lb)
	keptCheck := false
	for _, a := range actions {
		if a.Kind == DeleteFirewall && a.Shared && keptCheck {
			// The shared check's firewall stays with the check: the
			// backend service still using it needs its probes let in
			// (GCE keeps a check in use, not a firewall).
			logger.V(2).Info("Internal load balancer step skipped: the shared check is in use", "step", a.String())
			continue
		}
		start := time.Now()
		learnt, err := c.run(ctx, a, ip)
		c.wrote(a) // after the write: a list begun before it ends must not count as seeing it
		if errors.Is(err, errKeptInUse) {
			keptCheck = keptCheck || a.Kind == DeleteCheck
			err = nil
		}
		if err != nil {
			logger.Error(err, "Internal load balancer step failed", "step", a.String())
			return ip, fmt.Errorf("%s: %w", a, err)
		}
		if learnt != "" {
			ip = learnt
		}
		logger.V(2).Info("Internal load balancer step done", "step", a.String(), "duration", time.Since(start))
	}
	return ip, nil
}

// run performs one action; a created rule reports its IP.
func (c *Controller) run(ctx context.Context, a Action, ip string) (string, error) {
	api, region := c.API, c.Region
	switch a.Kind {
	case CreateGroup:
		return "", api.InsertInstanceGroup(ctx, a.Zone, a.Group)
	case AddMembers:
		return "", api.AddGroupInstances(ctx, a.Zone, a.Name, a.Instances)
	case RemoveMembers:
		return "", api.RemoveGroupInstances(ctx, a.Zone, a.Name, a.Instances)
	case DeleteGroup:
		return "", keepIfInUse(api.DeleteInstanceGroup(ctx, a.Zone, a.Name))
	case CreateCheck:
		return "", api.InsertHealthCheck(ctx, a.Check)
	case UpdateCheck:
		return "", api.UpdateHealthCheck(ctx, a.Check)
	case DeleteCheck:
		return "", ignoreGone(keepIfInUse(api.DeleteHealthCheck(ctx, a.Name)))
	case CreateFirewall, PatchFirewall:
		fw := a.Firewall
		if a.FillIP {
			if ip == "" {
				return "", fmt.Errorf("the load balancer's IP is not known: a planning bug")
			}
			fw = proto.Clone(fw).(*computepb.Firewall)
			fw.DestinationRanges = []string{ip + "/32"}
		}
		if a.Kind == CreateFirewall {
			return "", api.InsertFirewall(ctx, fw)
		}
		return "", api.PatchFirewall(ctx, fw.GetName(), fw)
	case DeleteFirewall:
		return "", ignoreGone(api.DeleteFirewall(ctx, a.Name))
	case CreateBackend:
		return "", api.InsertBackendService(ctx, region, a.Backend)
	case PatchBackend:
		return "", api.PatchBackendService(ctx, region, a.Backend)
	case DeleteBackend:
		return "", ignoreGone(api.DeleteBackendService(ctx, region, a.Name))
	case ReserveAddress:
		return "", api.InsertAddress(ctx, region, a.Address)
	case ReleaseAddress:
		return "", ignoreGone(api.DeleteAddress(ctx, region, a.Name))
	case CreateRule:
		if err := api.InsertForwardingRule(ctx, region, a.Rule); err != nil {
			return "", err
		}
		r, err := api.GetForwardingRule(ctx, region, a.Name)
		return r.GetIPAddress(), err
	case PatchRule:
		return "", api.SetForwardingRuleGlobalAccess(ctx, region, a.Name, a.Rule.GetFingerprint(), a.Rule.GetAllowGlobalAccess())
	case DeleteRule:
		return "", ignoreGone(api.DeleteForwardingRule(ctx, region, a.Name))
	}
	return "", fmt.Errorf("unknown step %s", a.Kind)
}

// errKeptInUse: a shared object was not deleted because another backend
// service still uses it; the step is done.
var errKeptInUse = errors.New("kept: in use by another backend service")

// keepIfInUse: a shared object another backend service still uses stays.
func keepIfInUse(err error) error {
	if gceapi.IsInUse(err) {
		return errKeptInUse
	}
	return err
}

// ignoreGone: deleting what is already gone is done.
func ignoreGone(err error) error {
	if gceapi.IsNotFound(err) {
		return nil
	}
	return err
}
