package lb

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

func (l *LoadBalancers) createPool(ctx context.Context, tp *computepb.TargetPool) error {
	return wrote(l.pools, "creating target pool", tp.GetName(), l.api.InsertTargetPool(ctx, l.region, tp))
}

func (l *LoadBalancers) deletePool(ctx context.Context, name string) error {
	return wrote(l.pools, "deleting target pool", name, gone(l.api.DeleteTargetPool(ctx, l.region, name)))
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
