package dataplane

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// prober runs GCE's legacy HTTP health checks for real: from the probe
// namespace (source 35.191.0.1) to each pool member's primary IP, through
// the fabric, so the VPC's firewall rules decide whether probes get in.
type prober struct {
	ns       string
	onChange func()

	mu      sync.Mutex
	targets map[string]*probeTarget // by pool path|check path|vm path
	stopped bool
}

// probeTarget is one (check, VM) pair and its verdict.
type probeTarget struct {
	pool    string
	check   HealthCheck
	vm      string
	ip      netip.Addr
	sig     string
	cancel  context.CancelFunc
	healthy bool
	okRun   int64
	failRun int64
	probes  int64
	last    string    // the last probe's outcome
	changed time.Time // when healthy last flipped
}

// HealthStatus is one probed (check, VM) pair, for the dump and the failover benchmark.
type HealthStatus struct {
	Pool, Check, VM string
	Healthy         bool
	Probes          int64
	Last            string
	Since           time.Time
}

func newProber(ns string, onChange func()) *prober {
	return &prober{ns: ns, onChange: onChange, targets: map[string]*probeTarget{}}
}

// Healthy: a member starts unhealthy and passes after HealthyThreshold
// successes in a row, as on GCE.
func (p *prober) Healthy(pool, check, vm string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.targets[pool+"|"+check+"|"+vm]
	return t != nil && t.healthy
}

// follow starts probing every (check, running member) pair of the state
// and stops pairs that are gone or whose check changed.
func (p *prober) follow(st State, plan Plan) {
	ips := map[string]netip.Addr{}
	for _, vm := range plan.VMs {
		if vm.Plugged {
			ips[vm.Path] = vm.IP
		}
	}
	want := map[string]*probeTarget{}
	for _, pool := range st.Pools {
		for _, c := range pool.Checks {
			hc, ok := st.Checks[c]
			if !ok {
				continue
			}
			for _, vm := range pool.Instances {
				if ip, ok := ips[vm]; ok {
					want[pool.Path+"|"+c+"|"+vm] = &probeTarget{pool: pool.Path, check: hc, vm: vm, ip: ip, sig: fmt.Sprintf("%+v %s", hc, ip)}
				}
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	for k, t := range p.targets {
		if w := want[k]; w == nil || w.sig != t.sig {
			t.cancel()
			delete(p.targets, k)
		}
	}
	for k, w := range want {
		if p.targets[k] != nil {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		w.cancel, w.changed = cancel, time.Now()
		p.targets[k] = w
		go p.run(ctx, k, w)
	}
}

// run probes one target every CheckIntervalSec, the first probe at once.
func (p *prober) run(ctx context.Context, key string, t *probeTarget) {
	interval := time.Duration(t.check.IntervalSec) * time.Second
	timeout := time.Duration(t.check.TimeoutSec) * time.Second
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		outcome, ok := p.probe(ctx, t.check, t.ip, timeout)
		if ctx.Err() != nil {
			return
		}
		p.record(key, t, outcome, ok)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (p *prober) record(key string, t *probeTarget, outcome string, ok bool) {
	p.mu.Lock()
	if p.targets[key] != t {
		p.mu.Unlock()
		return
	}
	t.probes++
	t.last = outcome
	flipped := false
	if ok {
		t.okRun, t.failRun = t.okRun+1, 0
		if !t.healthy && t.okRun >= t.check.HealthyThreshold {
			t.healthy, flipped = true, true
		}
	} else {
		t.okRun, t.failRun = 0, t.failRun+1
		if t.healthy && t.failRun >= t.check.UnhealthyThr {
			t.healthy, flipped = false, true
		}
	}
	if flipped {
		t.changed = time.Now()
	}
	p.mu.Unlock()
	if flipped {
		p.onChange()
	}
}

// probe sends one GET from the probe namespace; 200 passes, anything else
// (another status, a timeout, a refused or dropped connection) fails.
func (p *prober) probe(ctx context.Context, hc HealthCheck, ip netip.Addr, timeout time.Duration) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(ip.String(), strconv.FormatInt(hc.Port, 10))
	var conn net.Conn
	err := Do(p.ns, func() error {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: probeSource.AsSlice()}}
		var err error
		conn, err = d.DialContext(ctx, "tcp", addr)
		return err
	})
	if err != nil {
		return "connect: " + err.Error(), false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	host := hc.Host
	if host == "" {
		host = ip.String()
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: GoogleHC/1.0\r\nConnection: close\r\n\r\n", hc.RequestPath, host)
	if _, err := conn.Write([]byte(req)); err != nil {
		return "write: " + err.Error(), false
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "read: " + err.Error(), false
	}
	resp.Body.Close()
	return resp.Status, resp.StatusCode == http.StatusOK
}

// Status lists every probed pair.
func (p *prober) Status() []HealthStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []HealthStatus
	for _, t := range p.targets {
		out = append(out, HealthStatus{Pool: lastSeg(t.pool), Check: lastSeg(t.check.Path), VM: lastSeg(t.vm), Healthy: t.healthy, Probes: t.probes, Last: t.last, Since: t.changed})
	}
	return out
}

func (p *prober) stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	for k, t := range p.targets {
		t.cancel()
		delete(p.targets, k)
	}
}
