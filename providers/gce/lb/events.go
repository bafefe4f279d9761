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
	const kept = "; nothing was made or changed in GCE: an existing load balancer stays as it is until this is resolved"
	switch refusalOf(err) {
	case resultInvalid:
		var ie *plan.InputError
		errors.As(err, &ie)
		l.event(svc, v1.EventTypeWarning, reasonInvalid, ie.Error()+kept)
	case resultConflict:
		l.event(svc, v1.EventTypeWarning, reasonConflict, conflictMessage(err))
	}
	return err
}

// refusalOf classifies an error the user can act on: resultInvalid,
// resultConflict, or "" for any other.
func refusalOf(err error) string {
	var ie *plan.InputError
	switch {
	case errors.As(err, &ie):
		return resultInvalid
	case conflictMessage(err) != "":
		return resultConflict
	}
	return ""
}

// conflictMessage is the message of either kind's name conflict, "" if
// err is none.
func conflictMessage(err error) string {
	var ce *plan.ConflictError
	var ice *ilb.ConflictError
	switch {
	case errors.As(err, &ce):
		return ce.Error()
	case errors.As(err, &ice):
		return ice.Error()
	}
	return ""
}

func (l *LoadBalancers) event(svc *v1.Service, eventType, reason, msg string) {
	if l.deps.Recorder == nil {
		return
	}
	l.deps.Recorder.Event(svc, eventType, reason, msg)
}
