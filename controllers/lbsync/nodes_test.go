package lbsync

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLBNodesAreTheServiceControllersStableSet(t *testing.T) {
	now := metav1.Now()
	node := func(name string, f func(*v1.Node)) *v1.Node {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
		f(n)
		return n
	}
	in := []*v1.Node{
		node("plain", func(*v1.Node) {}),
		node("not-ready", func(n *v1.Node) {
			n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionFalse}}
		}),
		node("excluded", func(n *v1.Node) { n.Labels[v1.LabelNodeExcludeBalancers] = "true" }),
		node("excluded-garbled", func(n *v1.Node) { n.Labels[v1.LabelNodeExcludeBalancers] = "maybe" }),
		node("not-excluded", func(n *v1.Node) { n.Labels[v1.LabelNodeExcludeBalancers] = "false" }),
		node("deleting", func(n *v1.Node) { n.DeletionTimestamp = &now }),
		node("autoscaled-away", func(n *v1.Node) { n.Spec.Taints = []v1.Taint{{Key: toBeDeletedTaint}} }),
	}
	var got []string
	for _, n := range lbNodes(in) {
		got = append(got, n.Name)
	}
	if want := "[plain not-ready not-excluded]"; want != fmtNames(got) {
		t.Errorf("nodes %v, want %s", got, want)
	}
}

func fmtNames(s []string) string {
	out := "["
	for i, n := range s {
		if i > 0 {
			out += " "
		}
		out += n
	}
	return out + "]"
}
