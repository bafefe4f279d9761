//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const (
	project     = "e2e-proj"
	clusterCIDR = "10.64.0.0/14"
)

var zones = []string{"us-central1-a", "us-central1-b", "us-central1-c"}

// env is one scenario's world: a fresh emulator and CCM, on the shared API server.
type env struct {
	t       *testing.T
	ctx     context.Context
	gce     *harness.Emulator
	cluster string
	dir     string
}

func newEnv(t *testing.T, timeout time.Duration) *env {
	t.Helper()
	return newEnvWith(t, timeout, fakecompute.Options{})
}

// newEnvWith is newEnv with more emulator options (ExtraProjects, say).
func newEnvWith(t *testing.T, timeout time.Duration, more fakecompute.Options) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	g, err := harness.StartEmulator(fakecompute.Options{Project: project, Region: "us-central1", Zones: zones,
		OperationLatency: 200 * time.Millisecond, ExtraProjects: more.ExtraProjects})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	t.Cleanup(func() { collectPermissions(g) }) // iam_test.go
	dir := filepath.Join(workDir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, gce: g, cluster: "e2e", dir: dir}
	t.Cleanup(e.deleteKubeObjects)
	e.guardSystemRoutes() // systemroutes_test.go
	return e
}

// startCCM starts one controller manager for this scenario.
func (e *env) startCCM(name string, leaderElect bool, extra ...string) *harness.CCM {
	e.t.Helper()
	c, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: ccmBin, Dir: e.dir, Name: name, Kubeconfig: cp.KubeconfigPath,
		Emulator: e.gce, ClusterName: e.cluster, ClusterCIDR: clusterCIDR, LeaderElect: leaderElect, ExtraArgs: extra,
		// The nodes' network tag, which the load balancers' firewalls target.
		GCEConfExtra: "node-tags = e2e-node\n"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		c.Stop(10 * time.Second)
		if e.t.Failed() {
			e.t.Logf("%s log tail:\n%s", name, c.Tail(6000))
		}
	})
	return c
}

// addNode seeds a VM and creates its Node with a providerID and pod CIDRs,
// Ready=Unknown (there is no kubelet), as a kubelet would register it.
func (e *env) addNode(name, zone string, canIPForward bool, podCIDRs ...string) *v1.Node {
	e.t.Helper()
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: canIPForward, Tags: []string{"e2e-node"}}); err != nil {
		e.t.Fatal(err)
	}
	return e.createNode(name, "gce://"+project+"/"+zone+"/"+name, podCIDRs...)
}

func (e *env) createNode(name, providerID string, podCIDRs ...string) *v1.Node {
	e.t.Helper()
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{ProviderID: providerID, PodCIDRs: podCIDRs}}
	if len(podCIDRs) > 0 {
		n.Spec.PodCIDR = podCIDRs[0]
	}
	if _, err := kube.CoreV1().Nodes().Create(e.ctx, n, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	return e.updateNodeStatus(name, setReady(v1.ConditionUnknown, "NodeStatusUnknown"))
}

// updateNode read-modify-writes a Node, retrying on conflicts: the
// controllers write Nodes at the same time.
func (e *env) updateNode(name string, mutate func(*v1.Node)) *v1.Node {
	e.t.Helper()
	return e.rewriteNode(name, mutate, func(n *v1.Node) (*v1.Node, error) {
		return kube.CoreV1().Nodes().Update(e.ctx, n, metav1.UpdateOptions{})
	})
}

// updateNodeStatus is updateNode for the status, as a kubelet writes it.
func (e *env) updateNodeStatus(name string, mutate func(*v1.Node)) *v1.Node {
	e.t.Helper()
	return e.rewriteNode(name, mutate, func(n *v1.Node) (*v1.Node, error) {
		return kube.CoreV1().Nodes().UpdateStatus(e.ctx, n, metav1.UpdateOptions{})
	})
}

func (e *env) rewriteNode(name string, mutate func(*v1.Node), write func(*v1.Node) (*v1.Node, error)) *v1.Node {
	e.t.Helper()
	var out *v1.Node
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		n, err := kube.CoreV1().Nodes().Get(e.ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(n)
		out, err = write(n)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// setReady sets the Ready condition as a kubelet reports it.
func setReady(status v1.ConditionStatus, reason string) func(*v1.Node) {
	return func(n *v1.Node) {
		setCondition(n, v1.NodeCondition{Type: v1.NodeReady, Status: status, Reason: reason,
			LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()})
	}
}

// taintUninitialized marks a Node as a kubelet started with
// --cloud-provider=external registers it: for the cloud-node controller to
// initialise.
func taintUninitialized(n *v1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, v1.Taint{Key: "node.cloudprovider.kubernetes.io/uninitialized", Value: "true", Effect: v1.TaintEffectNoSchedule})
}

// deleteKubeObjects removes what a scenario created in the shared API server.
func (e *env) deleteKubeObjects() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	svcs, _ := kube.CoreV1().Services("default").List(ctx, metav1.ListOptions{LabelSelector: "e2e=true"})
	for _, s := range svcs.Items {
		if len(s.Finalizers) > 0 {
			s.Finalizers = nil
			_, _ = kube.CoreV1().Services(s.Namespace).Update(ctx, &s, metav1.UpdateOptions{})
		}
		_ = kube.CoreV1().Services(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
	}
	_ = kube.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	_ = harnessWait(ctx, func() (bool, error) {
		l, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		return err == nil && len(l.Items) == 0, nil
	})
}

// eventually polls until f is true, failing the test at the deadline.
func (e *env) eventually(what string, timeout time.Duration, f func() (bool, string)) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, state := f()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) || e.ctx.Err() != nil {
			e.t.Fatalf("timed out after %v waiting for %s; last state: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func harnessWait(ctx context.Context, f func() (bool, error)) error {
	for {
		ok, err := f()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// setCondition replaces or adds a node condition.
func setCondition(n *v1.Node, c v1.NodeCondition) {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == c.Type {
			n.Status.Conditions[i] = c
			return
		}
	}
	n.Status.Conditions = append(n.Status.Conditions, c)
}

func podCIDR(i int) string { return fmt.Sprintf("10.64.%d.0/24", i) }

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }
