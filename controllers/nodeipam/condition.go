package nodeipam

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The condition's reason and message when the pod range is the VM's alias
// range: nothing is left to do for the network (the route controller's
// reason would claim a route was made, and none is).
const (
	reasonAliasRange  = "AliasIPRangeAssigned"
	messageAliasRange = "The node's pod CIDR is its VM's alias IP range, which the VPC routes to it"
)

func networkAvailable(n *v1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeNetworkUnavailable {
			return c.Status == v1.ConditionFalse
		}
	}
	return false
}

// setNetworkAvailable patches NetworkUnavailable=False into the node's
// status (a strategic merge on the conditions list, keyed by type, so the
// kubelet's conditions are left alone).
func (c *Controller) setNetworkAvailable(ctx context.Context, node *v1.Node) error {
	now := metav1.NewTime(time.Now())
	cond := v1.NodeCondition{Type: v1.NodeNetworkUnavailable, Status: v1.ConditionFalse,
		Reason: reasonAliasRange, Message: messageAliasRange, LastTransitionTime: now, LastHeartbeatTime: now}
	patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []v1.NodeCondition{cond}}})
	if err != nil {
		return err
	}
	if _, err := c.kube.CoreV1().Nodes().PatchStatus(ctx, node.Name, patch); err != nil {
		return fmt.Errorf("setting NetworkUnavailable=False: %w", err)
	}
	return nil
}
