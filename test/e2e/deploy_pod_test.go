//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// benchPeakMiB is the CCM's peak RSS in the largest benchmarked cluster
// (README "Benchmarks": 5,000 nodes, 500 LoadBalancer Services).
const benchPeakMiB = 290

// derivedSoftLimitPercent is the share of the container's memory limit the
// binary gives the Go runtime as its soft limit (softLimitPercent).
const derivedSoftLimitPercent = 80

// The DaemonSet as kustomize renders the e2e overlay: the image make push
// names, run as the image's user, locked down, sized from the benchmark.
func TestDeployPodRunsTheImageLockedDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var ds *appsv1.DaemonSet
	for _, o := range renderOverlay(ctx, t, filepath.Join(repoRoot(t), e2eOverlay)) {
		if o.GetKind() == "DaemonSet" {
			ds = &appsv1.DaemonSet{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, ds); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ds == nil {
		t.Fatal("the overlay has no DaemonSet")
	}
	pod := ds.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	check := func(ok bool, what string, got any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: got %v", what, got)
		}
	}
	// The overlay's images: entry replaced the base's repository name.
	check(c.Image == "localhost:5000/gce-ccm/gce-cloud-controller-manager:e2e", "image from the overlay", c.Image)
	check(slices.Equal(c.Command, []string{"/gce-cloud-controller-manager"}), "command = the image's entrypoint", c.Command)

	psc, sc := pod.SecurityContext, c.SecurityContext
	check(psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot, "runAsNonRoot", psc)
	check(psc != nil && psc.RunAsUser != nil && *psc.RunAsUser == 65532 && psc.RunAsGroup != nil && *psc.RunAsGroup == 65532,
		"runAsUser/runAsGroup 65532 (the image's user)", psc)
	check(psc != nil && psc.SeccompProfile != nil && psc.SeccompProfile.Type == v1.SeccompProfileTypeRuntimeDefault, "seccomp RuntimeDefault", psc)
	check(sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem, "readOnlyRootFilesystem", sc)
	check(sc != nil && sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "allowPrivilegeEscalation false", sc)
	check(sc != nil && sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []v1.Capability{"ALL"}) && len(sc.Capabilities.Add) == 0,
		"capabilities drop ALL, add none", sc)
	check(sc == nil || sc.Privileged == nil || !*sc.Privileged, "not privileged", sc)

	check(pod.PriorityClassName == "system-cluster-critical", "priorityClassName", pod.PriorityClassName)
	tolerates := func(key string) bool {
		for _, tol := range pod.Tolerations {
			if tol.Key == key && tol.Effect == v1.TaintEffectNoSchedule {
				return true
			}
		}
		return false
	}
	check(tolerates("node-role.kubernetes.io/control-plane"), "tolerates the control-plane taint", pod.Tolerations)
	check(tolerates("node.cloudprovider.kubernetes.io/uninitialized"), "tolerates the uninitialized taint", pod.Tolerations)
	for name, p := range map[string]*v1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		check(p != nil && p.HTTPGet != nil && p.HTTPGet.Path == "/healthz" && p.HTTPGet.Port.IntValue() == 10258 &&
			p.HTTPGet.Scheme == v1.URISchemeHTTPS, name+" probe on https :10258/healthz", p)
	}

	// Memory: at least the benchmark's peak plus 25%, requested as much as
	// the limit. No GOMEMLIMIT: the binary's soft limit is 80% of the
	// container's limit (cmd/gce-cloud-controller-manager/memlimit.go),
	// which must stay above the peak.
	limit, request := c.Resources.Limits[v1.ResourceMemory], c.Resources.Requests[v1.ResourceMemory]
	check(limit.Value() >= benchPeakMiB<<20*5/4, fmt.Sprintf("memory limit >= 1.25 x the benchmark peak (%d MiB)", benchPeakMiB), limit.String())
	check(limit.Value()/100*derivedSoftLimitPercent > benchPeakMiB<<20, "the derived soft limit (80% of the limit) above the peak", limit.String())
	check(request.Cmp(limit) == 0, "memory request = limit", request.String())
	check(c.Resources.Requests.Cpu().Sign() > 0 && c.Resources.Limits.Cpu().IsZero(), "a CPU request and no CPU limit", c.Resources)
	for _, e := range c.Env {
		check(e.Name != "GOMEMLIMIT", "no GOMEMLIMIT (the soft limit follows the container's limit)", e.Value)
	}
}
