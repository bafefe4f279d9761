package gce

import (
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// TestCacheTrim: cached nodes and Services lose what no controller reads
// and keep everything the controllers do read; a tombstone passes through.
func TestCacheTrim(t *testing.T) {
	managed := []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}
	node := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", ManagedFields: managed, Labels: map[string]string{"l": "1"},
		Annotations: map[string]string{"alpha.kubernetes.io/provided-node-ip": "10.0.0.1"}},
		Spec: v1.NodeSpec{ProviderID: "gce://p/z/n", PodCIDRs: []string{"10.64.0.0/24"}},
		Status: v1.NodeStatus{Images: []v1.ContainerImage{{Names: []string{"img"}}}, VolumesInUse: []v1.UniqueVolumeName{"v"},
			VolumesAttached: []v1.AttachedVolume{{Name: "v"}}, Addresses: []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.1"}},
			Conditions: []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue}}}}
	got, err := trimNode(node)
	if err != nil {
		t.Fatal(err)
	}
	n := got.(*v1.Node)
	if n.ManagedFields != nil || n.Status.Images != nil || n.Status.VolumesInUse != nil || n.Status.VolumesAttached != nil {
		t.Errorf("node not trimmed: %+v", n)
	}
	if n.Spec.ProviderID == "" || len(n.Spec.PodCIDRs) != 1 || len(n.Status.Addresses) != 1 || len(n.Status.Conditions) != 1 ||
		n.Labels["l"] != "1" || n.Annotations["alpha.kubernetes.io/provided-node-ip"] == "" {
		t.Errorf("node lost what controllers read: %+v", n)
	}

	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", ManagedFields: managed, Annotations: map[string]string{
		lastApplied: `{"big":"copy"}`, "networking.gke.io/load-balancer-type": "Internal"}}}
	got, err = trimService(svc)
	if err != nil {
		t.Fatal(err)
	}
	s := got.(*v1.Service)
	if s.ManagedFields != nil || len(s.Annotations) != 1 || s.Annotations["networking.gke.io/load-balancer-type"] != "Internal" {
		t.Errorf("service trimmed wrongly: %+v", s.ObjectMeta)
	}

	tomb := cache.DeletedFinalStateUnknown{Key: "n", Obj: node}
	if got, err := trimNode(tomb); err != nil || got.(cache.DeletedFinalStateUnknown).Key != "n" {
		t.Errorf("tombstone: %v %v", got, err)
	}
}
