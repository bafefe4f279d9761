package ipforward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
)

// sync brings one node to its decision: read the VM (from the inventory
// when it can), decide, enable when the decision says so and decide again
// on the outcome, then write the report. An error asks for a retry.
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		c.dropNode(name)
		return nil
	}
	if err != nil {
		return err
	}
	vm, why := target(node, c.project)
	if why != "" {
		c.skip(ctx, name, why)
		return nil
	}
	rec, err := c.readVM(ctx, node, vm)
	if err != nil {
		return err
	}
	if rec == nil {
		c.skip(ctx, name, vmGone(vm))
		return nil
	}
	c.unskip(name)
	in := Input{Mode: c.opts.Mode, Current: conditionOf(node), VM: VMFacts{VM: vm, CanIPForward: rec.CanIPForward},
		LastFailure: c.lastFailure(name), Epoch: c.currentEpoch(), Now: time.Now(), Recheck: c.opts.ResyncPeriod}
	d := Decide(in)
	var retry error
	if d.Action == ActionEnable {
		res := c.enable(ctx, vm, rec.Full)
		if res.gone {
			c.skip(ctx, name, vmGone(vm))
			return nil
		}
		in.Attempt, in.VM.CanIPForward = &res.attempt, res.canIPForward
		if f := res.attempt.Failure; f != nil {
			f.Epoch = in.Epoch
			c.setFailure(name, f)
			if !f.Refused {
				retry = fmt.Errorf("turning canIpForward on for VM %s: %s", vm.Short(), f.Detail)
			}
		}
		d = Decide(in)
	}
	if in.VM.CanIPForward {
		c.setFailure(name, nil)
	}
	c.setForwarding(name, in.VM.CanIPForward)
	if err := c.write(ctx, node, d); err != nil {
		return errors.Join(retry, err)
	}
	return retry
}

func vmGone(vm gceref.Key) string { return fmt.Sprintf("its VM %s does not exist", vm.Short()) }

// readVM returns a node's VM, nil if it does not exist. It reads the
// inventory first and GETs only what the last bulk read does not cover.
func (c *Controller) readVM(ctx context.Context, node *v1.Node, vm gceref.Key) (*inventory.VM, error) {
	rec, res := c.inv.Lookup(vm, existedBy(node))
	switch res {
	case inventory.Hit:
		return rec, nil
	case inventory.Absent:
		return nil, nil
	}
	rec, _, err := c.get(ctx, vm)
	return rec, err
}

// get reads one VM and records it: its record and whole resource; nils
// when it does not exist.
func (c *Controller) get(ctx context.Context, vm gceref.Key) (*inventory.VM, *computepb.Instance, error) {
	at := time.Now()
	inst, err := c.api.GetInstance(ctx, vm.Project, vm.Location, vm.Name)
	if gceapi.IsNotFound(err) {
		c.inv.Put(vm, nil, at)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading VM %s: %w", vm.Short(), err)
	}
	return c.inv.Put(vm, inst, at), inst, nil
}

// write patches the condition (the decision carries one only on change)
// and then records the event, so an event always matches a condition that
// was written.
func (c *Controller) write(ctx context.Context, node *v1.Node, d Decision) error {
	if d.Condition != nil {
		patch, err := json.Marshal(map[string]any{"status": map[string]any{"conditions": []v1.NodeCondition{*d.Condition}}})
		if err != nil {
			return err
		}
		if _, err := c.kube.CoreV1().Nodes().PatchStatus(ctx, node.Name, patch); err != nil {
			return fmt.Errorf("writing condition %s on node %s: %w", ConditionType, node.Name, err)
		}
		klog.FromContext(ctx).Info("IP forwarding condition changed", "node", node.Name,
			"status", d.Condition.Status, "reason", d.Condition.Reason)
	}
	if d.Event != nil {
		c.recorder.Event(node, d.Event.Type, d.Event.Reason, d.Event.Message)
	}
	return nil
}
