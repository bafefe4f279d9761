//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// leader reads the holder of the controller manager's lease.
func (e *env) leader() string {
	l, err := kube.CoordinationV1().Leases("kube-system").Get(e.ctx, "cloud-controller-manager", metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func TestLeaderElectionHandsOver(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	// A lease left by an earlier scenario's controller would make the
	// first check below pass before ccm-a holds it.
	_ = kube.CoordinationV1().Leases("kube-system").Delete(e.ctx, "cloud-controller-manager", metav1.DeleteOptions{})
	started := time.Now().Add(-time.Second)
	a := e.startCCM("ccm-a", true)
	e.eventually("ccm-a leads", 60*time.Second, func() (bool, string) {
		l, err := kube.CoordinationV1().Leases("kube-system").Get(e.ctx, "cloud-controller-manager", metav1.GetOptions{})
		if err != nil || l.Spec.HolderIdentity == nil || l.Spec.AcquireTime == nil {
			return false, fmt.Sprint(err)
		}
		return l.Spec.AcquireTime.After(started), *l.Spec.HolderIdentity
	})
	leaderA := e.leader()
	b := e.startCCM("ccm-b", true)
	for i := 0; i < 6; i++ {
		e.addNode(fmt.Sprintf("node-%02d", i), zones[i%3], true, podCIDR(i))
	}
	e.eventually("6 routes", 60*time.Second, func() (bool, string) { n := len(e.gceRoutes()); return n == 6, fmt.Sprint(n) })
	// Only the leader wrote: the standby's log shows no controller work.
	if strings.Contains(b.Tail(1<<20), "Created route") {
		t.Errorf("the standby created routes")
	}
	e.eventually("ccm-a's log shows its writes", 30*time.Second, func() (bool, string) {
		return strings.Contains(a.Tail(1<<20), "Created route"), "no \"Created route\" in ccm-a's log"
	})
	a.Kill()
	e.eventually("ccm-b takes over the lease", 60*time.Second, func() (bool, string) {
		l := e.leader()
		return l != "" && l != leaderA, l
	})
	for i := 6; i < 9; i++ {
		e.addNode(fmt.Sprintf("node-%02d", i), zones[i%3], true, podCIDR(i))
	}
	e.eventually("the new leader creates the new routes", 60*time.Second, func() (bool, string) {
		n := len(e.gceRoutes())
		return n == 9, fmt.Sprint(n)
	})
	// The log is flushed asynchronously: poll it.
	e.eventually("ccm-b's log shows its writes", 30*time.Second, func() (bool, string) {
		return strings.Contains(b.Tail(1<<20), "Created route"), "no \"Created route\" in ccm-b's log"
	})
}
