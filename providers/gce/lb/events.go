package lb

import (
	"errors"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Event reasons of the load balancer, beside the service controller's own.
const (
	// reasonInvalid: a Service field GCE cannot serve; nothing was changed.
	reasonInvalid = "LoadBalancerInvalid"
	// reasonConflict: an object under the load balancer's names belongs to
	// someone else; nothing was changed.
	reasonConflict = "LoadBalancerConflict"
)

// refuse records a Warning event on the Service for an error the user can
// act on (a bad field, a name conflict) and returns the error.
func (l *LoadBalancers) refuse(svc *v1.Service, err error) error {
	var ie *plan.InputError
	var ce *plan.ConflictError
	var ice *ilb.ConflictError
	const kept = "; nothing was made or changed in GCE: an existing load balancer stays as it is until this is resolved"
	switch {
	case errors.As(err, &ie):
		l.event(svc, v1.EventTypeWarning, reasonInvalid, ie.Error()+kept)
	case errors.As(err, &ce):
		l.event(svc, v1.EventTypeWarning, reasonConflict, ce.Error())
	case errors.As(err, &ice):
		l.event(svc, v1.EventTypeWarning, reasonConflict, ice.Error())
	}
	return err
}

func (l *LoadBalancers) event(svc *v1.Service, eventType, reason, msg string) {
	if l.deps.Recorder == nil {
		return
	}
	l.deps.Recorder.Event(svc, eventType, reason, msg)
}
