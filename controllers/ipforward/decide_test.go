package ipforward

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// outcome is the part of a Decision a table row pins down; messages are
// checked by substring below.
type outcome struct {
	Action      Action
	Status      v1.ConditionStatus // "" when no condition is written
	Reason      string
	EventType   string
	EventReason string
	Transition  time.Time // LastTransitionTime of the written condition
}

func outcomeOf(d Decision) outcome {
	o := outcome{Action: d.Action}
	if d.Condition != nil {
		o.Status, o.Reason, o.Transition = d.Condition.Status, d.Condition.Reason, d.Condition.LastTransitionTime.Time
	}
	if d.Event != nil {
		o.EventType, o.EventReason = d.Event.Type, d.Event.Reason
	}
	return o
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	earlier := now.Add(-time.Hour)
	vm := gceref.Instance("demo", "us-central1-a", "node-a")
	fwd := VMFacts{VM: vm, CanIPForward: true}
	noFwd := VMFacts{VM: vm}
	// cond is a condition as Decide itself would have written it.
	cond := func(in Input) *v1.NodeCondition {
		in.Now, in.Recheck = earlier, 5*time.Minute
		c := Decide(in).Condition
		c.LastTransitionTime = metav1.NewTime(earlier)
		return c
	}
	refusedNow := &Failure{Refused: true, Detail: "HTTP 403 forbidden: no", Epoch: 7}
	refusedBefore := &Failure{Refused: true, Detail: "HTTP 403 forbidden: no", Epoch: 6}
	transient := &Failure{Detail: "HTTP 503 : unavailable", Epoch: 7}
	trueCond := cond(Input{Mode: ModeEnforce, VM: fwd})
	auditCond := cond(Input{Mode: ModeAudit, VM: noFwd})
	forbiddenCond := cond(Input{Mode: ModeEnforce, VM: noFwd, LastFailure: refusedNow, Epoch: 7})

	tests := []struct {
		name string
		in   Input
		want outcome
	}{
		{"enforce: forwards, no condition yet: report True quietly",
			Input{Mode: ModeEnforce, VM: fwd},
			outcome{Action: ActionReport, Status: v1.ConditionTrue, Reason: ReasonCanIPForward, Transition: now}},
		{"enforce: forwards, condition says so: nothing",
			Input{Mode: ModeEnforce, VM: fwd, Current: trueCond},
			outcome{Action: ActionNone}},
		{"enforce: does not forward: enable",
			Input{Mode: ModeEnforce, VM: noFwd},
			outcome{Action: ActionEnable}},
		{"enforce: does not forward, condition True from before: enable first",
			Input{Mode: ModeEnforce, VM: noFwd, Current: trueCond},
			outcome{Action: ActionEnable}},
		{"enforce: enabled by this sync: True and a Normal event",
			Input{Mode: ModeEnforce, VM: fwd, Attempt: &Attempt{Enabled: true}, Current: forbiddenCond},
			outcome{Action: ActionReport, Status: v1.ConditionTrue, Reason: ReasonCanIPForward, Transition: now,
				EventType: v1.EventTypeNormal, EventReason: EventEnabled}},
		{"enforce: enabled by this sync, condition already True: only the event",
			Input{Mode: ModeEnforce, VM: fwd, Attempt: &Attempt{Enabled: true}, Current: trueCond},
			outcome{Action: ActionReport, EventType: v1.EventTypeNormal, EventReason: EventEnabled}},
		{"enforce: someone else enabled it meanwhile: True, no event",
			Input{Mode: ModeEnforce, VM: fwd, Attempt: &Attempt{}},
			outcome{Action: ActionReport, Status: v1.ConditionTrue, Reason: ReasonCanIPForward, Transition: now}},
		{"enforce: refused by this sync: False EnableForbidden and a Warning",
			Input{Mode: ModeEnforce, VM: noFwd, Attempt: &Attempt{Failure: refusedNow}, Epoch: 7},
			outcome{Action: ActionReport, Status: v1.ConditionFalse, Reason: ReasonEnableForbidden, Transition: now,
				EventType: v1.EventTypeWarning, EventReason: EventEnableForbidden}},
		{"enforce: refused in this epoch: report, do not retry",
			Input{Mode: ModeEnforce, VM: noFwd, LastFailure: refusedNow, Epoch: 7},
			outcome{Action: ActionReport, Status: v1.ConditionFalse, Reason: ReasonEnableForbidden, Transition: now,
				EventType: v1.EventTypeWarning, EventReason: EventEnableForbidden}},
		{"enforce: refused in this epoch, already reported: nothing (no storm)",
			Input{Mode: ModeEnforce, VM: noFwd, LastFailure: refusedNow, Epoch: 7, Current: forbiddenCond},
			outcome{Action: ActionNone}},
		{"enforce: refused in an earlier epoch: try again",
			Input{Mode: ModeEnforce, VM: noFwd, LastFailure: refusedBefore, Epoch: 7, Current: forbiddenCond},
			outcome{Action: ActionEnable}},
		{"enforce: refused again after the resync: condition stands, no new event",
			Input{Mode: ModeEnforce, VM: noFwd, Attempt: &Attempt{Failure: refusedNow}, Epoch: 7, Current: forbiddenCond},
			outcome{Action: ActionNone}},
		{"enforce: failed otherwise by this sync: False EnableFailed and a Warning",
			Input{Mode: ModeEnforce, VM: noFwd, Attempt: &Attempt{Failure: transient}, Epoch: 7, Current: trueCond},
			outcome{Action: ActionReport, Status: v1.ConditionFalse, Reason: ReasonEnableFailed, Transition: now,
				EventType: v1.EventTypeWarning, EventReason: EventEnableFailed}},
		{"enforce: failed otherwise before: retry at once (the queue paces it)",
			Input{Mode: ModeEnforce, VM: noFwd, LastFailure: transient, Epoch: 7},
			outcome{Action: ActionEnable}},
		{"audit: does not forward: False and a Warning, no update",
			Input{Mode: ModeAudit, VM: noFwd},
			outcome{Action: ActionReport, Status: v1.ConditionFalse, Reason: ReasonCannotIPForward, Transition: now,
				EventType: v1.EventTypeWarning, EventReason: EventCannotForward}},
		{"audit: does not forward, already reported: nothing",
			Input{Mode: ModeAudit, VM: noFwd, Current: auditCond},
			outcome{Action: ActionNone}},
		{"audit: a refusal remembered from enforce mode changes nothing",
			Input{Mode: ModeAudit, VM: noFwd, LastFailure: refusedNow, Epoch: 7, Current: auditCond},
			outcome{Action: ActionNone}},
		{"audit: after enforce mode's refusal: reason changes, new Warning, transition kept",
			Input{Mode: ModeAudit, VM: noFwd, Current: forbiddenCond},
			outcome{Action: ActionReport, Status: v1.ConditionFalse, Reason: ReasonCannotIPForward, Transition: earlier,
				EventType: v1.EventTypeWarning, EventReason: EventCannotForward}},
		{"audit: turned on out of band: True, no event",
			Input{Mode: ModeAudit, VM: fwd, Current: auditCond},
			outcome{Action: ActionReport, Status: v1.ConditionTrue, Reason: ReasonCanIPForward, Transition: now}},
		{"off: nothing",
			Input{Mode: ModeOff, VM: noFwd},
			outcome{Action: ActionNone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now, tt.in.Recheck = now, 5*time.Minute
			d := Decide(tt.in)
			if diff := cmp.Diff(tt.want, outcomeOf(d)); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
			if d.Condition != nil {
				if d.Condition.Type != ConditionType || !d.Condition.LastHeartbeatTime.Time.Equal(now) {
					t.Errorf("condition type %q heartbeat %v; want %q, %v", d.Condition.Type, d.Condition.LastHeartbeatTime, ConditionType, now)
				}
				if !strings.Contains(d.Condition.Message, vm.Short()) {
					t.Errorf("message does not name the VM: %q", d.Condition.Message)
				}
			}
			if d.Event != nil && d.Event.Type == v1.EventTypeWarning && d.Condition != nil && d.Event.Message != d.Condition.Message {
				t.Errorf("event message %q differs from the condition's %q", d.Event.Message, d.Condition.Message)
			}
		})
	}
}

