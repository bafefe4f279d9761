package lbsync

import (
	"context"
	"encoding/json"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

// ReasonIPChanged is the Event of a load balancer whose IP changed while it
// was repaired: its ephemeral IP went with its deleted forwarding rule, and
// clients must learn the new one. A reserved IP (spec.loadBalancerIP, or an
// address the load balancer holds) never changes.
const ReasonIPChanged = "LoadBalancerIPChanged"

// updateStatus puts a repaired load balancer's IP into the Service's status
// when it differs, and says so.
func (c *Controller) updateStatus(ctx context.Context, svc *v1.Service, status *v1.LoadBalancerStatus) {
	if status == nil || len(status.Ingress) == 0 {
		return
	}
	newIP, oldIP := status.Ingress[0].IP, ingressIP(svc.Status.LoadBalancer)
	if newIP == oldIP {
		return
	}
	err := c.patchStatus(ctx, svc, status)
	log := klog.FromContext(ctx).WithValues("service", klog.KObj(svc), "oldIP", oldIP, "newIP", newIP)
	if err != nil {
		log.Error(err, "Writing the repaired load balancer's new IP into the Service's status")
		return
	}
	log.Info("Load balancer IP changed")
	c.o.Recorder.Eventf(svc, v1.EventTypeWarning, ReasonIPChanged,
		"the load balancer's IP changed from %s to %s: its ephemeral IP was lost with its forwarding rule, deleted in GCE", oldIP, newIP)
}

func ingressIP(s v1.LoadBalancerStatus) string {
	if len(s.Ingress) == 0 {
		return ""
	}
	return s.Ingress[0].IP
}

// patchStatus writes the load balancer status through the status
// subresource with a merge patch, as the service controller does (so the
// same RBAC: services/status patch). The UID in the patch makes it fail on
// a Service replaced under the same name (a UID cannot change).
func (c *Controller) patchStatus(ctx context.Context, svc *v1.Service, status *v1.LoadBalancerStatus) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": svc.UID},
		"status":   map[string]any{"loadBalancer": status},
	})
	if err != nil {
		return err
	}
	_, err = c.o.Client.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}
