package lb

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// reserveAddress reserves <lb> and learns its IP. An address left by an
// earlier attempt (409) is read back and used if it is ours and fits.
func (l *LoadBalancers) reserveAddress(ctx context.Context, a *computepb.Address) (string, error) {
	defer l.addresses.Invalidate(a.GetName())
	err := l.api.InsertAddress(ctx, l.region, a)
	if err != nil && !gceapi.IsAlreadyExists(err) {
		return "", fmt.Errorf("reserving address %s: %w", a.GetName(), err)
	}
	got, err := l.api.GetAddress(ctx, l.region, a.GetName())
	if err != nil {
		return "", fmt.Errorf("reading address %s: %w", a.GetName(), err)
	}
	if got.GetDescription() != a.GetDescription() || (a.GetAddress() != "" && got.GetAddress() != a.GetAddress()) {
		return "", fmt.Errorf("address %s exists as %s with description %q: not the reservation this load balancer needs", a.GetName(), got.GetAddress(), got.GetDescription())
	}
	return got.GetAddress(), nil
}

// releaseAddress deletes <lb>; a rule holding the IP keeps it as ephemeral.
func (l *LoadBalancers) releaseAddress(ctx context.Context, name string) error {
	return wrote(l.addresses, "releasing address", name, gone(l.api.DeleteAddress(ctx, l.region, name)))
}
