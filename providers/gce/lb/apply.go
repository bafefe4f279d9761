package lb

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The applier runs a plan: every action starts as soon as the actions it
// waits for are done, so independent writes (address, firewall, health
// check) overlap. An action whose predecessor failed does not run; the
// others still do, and the next sync plans again from what exists.

// errSkipped marks an action not run because a predecessor failed.
var errSkipped = errors.New("skipped: an earlier step failed")

// applyState is what the actions learn while they run: the IP once the
// address is reserved.
type applyState struct {
	mu sync.Mutex
	ip string
}

func (s *applyState) setIP(ip string) { s.mu.Lock(); s.ip = ip; s.mu.Unlock() }

func (s *applyState) getIP() string { s.mu.Lock(); defer s.mu.Unlock(); return s.ip }

// apply runs the actions and returns the load balancer's IP.
func (l *LoadBalancers) apply(ctx context.Context, lb string, actions []plan.Action, ip string) (string, error) {
	st := &applyState{ip: ip}
	done := make(map[string]chan struct{}, len(actions))
	for _, a := range actions {
		done[a.Key] = make(chan struct{})
	}
	for _, a := range actions {
		for _, k := range a.After {
			if done[k] == nil {
				return "", fmt.Errorf("plan of %s: %s waits for unknown step %q", lb, a.Key, k)
			}
		}
	}
	var mu sync.Mutex
	failed := map[string]bool{}
	var errs []error
	var wg sync.WaitGroup
	for _, a := range actions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[a.Key])
			for _, k := range a.After {
				<-done[k]
			}
			mu.Lock()
			blocked := false
			for _, k := range a.After {
				blocked = blocked || failed[k]
			}
			mu.Unlock()
			err := errSkipped
			if !blocked {
				err = l.run(ctx, lb, a, st)
			}
			if err != nil {
				mu.Lock()
				failed[a.Key] = true
				if !errors.Is(err, errSkipped) {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return st.getIP(), errors.Join(errs...)
}

// run performs one action.
func (l *LoadBalancers) run(ctx context.Context, lb string, a plan.Action, st *applyState) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", a.Key, err)
	}
	log := klog.FromContext(ctx)
	start := time.Now()
	err := l.dispatch(ctx, a, st)
	if err != nil {
		log.Error(err, "Load balancer step failed", "lb", lb, "step", a.Key)
		return err
	}
	log.V(2).Info("Load balancer step done", "lb", lb, "step", a.Key, "duration", time.Since(start))
	return nil
}

func (l *LoadBalancers) dispatch(ctx context.Context, a plan.Action, st *applyState) error {
	if a.FillIP && st.getIP() == "" {
		return fmt.Errorf("%s: the load balancer's IP is not known (no address was reserved): a planning bug", a.Key)
	}
	switch a.Kind {
	case plan.OpReserveAddress:
		ip, err := l.reserveAddress(ctx, a.Address)
		st.setIP(ip)
		return err
	case plan.OpReleaseAddress:
		return l.releaseAddress(ctx, a.Name)
	case plan.OpCreateFirewall, plan.OpPatchFirewall:
		return l.execFirewall(ctx, a, st.getIP())
	case plan.OpDeleteFirewall:
		return l.deleteFirewall(ctx, a.Name)
	case plan.OpCreateCheck, plan.OpUpdateCheck, plan.OpDeleteCheck:
		return l.execCheck(ctx, a)
	case plan.OpCreatePool:
		return l.createPool(ctx, a.Pool)
	case plan.OpAddInstances, plan.OpRemoveInstances, plan.OpAttachCheck, plan.OpDetachCheck:
		return l.changePool(ctx, a)
	case plan.OpDeletePool:
		return l.deletePool(ctx, a.Name)
	case plan.OpCreateRule:
		r := a.Rule
		if a.FillIP {
			r = proto.Clone(r).(*computepb.ForwardingRule)
			r.IPAddress = proto.String(st.getIP())
		}
		return l.createRule(ctx, r)
	case plan.OpDeleteRule:
		return l.deleteRule(ctx, a.Name)
	case plan.OpSetTarget:
		return l.setTarget(ctx, a.Name, a.Ref)
	}
	return fmt.Errorf("%s: unknown step", a.Key)
}
