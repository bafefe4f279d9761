package lbsync

import (
	"strconv"

	v1 "k8s.io/api/core/v1"
)

// toBeDeletedTaint is the cluster autoscaler's taint on a node it is about
// to remove.
const toBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

// lbNodes are the nodes the service controller puts behind load balancers
// (its stable node set, Kubernetes 1.27+): not being deleted, not labelled
// node.kubernetes.io/exclude-from-external-load-balancers (an unparsable
// value excludes too), not tainted for removal by the autoscaler. The
// periodic comparison must use the same set, or it would undo the service
// controller's membership changes.
func lbNodes(all []*v1.Node) []*v1.Node {
	var out []*v1.Node
	for _, n := range all {
		if n.DeletionTimestamp != nil || excluded(n) || tainted(n) {
			continue
		}
		out = append(out, n)
	}
	return out
}

func excluded(n *v1.Node) bool {
	v, ok := n.Labels[v1.LabelNodeExcludeBalancers]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}

func tainted(n *v1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == toBeDeletedTaint {
			return true
		}
	}
	return false
}
