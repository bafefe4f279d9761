package harness

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ControlPlane is etcd plus kube-apiserver on loopback.
type ControlPlane struct {
	URL             string // https://127.0.0.1:PORT
	Token           string // a system:masters bearer token
	KubeconfigPath  string // admin kubeconfig
	Dir             string
	Etcd, APIServer *Process
	etcdURL         string
}

// StartControlPlane starts etcd and kube-apiserver from binDir (built by
// tools/build-k8s.sh) with files under dir, and waits until /readyz is ok.
func StartControlPlane(ctx context.Context, binDir, dir string) (*ControlPlane, error) {
	cp := &ControlPlane{Dir: dir}
	ok := false
	defer func() {
		if !ok {
			cp.Stop()
		}
	}()
	if err := cp.startEtcd(ctx, binDir); err != nil {
		return nil, err
	}
	if err := cp.startAPIServer(ctx, binDir); err != nil {
		return nil, err
	}
	ok = true
	return cp, nil
}

func (cp *ControlPlane) startEtcd(ctx context.Context, binDir string) error {
	cport, err := FreePort()
	if err != nil {
		return err
	}
	pport, err := FreePort()
	if err != nil {
		return err
	}
	curl, purl := "http://"+addr(cport), "http://"+addr(pport)
	args := []string{"--name=default", "--data-dir=" + filepath.Join(cp.Dir, "etcd-data"),
		"--listen-client-urls=" + curl, "--advertise-client-urls=" + curl,
		"--listen-peer-urls=" + purl, "--initial-advertise-peer-urls=" + purl,
		"--initial-cluster=default=" + purl, "--unsafe-no-fsync", "--log-level=warn"}
	p, err := StartProcess("etcd", filepath.Join(binDir, "etcd"), args, nil, filepath.Join(cp.Dir, "etcd.log"))
	if err != nil {
		return err
	}
	cp.Etcd = p
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = poll(wctx, 100*time.Millisecond, func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("etcd exited: %s", p.Tail(2000))
		}
		resp, err := http.Get(curl + "/health")
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"health":"true"`), nil
	})
	if err != nil {
		return fmt.Errorf("etcd not healthy: %w", err)
	}
	cp.etcdURL = curl
	return nil
}

func (cp *ControlPlane) startAPIServer(ctx context.Context, binDir string) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	if err := writeServiceAccountKeys(cp.Dir); err != nil {
		return err
	}
	tok := make([]byte, 16)
	_, _ = rand.Read(tok)
	cp.Token = hex.EncodeToString(tok)
	tokens := filepath.Join(cp.Dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(cp.Token+",admin,admin-uid,system:masters\n"), 0o600); err != nil {
		return err
	}
	args := []string{"--etcd-servers=" + cp.etcdURL, "--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		"--advertise-address=127.0.0.1", "--cert-dir=" + filepath.Join(cp.Dir, "certs"),
		"--service-cluster-ip-range=10.96.0.0/16", "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + filepath.Join(cp.Dir, "sa.pub"),
		"--service-account-signing-key-file=" + filepath.Join(cp.Dir, "sa.key"),
		"--token-auth-file=" + tokens, "--authorization-mode=Node,RBAC", "--allow-privileged=true",
		"--disable-admission-plugins=ServiceAccount", "--enable-priority-and-fairness=false", "--v=1"}
	p, err := StartProcess("kube-apiserver", filepath.Join(binDir, "kube-apiserver"), args, nil, filepath.Join(cp.Dir, "kube-apiserver.log"))
	if err != nil {
		return err
	}
	cp.APIServer = p
	cp.URL = "https://" + addr(port)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	err = poll(wctx, 200*time.Millisecond, func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("kube-apiserver exited: %s", p.Tail(3000))
		}
		req, _ := http.NewRequest(http.MethodGet, cp.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+cp.Token)
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == 200 && strings.TrimSpace(string(b)) == "ok", nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver not ready: %w\n%s", err, p.Tail(3000))
	}
	cp.KubeconfigPath = filepath.Join(cp.Dir, "admin.kubeconfig")
	return WriteKubeconfig(cp.KubeconfigPath, cp.URL, cp.Token)
}

// Config is a client config for the admin user.
func (cp *ControlPlane) Config() *rest.Config {
	return &rest.Config{Host: cp.URL, BearerToken: cp.Token, TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS: 100, Burst: 200}
}

// Client is an admin clientset.
func (cp *ControlPlane) Client() (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(cp.Config())
}

// Stop stops kube-apiserver, then etcd.
func (cp *ControlPlane) Stop() {
	if cp.APIServer != nil {
		cp.APIServer.Stop(15 * time.Second)
	}
	if cp.Etcd != nil {
		cp.Etcd.Stop(10 * time.Second)
	}
}

// WriteKubeconfig writes a kubeconfig with a bearer token.
func WriteKubeconfig(path, server, token string) error {
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: user
  user:
    token: %s
contexts:
- name: e2e
  context:
    cluster: e2e
    user: user
current-context: e2e
`, server, token)
	return os.WriteFile(path, []byte(kc), 0o600)
}

func writeServiceAccountKeys(dir string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	if err := os.WriteFile(filepath.Join(dir, "sa.key"), priv, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "sa.pub"), pub, 0o600)
}
