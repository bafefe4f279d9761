//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// The deploy/kustomize manifests, proven on the e2e API server: the e2e
// overlay passes a server-side dry run, and the CCM binary runs with the
// ServiceAccount's own token through routes, node initialisation, node
// lifecycle and a LoadBalancer Service, with nothing forbidden.

const (
	ccmNamespace      = "kube-system"
	ccmServiceAccount = "cloud-controller-manager"
	e2eOverlay        = "deploy/kustomize/overlays/e2e"
)

// ccmUser is how the API server sees the ServiceAccount.
var ccmUser = "system:serviceaccount:" + ccmNamespace + ":" + ccmServiceAccount

// repoRoot is the module root (go test runs in test/e2e).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", root, err)
	}
	return root
}

// kubectlAdmin runs the kubectl built by tools/build-k8s.sh (K8S_BIN) as the
// admin; no system kubectl is assumed.
func kubectlAdmin(ctx context.Context, t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(os.Getenv("K8S_BIN"), "kubectl")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("kubectl not found in K8S_BIN (%v); run `make e2e`, which builds it with tools/build-k8s.sh", err)
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"--kubeconfig=" + cp.KubeconfigPath}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// renderOverlay returns the overlay's objects as kubectl kustomize builds them.
func renderOverlay(ctx context.Context, t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	out, err := kubectlAdmin(ctx, t, "kustomize", dir)
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decoding the rendered overlay: %v", err)
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

func TestDeployManifestsGiveTheCCMWhatItNeeds(t *testing.T) {
	e := newEnv(t, 5*time.Minute)
	overlay := filepath.Join(repoRoot(t), e2eOverlay)

	// 1. The whole overlay passes the API server's validation and admission.
	out, err := kubectlAdmin(e.ctx, t, "apply", "--dry-run=server", "-k", overlay)
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server -k %s: %v\n%s", e2eOverlay, err, out)
	}
	objs := renderOverlay(e.ctx, t, overlay)
	for _, o := range objs {
		line := fmt.Sprintf(`(?m)^%s(\.[a-z0-9.]+)?/%s (created|configured|unchanged) \(server dry run\)$`,
			strings.ToLower(o.GetKind()), regexp.QuoteMeta(o.GetName()))
		if !regexp.MustCompile(line).MatchString(out) {
			t.Errorf("the dry run did not accept %s %s:\n%s", o.GetKind(), o.GetName(), out)
		}
	}
	t.Logf("server dry run of %d objects:\n%s", len(objs), out)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.GetKind()]++
	}
	for _, k := range []string{"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "DaemonSet", "ConfigMap", "Service"} {
		if kinds[k] == 0 {
			t.Errorf("the overlay has no %s (kinds: %v)", k, kinds)
		}
	}

	// 2. The ServiceAccount and its RBAC, applied for real (a v1 List in
	// JSON, which kubectl reads as YAML).
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{}}
	for _, o := range objs {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			list["items"] = append(list["items"].([]any), o.Object)
		}
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	rbacFile := filepath.Join(e.dir, "rbac.json")
	if err := os.WriteFile(rbacFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := kubectlAdmin(e.ctx, t, "apply", "-f", rbacFile); err != nil {
		t.Fatalf("kubectl apply -f %s: %v\n%s", rbacFile, err, out)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = kubectlAdmin(ctx, t, "delete", "--ignore-not-found", "-f", rbacFile)
	})

	// 3. What the account may and may not do, asked of the authorizer.
	checkAccess(e, ccmAccessTable)

	// 4. A token for the account (TokenRequest), and a kubeconfig with it.
	exp := int64(3600)
	tr, err := kube.CoreV1().ServiceAccounts(ccmNamespace).CreateToken(e.ctx, ccmServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s: %v", ccmUser, err)
	}
	kubeconfig := filepath.Join(e.dir, "ccm-serviceaccount.kubeconfig")
	if err := harness.WriteKubeconfig(kubeconfig, cp.URL, tr.Status.Token); err != nil {
		t.Fatal(err)
	}

	// 5. The CCM as the account: API calls, delegated authentication and
	// authorization of its secure port, leader election, all with that token.
	// Its gce.conf is the overlay's (network, node tags), pointed at the
	// emulator; the later --cloud-config wins over the harness's own. As in
	// the DaemonSet, it looks up kube-system/extension-apiserver-authentication
	// (the later --authentication-skip-lookup=false wins over the harness's
	// true), which the authentication-reader RoleBinding allows.
	conf := filepath.Join(e.dir, "overlay-gce.conf")
	if err := os.WriteFile(conf, []byte(overlayGCEConf(t, objs)+
		fmt.Sprintf("api-endpoint = %s/compute/v1/\ngce-ccm-operation-poll-interval = 250ms\n", e.gce.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	prevLeader := e.leader() // a lease left by an earlier scenario, if any
	// The load balancer makes the cluster-ID ConfigMap when there is none:
	// start without one, so that the create is exercised too.
	if err := kube.CoreV1().ConfigMaps(ccmNamespace).Delete(e.ctx, "ingress-uid", metav1.DeleteOptions{}); err != nil && !isNotFound(err) {
		t.Fatal(err)
	}
	ccm, err := harness.StartCCM(e.ctx, harness.CCMOptions{Bin: imageCCM(t), Dir: e.dir, Name: "ccm-sa", Kubeconfig: kubeconfig,
		Emulator: e.gce, ClusterName: e.cluster, ClusterCIDR: clusterCIDR, LeaderElect: true,
		ExtraArgs: []string{"--cloud-config=" + conf, "--use-service-account-credentials=false", "--authentication-skip-lookup=false"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ccm.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("ccm-sa log tail:\n%s", ccm.Tail(8000))
		}
	})
	e.eventually("the CCM holds the leader lease", 60*time.Second, func() (bool, string) {
		l := e.leader()
		return l != "" && l != prevLeader, l
	})

	// Routes and NetworkUnavailable (route controller).
	for i := 0; i < 6; i++ {
		e.addNode(fmt.Sprintf("node-%02d", i), zones[i%3], true, podCIDR(i))
	}
	e.eventually("6 routes and NetworkUnavailable=False", 90*time.Second, func() (bool, string) {
		if n := len(e.gceRoutes()); n != 6 {
			return false, fmt.Sprintf("%d routes", n)
		}
		nodes, err := kube.CoreV1().Nodes().List(e.ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, n := range nodes.Items {
			if st, _ := networkUnavailable(&n); st != v1.ConditionFalse {
				return false, n.Name + " NetworkUnavailable=" + string(st)
			}
		}
		return true, ""
	})
	// An event on a node whose route cannot be made (events).
	e.addNode("node-outside", zones[0], true, "192.168.9.0/24")
	e.eventually("FailedToCreateRoute on node-outside", 60*time.Second, func() (bool, string) {
		evs := e.eventsFor("Node", "", "node-outside")
		return hasEvent(evs, "FailedToCreateRoute", "outside the cluster CIDR"), fmt.Sprint(len(evs), " events")
	})
	// Initialisation of a kubelet-registered node (cloud-node: update, status patch).
	e.addNode("node-new", zones[1], true, podCIDR(10))
	e.updateNode("node-new", taintUninitialized)
	e.eventually("node-new initialised", 60*time.Second, func() (bool, string) {
		n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-new", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		ok := !hasTaint(n, "node.cloudprovider.kubernetes.io/uninitialized") &&
			n.Labels["topology.kubernetes.io/zone"] == zones[1] && len(n.Status.Addresses) > 0
		return ok, fmt.Sprintf("labels %v taints %v addresses %v", n.Labels, n.Spec.Taints, n.Status.Addresses)
	})
	// Node lifecycle: a deleted VM's node goes, a stopped VM's node is
	// tainted (cloud-node-lifecycle: delete, patch), and its route goes.
	if err := e.gce.DeleteInstanceNow(zones[1], "node-01"); err != nil {
		t.Fatal(err)
	}
	if err := e.gce.SetInstanceStatus(zones[2], "node-02", "TERMINATED"); err != nil {
		t.Fatal(err)
	}
	e.eventually("node-01 deleted, node-02 tainted as shut down", 60*time.Second, func() (bool, string) {
		_, err := kube.CoreV1().Nodes().Get(e.ctx, "node-01", metav1.GetOptions{})
		if !isNotFound(err) {
			return false, "node-01: " + fmt.Sprint(err)
		}
		n, err := kube.CoreV1().Nodes().Get(e.ctx, "node-02", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return hasTaint(n, shutdownTaint), fmt.Sprint(n.Spec.Taints)
	})
	e.eventually("node-01's route deleted", 60*time.Second, func() (bool, string) {
		for _, r := range e.gceRoutes() {
			if r.DestRange == podCIDR(1) {
				return false, "still there: " + r.Name
			}
		}
		return true, ""
	})

	// A LoadBalancer Service (service controller: services list/watch,
	// services/status patch for the finalizer and the ingress IP; the
	// provider: the ingress-uid ConfigMap, events on the Service), then its
	// deletion.
	e.lbScenario()

	// The secure port authenticates and authorizes a caller through the
	// API server with the account's token (TokenReview, SubjectAccessReview).
	metrics := getWithToken(t, strings.TrimSuffix(ccm.HealthURL, "/healthz")+"/metrics", cp.Token)
	if !strings.Contains(metrics, "# HELP ") {
		t.Errorf("/metrics as an admin served no metrics:\n%.2000s", metrics)
	}

	// The proof that the ClusterRole is sufficient: not one refusal.
	log := ccm.Tail(32 << 20)
	if m := regexp.MustCompile(`(?i).*forbidden.*`).FindAllString(log, 5); len(m) > 0 {
		t.Errorf("the CCM was refused by the API server (%d lines shown):\n%s", len(m), strings.Join(m, "\n"))
	}
	if !strings.Contains(log, "Created route") {
		t.Errorf("the CCM log shows no route created")
	}
}

// imageCCM is the CCM binary taken out of the image `make image` built for
// this platform (make e2e extracts it with ociimage), checked to be
// byte-identical to make build's: the manifests' test runs what ships.
func imageCCM(t *testing.T) string {
	t.Helper()
	if ccmImageBin == "" {
		t.Fatal("GCE_CCM_IMAGE_BIN is not set: run `make e2e`, which builds the image and takes the CCM binary out of it")
	}
	fromImage, err := os.ReadFile(ccmImageBin)
	if err != nil {
		t.Fatal(err)
	}
	built, err := os.ReadFile(ccmBin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromImage, built) {
		t.Fatalf("the image's CCM (%s, %d bytes) is not make build's (%s, %d bytes): same flags, same commit must give the same bytes",
			ccmImageBin, len(fromImage), ccmBin, len(built))
	}
	return ccmImageBin
}

// overlayGCEConf is the gce.conf of the rendered overlay's ConfigMap.
func overlayGCEConf(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == "ConfigMap" && strings.HasPrefix(o.GetName(), "gce-cloud-config") {
			if conf, ok, _ := unstructured.NestedString(o.Object, "data", "gce.conf"); ok {
				return strings.TrimRight(conf, "\n") + "\n"
			}
		}
	}
	t.Fatal("the overlay has no gce-cloud-config ConfigMap with a gce.conf key")
	return ""
}

// getWithToken GETs an HTTPS URL of the CCM with a bearer token.
func getWithToken(t *testing.T, url, token string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%.500s", url, resp.Status, b)
	}
	return string(b)
}

// access is one question to the authorizer about the CCM's account.
type access struct {
	verb, group, resource, subresource, namespace, name string
	allowed                                             bool
}

// ccmAccessTable: everything the code needs is allowed (including what the
// e2e scenario cannot reach: the Service rules of the load balancer, the
// ingress-uid ConfigMap) and neighbours of each rule are not.
var ccmAccessTable = []access{
	{"list", "", "nodes", "", "", "", true},
	{"watch", "", "nodes", "", "", "", true},
	{"get", "", "nodes", "", "", "n1", true},
	{"update", "", "nodes", "", "", "n1", true},
	{"patch", "", "nodes", "", "", "n1", true},
	{"delete", "", "nodes", "", "", "n1", true},
	{"patch", "", "nodes", "status", "", "n1", true},
	{"list", "", "services", "", "", "", true},
	{"watch", "", "services", "", "", "", true},
	{"get", "", "services", "", "default", "s1", true}, // load-balancer-resync confirms before a repair, load-balancer-orphans before a collection
	{"patch", "", "services", "status", "default", "s1", true},
	{"create", "", "events", "", "default", "", true},
	{"patch", "", "events", "", "default", "e1", true},
	{"get", "coordination.k8s.io", "leases", "", ccmNamespace, "cloud-controller-manager", true},
	{"update", "coordination.k8s.io", "leases", "", ccmNamespace, "cloud-controller-manager", true},
	{"create", "coordination.k8s.io", "leases", "", ccmNamespace, "", true},
	{"get", "", "configmaps", "", ccmNamespace, "ingress-uid", true},
	{"create", "", "configmaps", "", ccmNamespace, "", true},
	{"get", "", "configmaps", "", ccmNamespace, "extension-apiserver-authentication", true},
	{"create", "authentication.k8s.io", "tokenreviews", "", "", "", true},
	{"create", "authorization.k8s.io", "subjectaccessreviews", "", "", "", true},
	// ... and nothing more.
	{"create", "", "nodes", "", "", "", false},
	{"update", "", "nodes", "status", "", "n1", false},
	{"update", "", "services", "", "default", "s1", false},
	{"patch", "", "services", "", "default", "s1", false},
	{"delete", "", "services", "", "default", "s1", false},
	{"update", "", "services", "status", "default", "s1", false},
	{"update", "", "events", "", "default", "e1", false},
	{"delete", "", "events", "", "default", "e1", false},
	{"update", "coordination.k8s.io", "leases", "", ccmNamespace, "kube-controller-manager", false},
	{"get", "coordination.k8s.io", "leases", "", ccmNamespace, "kube-scheduler", false},
	{"update", "coordination.k8s.io", "leases", "", "default", "cloud-controller-manager", false},
	{"update", "", "configmaps", "", ccmNamespace, "ingress-uid", false},
	{"get", "", "configmaps", "", ccmNamespace, "kube-proxy", false},
	{"update", "", "configmaps", "", ccmNamespace, "extension-apiserver-authentication", false},
	{"create", "", "configmaps", "", "default", "", false},
	{"list", "", "configmaps", "", ccmNamespace, "", false},
	{"get", "", "secrets", "", ccmNamespace, "s1", false},
	{"list", "", "secrets", "", "", "", false},
	{"create", "", "pods", "", "default", "", false},
	{"create", "", "serviceaccounts", "token", ccmNamespace, "node-controller", false},
	{"list", "", "endpoints", "", "", "", false},
	{"list", "discovery.k8s.io", "endpointslices", "", "", "", false},
	{"list", "", "persistentvolumes", "", "", "", false},
}

func checkAccess(e *env, table []access) {
	e.t.Helper()
	for _, a := range table {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   ccmUser,
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ccmNamespace, "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: a.verb, Group: a.group, Resource: a.resource,
				Subresource: a.subresource, Namespace: a.namespace, Name: a.name},
		}}
		got, err := kube.AuthorizationV1().SubjectAccessReviews().Create(e.ctx, sar, metav1.CreateOptions{})
		if err != nil {
			e.t.Fatal(err)
		}
		if got.Status.Allowed != a.allowed {
			what := a.resource
			if a.subresource != "" {
				what += "/" + a.subresource
			}
			e.t.Errorf("%s %s %s (namespace %q, name %q): allowed=%v, want %v (%s)", ccmUser, a.verb, what,
				a.namespace, a.name, got.Status.Allowed, a.allowed, got.Status.Reason)
		}
	}
}

