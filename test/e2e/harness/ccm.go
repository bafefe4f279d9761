package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CCMOptions describes one cloud-controller-manager process.
type CCMOptions struct {
	Bin          string // the gce-cloud-controller-manager binary (or another CCM built on k8s.io/cloud-provider)
	Dir          string // where its config and log go
	Name         string // log file name, e.g. "ccm-1"
	Kubeconfig   string
	Emulator     *Emulator
	ClusterName  string
	ClusterCIDR  string
	LeaderElect  bool
	GCEConfExtra string // more [global] lines
	// PollInterval is gce-ccm-operation-poll-interval; the tests use a short
	// one (250 ms) for speed, the benchmark the production default (1 s).
	PollInterval time.Duration
	ExtraArgs    []string // more flags
	// GCEConf, when set, is the whole gce.conf instead of the one
	// WriteGCEConf makes: for a CCM that knows none of gce-ccm's own keys
	// (the upstream provider).
	GCEConf string
}

// CCM is a running controller manager.
type CCM struct {
	*Process
	HealthURL string
}

// WriteGCEConf writes a gce.conf pointing at the emulator.
func WriteGCEConf(path string, e *Emulator, poll time.Duration, extra string) error {
	o := e.Options()
	if poll <= 0 {
		poll = 250 * time.Millisecond
	}
	conf := fmt.Sprintf(`[global]
project-id = %s
local-zone = %s
multizone = true
api-endpoint = %s/compute/v1/
gce-ccm-operation-poll-interval = %v
%s`, o.Project, o.Zones[0], e.URL, poll, extra)
	return os.WriteFile(path, []byte(conf), 0o600)
}

// StartCCM starts the binary with credentials from the emulator's metadata
// server, as on a GCE VM, and waits for its /healthz.
func StartCCM(ctx context.Context, o CCMOptions) (*CCM, error) {
	conf := filepath.Join(o.Dir, o.Name+"-gce.conf")
	var err error
	if o.GCEConf != "" {
		err = os.WriteFile(conf, []byte(o.GCEConf), 0o600)
	} else {
		err = WriteGCEConf(conf, o.Emulator, o.PollInterval, o.GCEConfExtra)
	}
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(o.Dir, o.Name+"-home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig=" + o.Kubeconfig,
		"--authentication-kubeconfig=" + o.Kubeconfig,
		"--authorization-kubeconfig=" + o.Kubeconfig,
		// The test API server has no front-proxy CA to look up.
		"--authentication-skip-lookup=true",
		"--cloud-provider=gce", "--cloud-config=" + conf,
		"--cluster-name=" + o.ClusterName, "--cluster-cidr=" + o.ClusterCIDR,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", port),
		fmt.Sprintf("--leader-elect=%v", o.LeaderElect),
		"--leader-elect-lease-duration=4s", "--leader-elect-renew-deadline=3s", "--leader-elect-retry-period=1s",
		"--node-monitor-period=1s", "--node-status-update-frequency=2s",
		"--v=2",
	}
	args = append(args, o.ExtraArgs...)
	env := []string{
		"GCE_METADATA_HOST=" + o.Emulator.HostPort, // ADC from the metadata server, as on a VM
		"HOME=" + home, "CLOUDSDK_CONFIG=" + filepath.Join(home, "gcloud"),
	}
	p, err := StartProcess(o.Name, o.Bin, args, env, filepath.Join(o.Dir, o.Name+".log"))
	if err != nil {
		return nil, err
	}
	c := &CCM{Process: p, HealthURL: fmt.Sprintf("https://%s/healthz", addr(port))}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err = poll(wctx, 200*time.Millisecond, func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("%s exited: %s", o.Name, p.Tail(4000))
		}
		resp, err := client.Get(c.HealthURL)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	})
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s not healthy: %w\n%s", o.Name, err, lastLines(p.Tail(4000), 30))
	}
	return c, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
