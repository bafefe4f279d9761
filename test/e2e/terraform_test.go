//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// deploy/terraform, proven against the emulator with terraform's real
// google provider (built from the module proxy by
// tools/build-terraform-provider.sh, used through dev_overrides without
// `terraform init`): fmt and validate; plan with and without the IAM part;
// apply (create_iam = false: the emulator serves no IAM); a plan without
// changes; the CCM run with the gce.conf terraform outputs, on Nodes named
// and identified as terraform's outputs say, makes their routes in
// terraform's VPC; destroy leaves nothing terraform made.

const terraformInstall = `terraform 1.5 or later is needed on PATH (or at /usr/local/bin/terraform); install it from https://developer.hashicorp.com/terraform/install, e.g.:
  curl -fsSLo /tmp/tf.zip https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip && sudo unzip -o /tmp/tf.zip terraform -d /usr/local/bin`

// tf runs terraform in one directory with a CLI configuration of its own
// (TF_CLI_CONFIG_FILE: dev_overrides to the provider build) and nothing of
// the caller's environment beyond PATH: no credentials or GOOGLE_* settings.
type tf struct {
	t                *testing.T
	bin, dir, cliCfg string
	home             string
}

func newTerraform(t *testing.T, dir string) *tf {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		bin = "/usr/local/bin/terraform"
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("terraform not found: %s", terraformInstall)
		}
	}
	provDir := os.Getenv("TF_PROVIDER_DIR")
	if provDir == "" {
		t.Fatal("TF_PROVIDER_DIR is not set: run `make e2e`, or export TF_PROVIDER_DIR=$(tools/build-terraform-provider.sh) (a cold build takes about 7 minutes)")
	}
	if _, err := os.Stat(filepath.Join(provDir, "terraform-provider-google")); err != nil {
		t.Fatalf("TF_PROVIDER_DIR=%s holds no terraform-provider-google (%v): rebuild it with tools/build-terraform-provider.sh", provDir, err)
	}
	cliCfg := filepath.Join(dir, "..", "terraform.rc")
	rc := fmt.Sprintf(`provider_installation {
  dev_overrides {
    "hashicorp/google" = %q
  }
  direct {}
}
disable_checkpoint = true
`, provDir)
	if err := os.WriteFile(cliCfg, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "..", "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return &tf{t: t, bin: bin, dir: dir, cliCfg: cliCfg, home: home}
}

// run runs terraform with args and returns its stdout (stderr carries the
// dev_overrides warning) and exit code; it fails the test on an error
// unless allowed lists the exit code.
func (x *tf) run(ctx context.Context, args []string, allowed ...int) (string, int) {
	x.t.Helper()
	cmd := exec.CommandContext(ctx, x.bin, args...)
	cmd.Dir = x.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + x.home, "TF_CLI_CONFIG_FILE=" + x.cliCfg,
		"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1"}
	var stdout, both bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, &both), &both
	err := cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	if err != nil {
		for _, a := range allowed {
			if code == a {
				return stdout.String(), code
			}
		}
		x.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, both.String())
	}
	return stdout.String(), code
}

// tfVM is one entry of the "nodes" output.
type tfVM struct {
	Name       string `json:"name"`
	Zone       string `json:"zone"`
	Role       string `json:"role"`
	IP         string `json:"ip"`
	ProviderID string `json:"provider_id"`
}

type tfOutputs struct {
	ClusterName string   `json:"cluster_name"`
	ClusterCIDR string   `json:"cluster_cidr"`
	GCEConf     string   `json:"gce_conf"`
	NodeNames   []string `json:"node_names"`
	Nodes       []tfVM   `json:"nodes"`
	Network     struct {
		Name     string `json:"name"`
		SelfLink string `json:"self_link"`
	} `json:"network"`
	CCMServiceAccount *string `json:"ccm_service_account"`
}

func (x *tf) outputs(ctx context.Context) tfOutputs {
	x.t.Helper()
	out, _ := x.run(ctx, []string{"output", "-json", "-no-color"})
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		x.t.Fatalf("terraform output -json: %v\n%s", err, out)
	}
	flat := map[string]json.RawMessage{}
	for k, v := range raw {
		flat[k] = v.Value
	}
	b, _ := json.Marshal(flat)
	var o tfOutputs
	if err := json.Unmarshal(b, &o); err != nil {
		x.t.Fatalf("terraform outputs: %v\n%s", err, b)
	}
	return o
}