// lbScenario creates a LoadBalancer Service, waits for its address and its
// forwarding rule, then deletes it and waits until GCE holds no rule and the
// Service is gone (the finalizer was removed).
func (e *env) lbScenario() {
	e.t.Helper()
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "deploy-lb", Namespace: "default", Labels: map[string]string{"e2e": "true"}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP}}},
	}
	if _, err := kube.CoreV1().Services("default").Create(e.ctx, svc, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	var ip string
	e.eventually("the Service gets a load balancer IP", 120*time.Second, func() (bool, string) {
		s, err := kube.CoreV1().Services("default").Get(e.ctx, svc.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		if len(s.Status.LoadBalancer.Ingress) == 0 {
			return false, fmt.Sprintf("finalizers %v, no ingress yet", s.Finalizers)
		}
		ip = s.Status.LoadBalancer.Ingress[0].IP
		return ip != "", ip
	})
	rules := func() []string {
		var out []string
		l, err := e.computeService().ForwardingRules.List(project, "us-central1").Context(e.ctx).Do()
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range l.Items {
			out = append(out, r.Name+"="+r.IPAddress)
		}
		return out
	}
	if got := rules(); len(got) != 1 || !strings.HasSuffix(got[0], "="+ip) {
		e.t.Errorf("forwarding rules %v, want one on %s", got, ip)
	}
	if err := kube.CoreV1().Services("default").Delete(e.ctx, svc.Name, metav1.DeleteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.eventually("the Service and its forwarding rule gone", 120*time.Second, func() (bool, string) {
		_, err := kube.CoreV1().Services("default").Get(e.ctx, svc.Name, metav1.GetOptions{})
		got := rules()
		return isNotFound(err) && len(got) == 0, fmt.Sprintf("service: %v, rules %v", err, got)
	})
	if _, err := kube.CoreV1().ConfigMaps(ccmNamespace).Get(e.ctx, "ingress-uid", metav1.GetOptions{}); err != nil {
		e.t.Errorf("the cluster id ConfigMap: %v", err)
	}
}
