package lbsync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// errChanged: the Service is not what the pass listed any more; the service
// controller syncs it, the pass leaves it.
var errChanged = errors.New("the Service changed since the pass listed it")

// errNodesChanged: the load-balanced nodes are not the set the pass listed
// any more; the service controller syncs every load balancer's hosts on a
// node change, the pass leaves them.
var errNodesChanged = errors.New("the nodes changed since the pass listed them")

func isChanged(err error) bool { return errors.Is(err, errChanged) || errors.Is(err, errNodesChanged) }

// confirm reads the Service from the API server right before the first
// repair write, under the load balancer's lock, and fails unless it is
// still the one listed and still wants its load balancer. The lister may
// lag: a Service the service controller has just deleted (its load balancer
// removed under the same lock) must not be rebuilt. A converged load
// balancer never asks, so an idle pass costs the API server nothing.
//
// It also fails when the load-balanced nodes differ from those the pass
// listed before it read GCE. The service controller adds a node that
// joins meanwhile to every target pool, so the pass would read the pools
// with a member its stale node list lacks and remove it (make bench's
// reaction scenario: a node joining during a pass was removed from 90 of
// 100 pools 31 s after the service controller had added it; nothing put it
// back until the next pass). A node gone meanwhile would be put back. The
// node cache is read here, after this load balancer was read from GCE: a
// pool member the service controller added is of a node already in it.
func (c *Controller) confirm(listed *v1.Service, nodes []*v1.Node) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := c.sameNodes(nodes); err != nil {
			return err
		}
		cur, err := c.o.Client.CoreV1().Services(listed.Namespace).Get(ctx, listed.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("%w: it is gone", errChanged)
		}
		if err != nil {
			return fmt.Errorf("reading the Service before repairing its load balancer: %w", err)
		}
		return sameWish(listed, cur)
	}
}

// sameWish says why cur does not want the load balancer listed asked for,
// or nil.
func sameWish(listed, cur *v1.Service) error {
	switch {
	case cur.UID != listed.UID:
		return fmt.Errorf("%w: it was replaced (UID %s, listed %s)", errChanged, cur.UID, listed.UID)
	case !ensured(cur):
		return fmt.Errorf("%w: it no longer wants a load balancer of ours (type %s, class %v, deleting %v, finalizer %v)", errChanged,
			cur.Spec.Type, cur.Spec.LoadBalancerClass != nil, cur.DeletionTimestamp != nil, hasFinalizer(cur, lbFinalizer))
	case !equality.Semantic.DeepEqual(cur.Spec, listed.Spec) || !maps.Equal(cur.Annotations, listed.Annotations):
		return fmt.Errorf("%w: its spec or annotations changed", errChanged)
	}
	return nil
}

// sameNodes says how the load-balanced nodes in the cache differ from
// listed, or nil.
func (c *Controller) sameNodes(listed []*v1.Node) error {
	all, err := c.o.Nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("listing the nodes before repairing a load balancer: %w", err)
	}
	now := map[string]bool{}
	for _, n := range lbNodes(all) {
		now[n.Name] = true
	}
	var gone []string
	for _, n := range listed {
		if !now[n.Name] {
			gone = append(gone, n.Name)
		}
		delete(now, n.Name)
	}
	if len(gone) > 0 || len(now) > 0 {
		return fmt.Errorf("%w (%d joined, %d left: %v)", errNodesChanged, len(now), len(gone), append(slices.Sorted(maps.Keys(now)), gone...))
	}
	return nil
}
