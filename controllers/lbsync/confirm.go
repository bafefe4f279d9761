package lbsync

import (
	"context"
	"errors"
	"fmt"
	"maps"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// errChanged: the Service is not what the pass listed any more; the service
// controller syncs it, the pass leaves it.
var errChanged = errors.New("the Service changed since the pass listed it")

func isChanged(err error) bool { return errors.Is(err, errChanged) }

// confirm reads the Service from the API server right before the first
// repair write, under the load balancer's lock, and fails unless it is
// still the one listed and still wants its load balancer. The lister may
// lag: a Service the service controller has just deleted (its load balancer
// removed under the same lock) must not be rebuilt. A converged load
// balancer never asks, so an idle pass costs the API server nothing.
func (c *Controller) confirm(listed *v1.Service) func(context.Context) error {
	return func(ctx context.Context) error {
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
