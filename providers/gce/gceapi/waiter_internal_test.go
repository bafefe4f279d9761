package gceapi

import (
	"context"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// TestOperationLatencyPerScope: the latency that spaces a scope's polls is
// learnt from that scope's operations (GCE's insertTime to endTime): a
// zone's 30 s instance update does not space the polls of global routes
// that take 2 s, and the first operation of a scope replaces the guess.
func TestOperationLatencyPerScope(t *testing.T) {
	c := &Client{cfg: Config{PollInterval: time.Second}}
	w := newWaiter(context.Background(), c)
	t.Cleanup(func() { _ = c.Close() })
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	done := func(sc opScope, name string, took time.Duration) {
		p := &pendingOp{name: name, submitted: time.Now(), done: make(chan struct{})}
		w.mu.Lock()
		w.pending[sc] = map[string]*pendingOp{name: p}
		w.mu.Unlock()
		w.resolve(sc, p, &computepb.Operation{Name: proto.String(name), Status: computepb.Operation_DONE.Enum(),
			InsertTime: proto.String(t0.Format(time.RFC3339Nano)), EndTime: proto.String(t0.Add(took).Format(time.RFC3339Nano))}, nil)
	}
	zone, global := opScope{project: "p", zone: "us-central1-a"}, opScope{project: "p"}
	done(zone, "update-1", 30*time.Second)
	done(global, "route-1", 2*time.Second)
	done(global, "route-2", 2*time.Second)
	if got := w.latency[global]; got != 2*time.Second {
		t.Errorf("global latency %v; want 2s (its own operations')", got)
	}
	if got := w.latency[zone]; got != 30*time.Second {
		t.Errorf("zone latency %v; want 30s", got)
	}
	done(global, "route-3", 10*time.Second)
	if got := w.latency[global]; got != 3*time.Second {
		t.Errorf("global latency after a 10 s sample %v; want 3s (2s + 8s/8)", got)
	}
}
