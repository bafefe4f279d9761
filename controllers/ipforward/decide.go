package ipforward

import (
	"fmt"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// ConditionType is the node condition this controller owns: True when the
// node's VM has canIpForward.
const ConditionType v1.NodeConditionType = "GCEIPForwarding"

// Reasons of the condition.
const (
	ReasonCanIPForward    = "VMCanIPForward"    // True
	ReasonCannotIPForward = "VMCannotIPForward" // False: observed (audit mode), not changed
	ReasonEnableForbidden = "EnableForbidden"   // False: GCE refused the update (IAM, org policy)
	ReasonEnableFailed    = "EnableFailed"      // False: the update failed otherwise; retried
)

// Reasons of the events on the Node.
const (
	EventEnabled         = "IPForwardingEnabled"         // Normal: the controller turned it on
	EventCannotForward   = "VMCannotIPForward"           // Warning: audit mode
	EventEnableForbidden = "IPForwardingEnableForbidden" // Warning
	EventEnableFailed    = "IPForwardingEnableFailed"    // Warning
)

// Action is what a sync does to GCE.
type Action int

const (
	// ActionNone: nothing to call and nothing to write.
	ActionNone Action = iota
	// ActionEnable: call instances.update, then decide again on the outcome.
	ActionEnable
	// ActionReport: write the condition and/or the event, leave the VM alone.
	ActionReport
)

func (a Action) String() string {
	return [...]string{"none", "enable", "report"}[a]
}

// VMFacts is what the decision needs to know about a node's VM.
type VMFacts struct {
	VM           gceref.Key
	CanIPForward bool
}

// Failure is a failed attempt to turn canIpForward on.
type Failure struct {
	// Refused is GCE's final answer (403, an org policy, 400): not tried
	// again before the next resync, however often the node changes.
	Refused bool
	Detail  string // the error, for the message
	Epoch   uint64 // the resync epoch it happened in
}

// Input is everything a decision depends on.
type Input struct {
	Mode    Mode
	Current *v1.NodeCondition // the node's condition of ConditionType, nil if none
	VM      VMFacts
	// LastFailure is the failure remembered for this node, if any.
	LastFailure *Failure
	// Epoch counts resyncs; a refusal is retried once the epoch moved on.
	Epoch uint64
	// Attempt is the outcome of the update this sync made (nil: none yet).
	Attempt *Attempt
	Now     time.Time
	Recheck time.Duration // the resync period, for messages
}

// Attempt is the outcome of one enable: either Enabled or a Failure.
type Attempt struct {
	Enabled bool
	Failure *Failure
}

// Event is one event to record on the Node.
type Event struct {
	Type, Reason, Message string
}

// Decision is what to do: the action, and what to write on the Node.
type Decision struct {
	Action    Action
	Condition *v1.NodeCondition // nil: the node's condition is right already
	Event     *Event
}

// Decide computes the action and the report for one node. It is pure.
func Decide(in Input) Decision {
	vm := in.VM.VM.Short()
	switch {
	case in.VM.CanIPForward:
		d := in.report(v1.ConditionTrue, ReasonCanIPForward,
			fmt.Sprintf("VM %s has canIpForward=true: GCE lets this node send and receive pod IPs.", vm), nil)
		if in.Attempt != nil && in.Attempt.Enabled {
			d.Event = &Event{Type: v1.EventTypeNormal, Reason: EventEnabled,
				Message: fmt.Sprintf("Turned canIpForward on for VM %s (instances.update, mostDisruptiveAllowedAction=REFRESH, no restart).", vm)}
			d.Action = ActionReport
		}
		return d
	case in.Mode == ModeAudit:
		return in.report(v1.ConditionFalse, ReasonCannotIPForward, fmt.Sprintf(
			"VM %s has canIpForward=false: GCE drops every packet this node sends with a pod IP as source, so pod traffic to and from it is lost. "+
				"gce-ccm runs in audit mode and changes no VM: set gce-ccm-ipforward-mode=enforce (or --ipforward-mode=enforce) and grant it IAM permission compute.instances.update, "+
				"or turn canIpForward on yourself (instances.update with mostDisruptiveAllowedAction=REFRESH; no restart needed).", vm),
			&Event{Type: v1.EventTypeWarning, Reason: EventCannotForward})
	case in.Mode != ModeEnforce:
		return Decision{Action: ActionNone}
	}
	f := in.LastFailure
	if in.Attempt != nil {
		f = in.Attempt.Failure
	} else if f == nil || !f.Refused || f.Epoch != in.Epoch {
		return Decision{Action: ActionEnable}
	}
	if f == nil { // an attempt that neither enabled nor failed: nothing to say
		return Decision{Action: ActionNone}
	}
	if f.Refused {
		return in.report(v1.ConditionFalse, ReasonEnableForbidden, fmt.Sprintf(
			"GCE refused to turn canIpForward on for VM %s: %s. Pod traffic from this node is dropped until it is on. "+
				"Grant the controller's service account IAM permission compute.instances.update on the VM (e.g. roles/compute.instanceAdmin.v1), "+
				"or, if the organization policy constraint constraints/compute.vmCanIpForward forbids it, allow this VM in that constraint. Re-checked every %s.",
			vm, f.Detail, in.Recheck), &Event{Type: v1.EventTypeWarning, Reason: EventEnableForbidden})
	}
	return in.report(v1.ConditionFalse, ReasonEnableFailed, fmt.Sprintf(
		"Could not turn canIpForward on for VM %s: %s. Pod traffic from this node is dropped until it is on; retrying with backoff.", vm, f.Detail),
		&Event{Type: v1.EventTypeWarning, Reason: EventEnableFailed})
}

// report builds the decision that leaves the node's condition at
// (status, reason, message). A write happens only on change; the event,
// when given, only when the status or the reason changes, so a standing
// problem is announced once, not at every sync.
func (in Input) report(status v1.ConditionStatus, reason, message string, ev *Event) Decision {
	cur := in.Current
	if cur != nil && cur.Status == status && cur.Reason == reason && cur.Message == message {
		return Decision{Action: ActionNone}
	}
	now := metav1.NewTime(in.Now)
	cond := &v1.NodeCondition{Type: ConditionType, Status: status, Reason: reason, Message: message,
		LastHeartbeatTime: now, LastTransitionTime: now}
	if cur != nil && cur.Status == status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	d := Decision{Action: ActionReport, Condition: cond}
	if ev != nil && (cur == nil || cur.Status != status || cur.Reason != reason) {
		ev.Message = message
		d.Event = ev
	}
	return d
}

// conditionOf returns the node's condition of ConditionType, or nil.
func conditionOf(node *v1.Node) *v1.NodeCondition {
	for i := range node.Status.Conditions {
		if node.Status.Conditions[i].Type == ConditionType {
			return &node.Status.Conditions[i]
		}
	}
	return nil
}

// target says which VM a node runs on, or why the controller leaves the node
// alone (no providerID yet, another cloud's, a VM in another project).
func target(node *v1.Node, project string) (gceref.Key, string) {
	id := node.Spec.ProviderID
	if id == "" {
		return gceref.Key{}, "the node has no providerID yet"
	}
	vm, err := gceref.ParseProviderID(id)
	if err != nil {
		return gceref.Key{}, fmt.Sprintf("not a GCE node: %v", err)
	}
	if vm.Project != project {
		return gceref.Key{}, fmt.Sprintf("VM %s is in project %s; this controller manages project %s", vm.Short(), vm.Project, project)
	}
	return vm, ""
}

// settled says whether a node needs no sync: its VM forwards and its
// condition already says so. The resync enqueues every other node.
func settled(node *v1.Node, canIPForward bool) bool {
	c := conditionOf(node)
	return canIPForward && c != nil && c.Status == v1.ConditionTrue && c.Reason == ReasonCanIPForward
}