// TestDecideMessagesNameTheRemedy: a user reading the Warning must learn
// what to do without reading this code.
func TestDecideMessagesNameTheRemedy(t *testing.T) {
	vm := VMFacts{VM: gceref.Instance("demo", "us-central1-a", "node-a")}
	for _, tt := range []struct {
		in   Input
		want []string
	}{
		{Input{Mode: ModeAudit, VM: vm},
			[]string{"canIpForward=false", "audit", "gce-ccm-ipforward-mode=enforce", "compute.instances.update", "REFRESH"}},
		{Input{Mode: ModeEnforce, VM: vm, Attempt: &Attempt{Failure: &Failure{Refused: true, Detail: "HTTP 403 forbidden: Required 'compute.instances.update' permission"}}},
			[]string{"refused", "HTTP 403", "compute.instances.update", "constraints/compute.vmCanIpForward", "5m0s"}},
		{Input{Mode: ModeEnforce, VM: vm, Attempt: &Attempt{Failure: &Failure{Detail: "HTTP 503 : backend error"}}},
			[]string{"HTTP 503", "retrying"}},
	} {
		tt.in.Recheck = 5 * time.Minute
		d := Decide(tt.in)
		if d.Event == nil {
			t.Fatalf("%+v: no event", tt.in)
		}
		for _, w := range tt.want {
			if !strings.Contains(d.Event.Message, w) {
				t.Errorf("%s message lacks %q: %s", d.Event.Reason, w, d.Event.Message)
			}
		}
	}
}

func TestTarget(t *testing.T) {
	node := func(id string) *v1.Node { return &v1.Node{Spec: v1.NodeSpec{ProviderID: id}} }
	for _, tt := range []struct {
		id       string
		wantVM   gceref.Key
		wantSkip string // substring; "" for a node we handle
	}{
		{"gce://demo/us-central1-a/node-a", gceref.Instance("demo", "us-central1-a", "node-a"), ""},
		{"", gceref.Key{}, "no providerID"},
		{"aws:///us-east-1a/i-0123456789", gceref.Key{}, "not a GCE node"},
		{"gce://demo/node-a", gceref.Key{}, "not a GCE node"},
		{"gce://other/us-central1-a/node-a", gceref.Key{}, "project other"},
	} {
		vm, skip := target(node(tt.id), "demo")
		if vm != tt.wantVM || (tt.wantSkip == "") != (skip == "") || !strings.Contains(skip, tt.wantSkip) {
			t.Errorf("target(%q) = %v, %q; want %v, %q", tt.id, vm, skip, tt.wantVM, tt.wantSkip)
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"enforce": ModeEnforce, " Audit ": ModeAudit, "OFF": ModeOff} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "on", "enforcing"} {
		if _, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q): no error", in)
		}
	}
}
