package ipforward

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// refresh is the most disruptive action the update may take: canIpForward
// needs no more, and the VM must never restart for it.
const refresh = "REFRESH"

// enableResult is the outcome of enable.
type enableResult struct {
	attempt      Attempt
	canIPForward bool // the VM forwards now (enabled here or by someone else)
	gone         bool // the VM does not exist
}

// enable turns canIpForward on: instances.update with the full resource as
// last read, its fingerprint, and mostDisruptiveAllowedAction=REFRESH (no
// restart; a stopped VM takes it too). The copy may come from the bulk
// read: the fingerprint makes a stale copy harmless, since GCE answers it
// with 412 and the VM is then read again and the update retried, a bounded
// number of times. Without a copy (inst nil) the VM is read first.
func (c *Controller) enable(ctx context.Context, vm gceref.Key, inst *computepb.Instance) enableResult {
	logger := klog.FromContext(ctx).WithValues("vm", vm.Short())
	reread := inst.GetFingerprint() == ""
	for try := 1; ; try++ {
		if reread {
			reread = false
			_, fresh, err := c.get(ctx, vm)
			if err != nil {
				return c.failed(err)
			}
			if fresh == nil {
				return enableResult{gone: true}
			}
			if fresh.GetCanIpForward() {
				return enableResult{canIPForward: true}
			}
			inst = fresh
		}
		next := proto.Clone(inst).(*computepb.Instance)
		next.CanIpForward = proto.Bool(true)
		logger.V(2).Info("Turning canIpForward on", "status", inst.GetStatus(), "try", try)
		err := c.api.UpdateInstance(ctx, vm.Location, next, refresh)
		switch {
		case err == nil:
			c.inv.Put(vm, next, time.Now())
			enableTotal.WithLabelValues(resultEnabled).Inc()
			drift.Repaired(drift.IPForward)
			logger.Info("Turned canIpForward on", "status", inst.GetStatus(), "tries", try)
			return enableResult{attempt: Attempt{Enabled: true}, canIPForward: true}
		case gceapi.IsNotFound(err):
			c.inv.Put(vm, nil, time.Now())
			return enableResult{gone: true}
		case staleFingerprint(err) && try < c.opts.MaxConflictRetries:
			logger.V(2).Info("Fingerprint was stale; reading the VM again", "try", try)
			reread = true
			continue
		}
		logger.Error(err, "Turning canIpForward on failed", "refused", refused(err), "tries", try)
		return c.failed(err)
	}
}

func (c *Controller) failed(err error) enableResult {
	f := &Failure{Refused: refused(err), Detail: describe(err)}
	result := resultFailed
	if f.Refused {
		result = resultRefused
	}
	enableTotal.WithLabelValues(result).Inc()
	return enableResult{attempt: Attempt{Failure: f}}
}

// staleFingerprint: a 412 that is not an org policy's verdict. GCE reports
// a policy violation as 412 conditionNotMet too ("Constraint
// constraints/compute.vmCanIpForward violated for ..."), and re-reading
// does not help against that.
func staleFingerprint(err error) bool {
	return gceapi.IsPrecondition(err) && !policyViolation(err)
}

func policyViolation(err error) bool {
	var e *gceapi.Error
	return errors.As(err, &e) && e.Kind == gceapi.KindPreconditionFailed && strings.Contains(e.Message, "constraints/")
}

// refused: GCE's final answer, which no retry changes before someone acts
// (grants the permission, relaxes the policy).
func refused(err error) bool {
	switch gceapi.KindOf(err) {
	case gceapi.KindForbidden, gceapi.KindInvalid:
		return true
	}
	return policyViolation(err)
}

// describe renders a failure for a message: HTTP status, GCE's reason and
// message when GCE answered.
func describe(err error) string {
	var e *gceapi.Error
	if errors.As(err, &e) {
		msg := e.Message
		if msg == "" {
			msg = e.Kind.String()
		}
		if staleFingerprint(err) {
			msg += " (the VM kept changing: fingerprint still stale after re-reading)"
		}
		return fmt.Sprintf("HTTP %d %s: %s", e.Code, e.Reason, msg)
	}
	return err.Error()
}
