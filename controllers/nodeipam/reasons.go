package nodeipam

import (
	"errors"
)

// Event reasons on a Node. CIDRNotAvailable is the upstream allocators'
// reason for the same failure, so alerts written for them keep working.
const (
	ReasonCIDRNotAvailable = "CIDRNotAvailable"
	ReasonOutside          = "PodCIDROutsideClusterCIDR"
	ReasonCollision        = "PodCIDRCollision"
	ReasonInvalid          = "PodCIDRInvalid"
)

// rejectionReason classifies why a node's existing CIDRs were refused.
func rejectionReason(err error) string {
	var col *CollisionError
	switch {
	case errors.As(err, &col):
		return ReasonCollision
	case errors.Is(err, errOutside), errors.Is(err, errNoPool):
		return ReasonOutside
	default:
		return ReasonInvalid
	}
}