// plannedTypes plans into a file and lists the resource types it would create.
func (x *tf) plannedTypes(ctx context.Context, args ...string) map[string]int {
	x.t.Helper()
	x.run(ctx, append([]string{"plan", "-input=false", "-no-color", "-out=plan.bin"}, args...))
	out, _ := x.run(ctx, []string{"show", "-json", "plan.bin"})
	var p struct {
		ResourceChanges []struct {
			Type   string `json:"type"`
			Change struct {
				Actions []string `json:"actions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		x.t.Fatalf("terraform show -json: %v", err)
	}
	types := map[string]int{}
	for _, rc := range p.ResourceChanges {
		if fmt.Sprint(rc.Change.Actions) == "[create]" {
			types[rc.Type]++
		}
	}
	return types
}

// emulatorInventory is every resource of the emulator's project as
// "collection/name", for a before/after comparison.
func emulatorInventory(e *env) []string {
	var out []string
	for coll, objs := range e.gce.Dump() {
		for _, raw := range objs {
			var o struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(raw, &o)
			out = append(out, coll+"/"+o.Name)
		}
	}
	sort.Strings(out)
	return out
}

func TestTerraformModuleOnTheEmulator(t *testing.T) {
	e := newEnv(t, 10*time.Minute)
	module := filepath.Join(repoRoot(t), "deploy", "terraform")
	work := filepath.Join(e.dir, "tf")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	x := newTerraform(t, work)

	// fmt on the module in place (it only reads), then a copy to work in,
	// so state and plan files never land in the repository.
	if out, _ := x.run(e.ctx, []string{"fmt", "-check", "-recursive", "-diff", "-no-color", module}, 3); strings.TrimSpace(out) != "" {
		t.Fatalf("terraform fmt -check deploy/terraform:\n%s", out)
	}
	files, err := filepath.Glob(filepath.Join(module, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s (%v)", module, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	x.run(e.ctx, []string{"validate", "-no-color"})

	vars := map[string]any{"project": project, "region": "us-central1", "zones": zones, "name": "tfccm", "node_count": 4,
		"compute_endpoint": e.gce.URL + "/compute/v1/", "access_token": "fake", "poll_interval": "1s", "create_iam": false}
	writeVars := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(work, "terraform.tfvars.json"), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The IAM part is behind create_iam: planned when true, absent when false.
	writeVars(vars)
	iamTypes := []string{"google_service_account", "google_project_iam_custom_role", "google_project_iam_member"}
	withIAM := x.plannedTypes(e.ctx, "-var=create_iam=true")
	without := x.plannedTypes(e.ctx)
	for _, typ := range iamTypes {
		if withIAM[typ] != 1 || without[typ] != 0 {
			t.Errorf("%s: planned %d with create_iam=true (want 1), %d with false (want 0)", typ, withIAM[typ], without[typ])
		}
	}
	want := map[string]int{"google_compute_network": 1, "google_compute_subnetwork": 1, "google_compute_firewall": 2, "google_compute_instance": 5}
	for typ, n := range want {
		if without[typ] != n {
			t.Errorf("plan creates %d %s, want %d (plan: %v)", without[typ], typ, n, without)
		}
	}

	before := emulatorInventory(e)
	start := time.Now()
	x.run(e.ctx, []string{"apply", "-auto-approve", "-input=false", "-no-color"})
	t.Logf("terraform apply: %v", time.Since(start).Round(100*time.Millisecond))
	destroyed := false
	t.Cleanup(func() {
		if !destroyed { // best effort after a failure, so the emulator's log is the only trace
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			x.run(ctx, []string{"destroy", "-auto-approve", "-input=false", "-no-color"}, 1)
		}
	})
	if out, code := x.run(e.ctx, []string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, 2); code != 0 {
		t.Errorf("a plan right after apply wants changes (exit %d):\n%s", code, out)
	}

	o := x.outputs(e.ctx)
	if len(o.Nodes) != 5 || len(o.NodeNames) != 4 || o.ClusterName != "tfccm" || o.CCMServiceAccount != nil {
		t.Fatalf("outputs: %+v", o)
	}
	// What terraform made, read back through the GCE API.
	svc := e.computeService()
	for _, vm := range o.Nodes {
		inst, err := svc.Instances.Get(project, vm.Zone, vm.Name).Context(e.ctx).Do()
		if err != nil {
			t.Fatalf("VM %s/%s from the outputs: %v", vm.Zone, vm.Name, err)
		}
		if !inst.CanIpForward || inst.Tags == nil || !hasString(inst.Tags.Items, "tfccm-node") ||
			lastSeg(inst.NetworkInterfaces[0].Network) != o.Network.Name || inst.NetworkInterfaces[0].NetworkIP != vm.IP {
			t.Errorf("VM %s: canIpForward=%v tags=%v network=%s ip=%s (output ip %s)", vm.Name, inst.CanIpForward, inst.Tags,
				inst.NetworkInterfaces[0].Network, inst.NetworkInterfaces[0].NetworkIP, vm.IP)
		}
	}
	nodeZones := map[string]bool{}
	for _, vm := range o.Nodes[1:] {
		nodeZones[vm.Zone] = true
	}
	if len(nodeZones) != 3 {
		t.Errorf("node VMs span %d zones, want 3: %+v", len(nodeZones), o.Nodes)
	}
	net, err := svc.Networks.Get(project, o.Network.Name).Context(e.ctx).Do()
	if err != nil || net.AutoCreateSubnetworks || net.RoutingConfig == nil || net.RoutingConfig.RoutingMode != "REGIONAL" {
		t.Errorf("network %s: %v, want custom mode and regional routing: %+v", o.Network.Name, err, net)
	}
	fws, err := svc.Firewalls.List(project).Context(e.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	var hc []string
	for _, fw := range fws.Items {
		if fw.Name == "tfccm-health-checks" {
			hc = fw.SourceRanges
		}
	}
	sort.Strings(hc)
	if fmt.Sprint(hc) != "[130.211.0.0/22 209.85.152.0/22 209.85.204.0/22 35.191.0.0/16]" {
		t.Errorf("health-check firewall source ranges %v", hc)
	}

	// The CCM on what terraform built: its gce.conf is the output as is,
	// the Nodes are the outputs' VMs with their providerIDs.
	conf := filepath.Join(e.dir, "terraform-gce.conf")
	if err := os.WriteFile(conf, []byte(o.GCEConf), 0o600); err != nil {
		t.Fatal(err)
	}
	ccm, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: ccmBin, Dir: e.dir, Name: "ccm-tf", Kubeconfig: cp.KubeconfigPath,
		Emulator: e.gce, ClusterName: o.ClusterName, ClusterCIDR: o.ClusterCIDR,
		ExtraArgs: []string{"--cloud-config=" + conf}}) // the later --cloud-config wins over the harness's own
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			ccm.Stop(10 * time.Second)
		}
		if t.Failed() {
			t.Logf("ccm-tf log tail:\n%s", ccm.Tail(6000))
		}
	})
	wantRoutes := map[string]tfVM{}
	for i, vm := range o.Nodes {
		cidr := podCIDR(100 + i)
		e.createNode(vm.Name, vm.ProviderID, cidr)
		wantRoutes[cidr] = vm
	}
	e.eventually("a route per terraform VM, in terraform's network", 90*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		n := 0
		for _, r := range rs {
			vm, ok := wantRoutes[r.DestRange]
			if !ok {
				continue
			}
			if !strings.HasSuffix(r.NextHopInstance, "/zones/"+vm.Zone+"/instances/"+vm.Name) || r.Network != o.Network.SelfLink {
				return false, fmt.Sprintf("route %s: %s -> %s in %s", r.Name, r.DestRange, r.NextHopInstance, r.Network)
			}
			n++
		}
		return n == len(o.Nodes), fmt.Sprintf("%d of %d routes: %v", n, len(o.Nodes), routeSummary(rs))
	})
	e.eventually("NetworkUnavailable=False on the terraform nodes", 60*time.Second, func() (bool, string) {
		for _, vm := range o.Nodes {
			n, err := kube.CoreV1().Nodes().Get(e.ctx, vm.Name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			if st, _ := networkUnavailable(n); st != v1.ConditionFalse {
				return false, vm.Name + ": " + string(st)
			}
		}
		return true, ""
	})

	// Tear down as a user would: the cluster goes first (its routes hold
	// the network), then the project.
	if err := kube.CoreV1().Nodes().DeleteCollection(e.ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("the cluster's routes deleted", 60*time.Second, func() (bool, string) {
		rs := e.gceRoutes()
		return len(rs) == 0, fmt.Sprint(routeSummary(rs))
	})
	ccm.Stop(10 * time.Second)
	stopped = true

	start = time.Now()
	x.run(e.ctx, []string{"destroy", "-auto-approve", "-input=false", "-no-color"})
	destroyed = true
	t.Logf("terraform destroy: %v", time.Since(start).Round(100*time.Millisecond))
	if after := emulatorInventory(e); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after destroy the emulator holds\n  %v\nbefore apply it held\n  %v", after, before)
	}
}

func hasString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
