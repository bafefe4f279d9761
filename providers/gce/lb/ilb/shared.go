package ilb

import (
	"context"
	"fmt"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// The objects every internal Service of the cluster shares (each zone's
// group and its members, the shared health check and its firewall) are
// written by one sync at a time: 100 Services created at once would
// otherwise all plan the same group inserts and the same addInstances, and
// all but one would fail on GCE's alreadyExists / memberAlreadyExists and
// wait for the service controller's retry. Under the lock a sync observes
// them again (our writes invalidate the snapshots, so it sees its
// predecessor's) and writes only what is still missing; the rest of its
// plan runs outside the lock and never writes a shared object's setup.

// setupShared brings the shared objects up to what the Service needs and
// returns the writes it made.
func (c *Controller) setupShared(ctx context.Context, in Input, r snapshot.Recency,
	confirm func(context.Context, []Action) error) ([]Action, error) {
	c.sharedMu.Lock()
	defer c.sharedMu.Unlock()
	seen, err := c.observe(ctx, in.Names, in.Spec.RequestedIP, r)
	if err != nil {
		return nil, err
	}
	in.Seen = seen
	p, err := Build(in)
	if err != nil {
		return nil, err
	}
	actions, _ := splitShared(p.Actions)
	if err := confirm(ctx, actions); err != nil {
		return nil, err
	}
	if _, err := c.apply(ctx, in.Names.LB, actions, currentIP(in)); err != nil {
		return nil, fmt.Errorf("the cluster's shared objects: %w", err)
	}
	return actions, nil
}

// splitShared separates the setup of shared objects (group creation and
// membership, the shared check and its firewall made or changed) from the
// rest of a plan. Deletions of shared objects stay with the rest: GCE
// refuses them while another backend service uses the object.
func splitShared(actions []Action) (shared, rest []Action) {
	for _, a := range actions {
		switch {
		case a.Kind == CreateGroup || a.Kind == AddMembers || a.Kind == RemoveMembers,
			a.Shared && (a.Kind == CreateCheck || a.Kind == UpdateCheck || a.Kind == CreateFirewall || a.Kind == PatchFirewall):
			shared = append(shared, a)
		default:
			rest = append(rest, a)
		}
	}
	return shared, rest
}
