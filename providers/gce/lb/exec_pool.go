package lb

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

func (l *LoadBalancers) createPool(ctx context.Context, tp *computepb.TargetPool) error {
	defer l.pools.Invalidate(tp.GetName())
	if err := l.api.InsertTargetPool(ctx, l.region, tp); err != nil {
		return fmt.Errorf("creating target pool %s: %w", tp.GetName(), err)
	}
	return nil
}

func (l *LoadBalancers) deletePool(ctx context.Context, name string) error {
	defer l.pools.Invalidate(name)
	if err := l.api.DeleteTargetPool(ctx, l.region, name); err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting target pool %s: %w", name, err)
	}
	return nil
}

// changePool runs one write to a pool's members or health check.
func (l *LoadBalancers) changePool(ctx context.Context, a plan.Action) error {
	defer l.pools.Invalidate(a.Name)
	api, region := l.api, l.region
	var err error
	switch a.Kind {
	case plan.OpAddInstances:
		err = api.AddTargetPoolInstances(ctx, region, a.Name, a.Instances)
	case plan.OpRemoveInstances:
		err = api.RemoveTargetPoolInstances(ctx, region, a.Name, a.Instances)
	case plan.OpAttachCheck:
		err = api.AddTargetPoolHealthCheck(ctx, region, a.Name, a.Ref)
	case plan.OpDetachCheck:
		err = api.RemoveTargetPoolHealthCheck(ctx, region, a.Name, a.Ref)
	default:
		err = fmt.Errorf("not a pool change: %s", a.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s on target pool %s: %w", a.Kind, a.Name, err)
	}
	return nil
}
