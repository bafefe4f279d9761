//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// Two CCM replicas with leader election, supervised as a Deployment would
// be: a replica that dies (killed, or exiting on a lost lease) is started
// again. The kill loop SIGKILLs the leader about every KillEvery (±25%),
// and every third time both replicas at once.

type replica struct {
	slot string // ccm-a or ccm-b
	gen  int
	ccm  *harness.CCM
	// leader is set once the process's log says it acquired the lease; a
	// replica that loses the lease exits, so it stays true for its life.
	leader bool
}

type resourceSample struct {
	At         time.Duration // since the soak started
	Process    string
	RSS        float64 // bytes
	Goroutines float64
}

type replicas struct {
	e       *env
	cfg     soakConfig
	started time.Time
	http    *http.Client

	mu                           sync.Mutex
	live                         map[string]*replica
	gens                         map[string]int
	kills, bothKilled, selfExits int
	series                       []resourceSample
}

func newReplicas(e *env, cfg soakConfig) *replicas {
	return &replicas{e: e, cfg: cfg, started: time.Now(), live: map[string]*replica{}, gens: map[string]int{},
		http: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}}
}

// start runs a new process in a slot; errors end the test from the test
// goroutine only, so a failed restart in a loop is logged and retried.
func (r *replicas) start(slot string) error {
	r.mu.Lock()
	r.gens[slot]++
	gen := r.gens[slot]
	r.mu.Unlock()
	c, err := harness.StartCCM(r.e.ctx, harness.CCMOptions{Bin: ccmBin, Dir: r.e.dir, Name: fmt.Sprintf("%s-%d", slot, gen),
		Kubeconfig: cp.KubeconfigPath, Emulator: r.e.gce, ClusterName: soakCluster, ClusterCIDR: clusterCIDR, LeaderElect: true,
		GCEConfExtra: "node-tags = soak-node\n",
		// The leader is told from its log: flush it within a second.
		ExtraArgs: []string{"--log-flush-frequency=1s", "--gce-resync-period=" + r.cfg.ResyncPeriod.String()}})
	if err != nil {
		r.e.t.Logf("soak: %s: %v", slot, err)
		return err
	}
	r.mu.Lock()
	r.live[slot] = &replica{slot: slot, gen: gen, ccm: c}
	r.mu.Unlock()
	return nil
}

// leaderSlot finds the replica that holds the lease, from its log.
func (r *replicas) leaderSlot() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for slot, rp := range r.live {
		if !rp.leader && !rp.ccm.Exited() {
			b, _ := os.ReadFile(rp.ccm.LogPath)
			// client-go logs "Successfully acquired lease" (structured).
			rp.leader = bytes.Contains(b, []byte("uccessfully acquired lease"))
		}
		if rp.leader && !rp.ccm.Exited() {
			return slot
		}
	}
	return ""
}

func (r *replicas) kill(slots ...string) {
	for _, slot := range slots {
		r.mu.Lock()
		rp := r.live[slot]
		delete(r.live, slot)
		r.mu.Unlock()
		if rp != nil {
			rp.ccm.Kill()
		}
	}
}

func (r *replicas) killLoop(ctx context.Context) {
	rnd := soakRand(r.cfg.Seed, 2)
	for n := 1; ; n++ {
		wait := time.Duration(float64(r.cfg.KillEvery) * (0.75 + rnd.Float64()/2))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		both := n%3 == 0
		victims := []string{"ccm-a", "ccm-b"}
		if !both {
			l := r.leaderSlot()
			if l == "" {
				r.e.t.Logf("soak: no leader visible at kill %d; skipped", n)
				continue
			}
			victims = []string{l}
		}
		r.kill(victims...)
		r.mu.Lock()
		r.kills += len(victims)
		if both {
			r.bothKilled++
		}
		r.mu.Unlock()
		r.e.t.Logf("soak: SIGKILL %v at %v", victims, time.Since(r.started).Round(time.Second))
		// A replacement pod starts a moment later.
		time.Sleep(2 * time.Second)
		for _, v := range victims {
			_ = r.start(v)
		}
		r.restartExited(true)
	}
}

// restartExited starts again a replica that exited on its own (a lost
// lease), and with missing also a slot whose last start failed. Only the
// kill loop and the convergence phase pass missing: a slot is empty for
// the two seconds between a kill and its replacement.
func (r *replicas) restartExited(missing bool) {
	for _, slot := range []string{"ccm-a", "ccm-b"} {
		r.mu.Lock()
		rp := r.live[slot]
		gone := rp == nil && missing
		if rp != nil && rp.ccm.Exited() {
			r.selfExits++
			delete(r.live, slot)
			gone = true
		}
		r.mu.Unlock()
		if gone {
			_ = r.start(slot)
		}
	}
}

// ensureRunning brings both replicas up for the convergence phase.
func (r *replicas) ensureRunning() {
	for range 3 {
		r.restartExited(true)
		r.mu.Lock()
		n := len(r.live)
		r.mu.Unlock()
		if n == 2 {
			return
		}
	}
	r.e.t.Fatalf("soak: could not bring both replicas back")
}

func (r *replicas) stopAll() {
	r.mu.Lock()
	live := r.live
	r.live = map[string]*replica{}
	r.mu.Unlock()
	for _, rp := range live {
		rp.ccm.Stop(10 * time.Second)
		if r.e.t.Failed() {
			r.e.t.Logf("%s-%d log tail:\n%s", rp.slot, rp.gen, rp.ccm.Tail(4000))
		}
	}
}

// sampleLoop reads each live replica's resident memory and goroutines from
// its /metrics every 10 s, and restarts a replica that exited.
func (r *replicas) sampleLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
		r.restartExited(false)
		r.mu.Lock()
		live := make([]*replica, 0, len(r.live))
		for _, rp := range r.live {
			live = append(live, rp)
		}
		r.mu.Unlock()
		for _, rp := range live {
			m, err := r.metrics(ctx, rp.ccm)
			if err != nil {
				continue // killed between the copy and the read
			}
			r.mu.Lock()
			r.series = append(r.series, resourceSample{At: time.Since(r.started), Process: fmt.Sprintf("%s-%d", rp.slot, rp.gen),
				RSS: m["process_resident_memory_bytes"], Goroutines: m["go_goroutines"]})
			r.mu.Unlock()
		}
	}
}

func (r *replicas) metrics(ctx context.Context, c *harness.CCM) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.HealthURL, "/healthz")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cp.Token)
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if ok && (name == "process_resident_memory_bytes" || name == "go_goroutines") {
			if f, err := strconv.ParseFloat(val, 64); err == nil {
				out[name] = f
			}
		}
	}
	return out, sc.Err()
}

func (r *replicas) samples() []resourceSample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]resourceSample(nil), r.series...)
}
