package gce

import (
	"fmt"
	"sync"
	"time"
)

// A node whose route failed on quota waits before its next insert, so a
// project out of route quota is not sent one failing insert per node on
// every reconcile (500 nodes every 10 s would be 3,000 mutations a minute,
// twice GCE's default budget). The wait doubles from 10 s and is capped at
// half the resync period, so a quota raise takes effect within one period.
const firstRouteBackoff = 10 * time.Second

type routeBackoff struct {
	mu    sync.Mutex
	nodes map[string]backoffState
}

type backoffState struct {
	until time.Time
	delay time.Duration
	err   error // the quota failure, wrapped by the error of a skipped try
}

// wait returns an error (wrapping the quota failure) while node backs off.
func (b *routeBackoff) wait(node string, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, ok := b.nodes[node]
	if !ok || !now.Before(st.until) {
		return nil
	}
	return fmt.Errorf("not retried for %v after a quota failure: %w", st.until.Sub(now).Round(time.Second), st.err)
}

// failed records a quota failure and returns the node's next wait.
func (b *routeBackoff) failed(node string, now time.Time, err error, period time.Duration) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.nodes == nil {
		b.nodes = map[string]backoffState{}
	}
	limit := max(period/2, time.Second)
	d := min(max(2*b.nodes[node].delay, firstRouteBackoff), limit)
	b.nodes[node] = backoffState{until: now.Add(d), delay: d, err: err}
	return d
}

func (b *routeBackoff) succeeded(node string) {
	b.mu.Lock()
	delete(b.nodes, node)
	b.mu.Unlock()
}
