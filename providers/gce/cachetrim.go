package gce

import (
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
)

// What the shared informers cache, trimmed of what no controller of the
// controller manager reads. Every write of a cached object is a patch
// computed between two copies of it (a field absent from both is not
// touched) or an update of the node's main resource, which leaves status
// as stored; managedFields left empty are kept by the API server.

// trimNode drops managedFields and the status lists of a node that only
// the kubelet and the scheduler use: its container images (often tens of
// kilobytes a node) and its volumes.
func trimNode(obj any) (any, error) {
	trimMeta(obj)
	if n, ok := obj.(*v1.Node); ok {
		n.Status.Images = nil
		n.Status.VolumesInUse = nil
		n.Status.VolumesAttached = nil
	}
	return obj, nil
}

// lastApplied is kubectl's copy of the whole object as last applied.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// trimService drops managedFields and kubectl's last-applied copy; the
// load balancer's own annotations stay.
func trimService(obj any) (any, error) {
	trimMeta(obj)
	if s, ok := obj.(*v1.Service); ok && s.Annotations[lastApplied] != "" {
		a := make(map[string]string, len(s.Annotations)-1)
		for k, v := range s.Annotations {
			if k != lastApplied {
				a[k] = v
			}
		}
		s.Annotations = a
	}
	return obj, nil
}

func trimMeta(obj any) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
}
