//go:build e2e

// The end-to-end suite: a real kube-apiserver and etcd, the GCE emulator,
// and the gce-cloud-controller-manager binary, on loopback. Run with
// `make e2e` (which builds the binaries and sets K8S_BIN and GCE_CCM_BIN).
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

var (
	cp     *harness.ControlPlane
	kube   kubernetes.Interface
	ccmBin string
	// ccmImageBin is the CCM binary taken out of the image (make e2e:
	// make image for this platform, then ociimage extract); deploy_test.go runs it.
	ccmImageBin string
	workDir     string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	k8sBin, bin := os.Getenv("K8S_BIN"), os.Getenv("GCE_CCM_BIN")
	if k8sBin == "" || bin == "" {
		fmt.Fprintln(os.Stderr, "e2e: K8S_BIN (kube-apiserver, etcd, kubectl from tools/build-k8s.sh) and GCE_CCM_BIN (directory of the built binaries) must be set; run `make e2e`")
		return 1
	}
	ccmBin = filepath.Join(bin, "gce-cloud-controller-manager")
	ccmImageBin = os.Getenv("GCE_CCM_IMAGE_BIN")
	var err error
	if workDir = os.Getenv("E2E_ARTIFACTS"); workDir == "" {
		workDir, err = os.MkdirTemp("", "gce-ccm-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(workDir)
	} else if err := os.MkdirAll(workDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cp, err = harness.StartControlPlane(ctx, k8sBin, workDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: control plane:", err)
		return 1
	}
	defer cp.Stop()
	if kube, err = cp.Client(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	// After every scenario: the CCM's permissions against the IAM role (iam_test.go).
	if root, err := filepath.Abs(filepath.Join("..", "..")); err != nil || compareWithRole(os.Stdout, root) {
		return 1
	}
	return code
}
