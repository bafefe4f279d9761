//go:build e2e

package e2e

import (
	"context"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The chaos soak: two leader-elected CCM replicas on the real stack while
// GCE misbehaves (soak_faults_test.go), the leader is SIGKILLed
// (soak_replicas_test.go) and the cluster changes underneath
// (soak_churn_test.go); then the faults stop and the exact end state is
// checked (soak_check_test.go).
//
// SOAK_DURATION (default 3m: the CI run inside `make e2e`; `make soak` runs
// 30m), SOAK_SEED (default 1: the churn, the kill schedule and the
// emulator's fault draws all derive from it), SOAK_DRIFT=1 adds the churn
// kinds only a periodic repair can converge (GCE objects changed behind
// the CCM's back). Services deleted with their finalizers stripped are
// always in the churn: the orphan collector converges them.

const soakCluster = "soak"

type soakConfig struct {
	Duration time.Duration
	Seed     int64
	Drift    bool
	// KillEvery is the mean time between leader kills: 60 s, or a quarter
	// of a short run so that the 3-minute CI run still kills three times.
	KillEvery time.Duration
	// Converge bounds the wait for the exact end state once faults stop.
	// The service controller backs a failing Service off up to 5 min
	// (k8s.io/cloud-provider: maxRetryDelay 300 s); a replica restarted
	// during the run starts with fresh queues.
	Converge              time.Duration
	MaxNodes, MaxServices int
	// ResyncPeriod is the CCM's --gce-resync-period: how often it compares
	// GCE with what should exist. 30 s (the default is 5 min) so that drift
	// made in the last minutes is repaired well within Converge.
	ResyncPeriod time.Duration
}

func soakConfigFromEnv(t *testing.T) soakConfig {
	c := soakConfig{Duration: 3 * time.Minute, Seed: 1, MaxNodes: 10, MaxServices: 8, Converge: 6 * time.Minute,
		ResyncPeriod: 30 * time.Second}
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute {
			t.Fatalf("SOAK_DURATION=%q: want a duration of at least 1m", v)
		}
		c.Duration = d
	}
	if v := os.Getenv("SOAK_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("SOAK_SEED=%q: want an integer", v)
		}
		c.Seed = n
	}
	switch v := os.Getenv("SOAK_DRIFT"); v {
	case "", "0":
	case "1":
		c.Drift = true
	default:
		t.Fatalf("SOAK_DRIFT=%q: want 0 or 1", v)
	}
	c.KillEvery = min(60*time.Second, c.Duration/4)
	return c
}

// soakRand gives each loop its own stream derived from the seed, so one
// loop's draws do not depend on how often another loop ran.
func soakRand(seed int64, stream int64) *rand.Rand {
	return rand.New(rand.NewSource(seed*1000 + stream))
}

func TestSoak(t *testing.T) {
	cfg := soakConfigFromEnv(t)
	t.Logf("soak: %v, seed %d (replay with SOAK_SEED=%d), drift churn %v", cfg.Duration, cfg.Seed, cfg.Seed, cfg.Drift)
	e := newEnv(t, cfg.Duration+cfg.Converge+5*time.Minute)
	// A fresh emulator with the seed: the probabilistic fault rules draw from it.
	e.gce.Stop()
	g, err := harness.StartEmulator(fakecompute.Options{Project: project, Region: "us-central1", Zones: zones,
		OperationLatency: 200 * time.Millisecond, Seed: cfg.Seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	e.gce, e.cluster = g, soakCluster
	e.guardSystemRoutes() // checked before g stops (cleanups run last-in first-out)

	foreign := seedForeign(e)
	reps := newReplicas(e, cfg)
	t.Cleanup(reps.stopAll)
	reps.start("ccm-a")
	reps.start("ccm-b")

	s := &soak{e: e, cfg: cfg, reps: reps, nodes: map[string]*soakNode{}}
	for range 4 {
		s.addNode(soakRand(cfg.Seed, 0))
	}
	faults := newFaultSchedule(e, cfg)
	start := time.Now()
	runCtx, stop := context.WithTimeout(e.ctx, cfg.Duration)
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){faults.run, reps.killLoop, reps.sampleLoop, s.nodeLoop, s.serviceLoop} {
		wg.Add(1)
		go func() { defer wg.Done(); loop(runCtx) }()
	}
	wg.Wait()
	stop()
	faultsOff := time.Now()
	if err := faults.clear(); err != nil {
		t.Fatal(err)
	}
	reps.ensureRunning()
	t.Logf("soak: churn and faults stopped after %v; waiting for convergence", faultsOff.Sub(start).Round(time.Second))

	sampleCtx, stopSampling := context.WithCancel(e.ctx)
	go reps.sampleLoop(sampleCtx)
	var last []string
	converged := false
	lastLogged := time.Now()
	for deadline := time.Now().Add(cfg.Converge); time.Now().Before(deadline) && e.ctx.Err() == nil; {
		if last = checkEndState(e, foreign); len(last) == 0 {
			converged = true
			break
		}
		if time.Since(lastLogged) > 30*time.Second {
			t.Logf("soak: %v after the faults stopped, %d differences, first: %s", time.Since(faultsOff).Round(time.Second), len(last), last[0])
			lastLogged = time.Now()
		}
		time.Sleep(5 * time.Second)
	}
	convergeTime := time.Since(faultsOff)
	if converged {
		// Still exact a little later: nothing flaps back.
		time.Sleep(10 * time.Second)
		last = checkEndState(e, foreign)
	}
	stopSampling()
	rep := soakReport{Config: cfg, Converged: converged && len(last) == 0, ConvergeTime: convergeTime,
		Faults: faults.injected(), Kills: reps.kills, BothKilled: reps.bothKilled, SelfExits: reps.selfExits,
		Stats: e.gce.Stats(), Churn: s.counts(), Samples: reps.samples(), Repairs: repairEvents(e)}
	rep.log(t)
	if !converged {
		t.Fatalf("not converged %v after the faults stopped; %d problems:\n%s", cfg.Converge, len(last), joinLines(last))
	}
	if len(last) > 0 {
		t.Fatalf("converged, then changed again; %d problems:\n%s", len(last), joinLines(last))
	}
}
