//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const shutdownTaint = "node.cloudprovider.kubernetes.io/shutdown"

func hasTaint(n *v1.Node, key string) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key {
			return true
		}
	}
	return false
}

func TestNodeLifecycle(t *testing.T) {
	e := newEnv(t, 3*time.Minute)
	e.startCCM("ccm", false)
	e.addNode("node-keep", zones[0], true, podCIDR(1))
	e.addNode("node-gone", zones[1], true, podCIDR(2))
	e.addNode("node-stopped", zones[2], true, podCIDR(3))
	// A node registered by a kubelet gets initialised by the cloud-node
	// controller: zone, region and instance type labels, addresses.
	uninit := e.addNode("node-new", zones[0], true, podCIDR(4))
	e.updateNode(uninit.Name, taintUninitialized)

	if err := e.gce.DeleteInstanceNow(zones[1], "node-gone"); err != nil {
		t.Fatal(err)
	}
	if err := e.gce.SetInstanceStatus(zones[2], "node-stopped", "TERMINATED"); err != nil {
		t.Fatal(err)
	}
	e.eventually("node-gone deleted by the lifecycle controller", 60*time.Second, func() (bool, string) {
		_, err := kube.CoreV1().Nodes().Get(e.ctx, "node-gone", metav1.GetOptions{})
		return isNotFound(err), fmt.Sprint(err)
	})
	e.eventually("node-stopped tainted as shut down", 60*time.Second, func() (bool, string) {
		n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-stopped", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return hasTaint(n, shutdownTaint), fmt.Sprint(n.Spec.Taints)
	})
	e.eventually("node-new initialised", 60*time.Second, func() (bool, string) {
		n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-new", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ok := !hasTaint(n, "node.cloudprovider.kubernetes.io/uninitialized") &&
			n.Labels["topology.kubernetes.io/zone"] == zones[0] && n.Labels["topology.kubernetes.io/region"] == "us-central1" &&
			n.Labels["node.kubernetes.io/instance-type"] == "e2-standard-2" && len(n.Status.Addresses) > 0
		return ok, fmt.Sprintf("labels %v taints %v addresses %v", n.Labels, n.Spec.Taints, n.Status.Addresses)
	})
	// The running node is left alone.
	n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-keep", metav1.GetOptions{})
	if err != nil || hasTaint(n, shutdownTaint) {
		t.Fatalf("node-keep: %v %v", err, n.Spec.Taints)
	}
	// Restarting the VM and its kubelet reporting Ready lifts the taint
	// (the lifecycle controller removes it from Ready nodes).
	if err := e.gce.SetInstanceStatus(zones[2], "node-stopped", "RUNNING"); err != nil {
		t.Fatal(err)
	}
	e.updateNodeStatus("node-stopped", setReady(v1.ConditionTrue, "KubeletReady"))
	e.eventually("shutdown taint removed after restart", 60*time.Second, func() (bool, string) {
		n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-stopped", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return !hasTaint(n, shutdownTaint), fmt.Sprint(n.Spec.Taints)
	})
}
