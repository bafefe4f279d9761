package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// shutdownGrace bounds how long in-flight requests (an operations.wait can
// block for minutes) may hold up a shutdown before they are cut.
const shutdownGrace = 5 * time.Second

func serve(ctx context.Context, c config, stdout, stderr io.Writer) error {
	s := fakecompute.New(c.opts)
	s.SetRateLimits(c.rates)
	for m, v := range c.quotas {
		s.SetQuota(m, v)
	}
	var saver *stateSaver
	loaded := false
	if c.stateFile != "" {
		saver = &stateSaver{path: c.stateFile, s: s}
		var err error
		if loaded, err = saver.load(); err != nil {
			return err
		}
	}
	// A loaded state already has its VMs; seeding again would clash.
	if !loaded && c.seedInstances > 0 {
		if err := seedInstances(s, c); err != nil {
			return fmt.Errorf("--seed-instances: %w", err)
		}
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	var handler http.Handler = s
	var fabric *dataplane.Fabric
	if c.dataplane {
		if fabric, err = startDataplane(ctx, s, c); err != nil {
			_ = ln.Close()
			return fmt.Errorf("--dataplane: %w", err)
		}
		defer fabric.Close()
		handler = withDataplane(s, fabric)
	}
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	printBanner(stdout, clientAddr(ln.Addr()), c)
	if fabric != nil {
		printDataplane(stdout, fabric)
	}
	if loaded {
		fmt.Fprintf(stdout, "state loaded from %s\n", c.stateFile)
	}

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	var tick <-chan time.Time
	if saver != nil {
		t := time.NewTicker(c.stateInterval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serving: %w", err)
		case <-tick:
			if err := saver.save(); err != nil {
				fmt.Fprintf(stderr, "fakecompute: saving state: %v\n", err)
			}
			continue
		case <-ctx.Done():
		}
		break
	}

	fmt.Fprintln(stdout, "fakecompute: shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close()
	}
	if saver != nil {
		if err := saver.save(); err != nil {
			return fmt.Errorf("saving state to %s: %w", c.stateFile, err)
		}
		fmt.Fprintf(stdout, "state saved to %s\n", c.stateFile)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// clientAddr is the address clients on this machine use: a wildcard
// listener (with --allow-non-loopback) is reached through loopback.
func clientAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
}

// seedInstances creates node-0..node-N-1 round-robin over the zones, as a
// stand-in for a cluster's VMs.
func seedInstances(s *fakecompute.Server, c config) error {
	seeds := make([]fakecompute.InstanceSeed, c.seedInstances)
	for i := range seeds {
		seeds[i] = fakecompute.InstanceSeed{Name: fmt.Sprintf("node-%d", i), Zone: c.opts.Zones[i%len(c.opts.Zones)]}
	}
	_, err := s.SeedInstances(seeds...)
	return err
}
