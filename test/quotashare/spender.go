// Package quotashare is another client of a project's GCE rate quota: the
// terraform runs, gcloud scripts and other controllers a project's owner
// has beside the cloud-controller-manager. It spends a fixed rate of
// mutations and reads through the real Compute client, so tests and the
// benchmark can show the CCM sharing the quota without starving it.
package quotashare

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// Options say where and how much to spend.
type Options struct {
	// Endpoint is the Compute API's host root (the emulator's URL).
	Endpoint string
	Project  string
	Network  string // its firewall rules' network, e.g. "default"
	// Prefix names its firewall rules (<prefix>-<n>), so they are told
	// from anyone else's.
	Prefix string
	// MutationsPerSecond and ReadsPerSecond are the rates it offers: a
	// call GCE refuses is not sent again (the tool's own retry would be
	// one more call of its offered rate).
	MutationsPerSecond float64
	ReadsPerSecond     float64
	// Keep is how long a firewall rule lives before it deletes it, longer
	// than an operation takes: its mutations are half inserts, half deletes.
	Keep time.Duration
}

// Counts are what it sent and what GCE answered.
type Counts struct {
	Elapsed time.Duration
	// Requests sent over HTTP, by class (a GET is a read, anything else a
	// mutation), and the answers by HTTP status (0: no answer).
	Reads, Mutations int64
	Statuses         map[int]int64
	// Calls answered without error, and calls GCE refused for the rate
	// quota (403 rateLimitExceeded, 429), by class.
	ReadsOK, MutationsOK           int64
	ReadsRefused, MutationsRefused int64
	// Errors other than a refusal.
	OtherErrors int64
}

// MutationsPerSecond is the rate of mutations GCE accepted.
func (c Counts) MutationsPerSecond() float64 { return float64(c.MutationsOK) / c.Elapsed.Seconds() }

// ReadsPerSecond is the rate of reads GCE answered.
func (c Counts) ReadsPerSecond() float64 { return float64(c.ReadsOK) / c.Elapsed.Seconds() }

// Spender spends the quota until Stop.
type Spender struct {
	o      Options
	svc    *compute.Service
	cancel context.CancelFunc
	wg     sync.WaitGroup
	start  time.Time
	http   *countingTransport

	readsOK, mutationsOK, readsRefused, mutationsRefused, other atomic.Int64
}

// Start begins spending at once.
func Start(ctx context.Context, o Options) (*Spender, error) {
	if o.Keep <= 0 {
		return nil, fmt.Errorf("quotashare: Keep must be positive, got %v", o.Keep)
	}
	ct := &countingTransport{next: http.DefaultTransport, statuses: map[int]int64{}}
	svc, err := compute.NewService(ctx, option.WithEndpoint(o.Endpoint+"/compute/v1/"), option.WithoutAuthentication(),
		option.WithHTTPClient(&http.Client{Transport: ct}))
	if err != nil {
		return nil, fmt.Errorf("quotashare: compute client: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Spender{o: o, svc: svc, cancel: cancel, start: time.Now(), http: ct}
	if o.MutationsPerSecond > 0 {
		s.wg.Add(1)
		go s.mutate(ctx)
	}
	if o.ReadsPerSecond > 0 {
		s.wg.Add(1)
		go s.read(ctx)
	}
	return s, nil
}

// Stop ends the spending and returns the counts.
func (s *Spender) Stop() Counts {
	s.cancel()
	s.wg.Wait()
	c := Counts{Elapsed: time.Since(s.start), ReadsOK: s.readsOK.Load(), MutationsOK: s.mutationsOK.Load(),
		ReadsRefused: s.readsRefused.Load(), MutationsRefused: s.mutationsRefused.Load(), OtherErrors: s.other.Load()}
	c.Reads, c.Mutations, c.Statuses = s.http.snapshot()
	return c
}

// inFlight bounds the calls a Spender has waiting for their answer: it
// offers its rate whatever GCE's latency (a tool sending one call after
// the other would slow down with the server and hide the contention).
const inFlight = 32

// mutate alternates: it deletes its oldest rule once that is older than
// Keep, and inserts a new one otherwise.
func (s *Spender) mutate(ctx context.Context) {
	defer s.wg.Done()
	var (
		mu   sync.Mutex
		live []rule
		n    int
	)
	s.paced(ctx, s.o.MutationsPerSecond, func() {
		mu.Lock()
		var del *rule
		if len(live) > 0 && time.Since(live[0].at) > s.o.Keep {
			del, live = &live[0], live[1:]
		}
		name := fmt.Sprintf("%s-%d", s.o.Prefix, n)
		if del == nil {
			n++
		}
		mu.Unlock()
		var err error
		if del != nil {
			_, err = s.svc.Firewalls.Delete(s.o.Project, del.name).Context(ctx).Do()
			if err != nil && !isNotFound(err) {
				mu.Lock()
				live = append([]rule{*del}, live...) // deleted at its next turn
				mu.Unlock()
			}
		} else {
			_, err = s.svc.Firewalls.Insert(s.o.Project, &compute.Firewall{Name: name, Network: "global/networks/" + s.o.Network,
				SourceRanges: []string{"192.0.2.0/24"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"9"}}}}).Context(ctx).Do()
			if err == nil {
				mu.Lock()
				live = append(live, rule{name, time.Now()})
				mu.Unlock()
			}
		}
		s.count(ctx, err, &s.mutationsOK, &s.mutationsRefused)
	})
}

type rule struct {
	name string
	at   time.Time
}

// read reads the network, a call every tool makes.
func (s *Spender) read(ctx context.Context) {
	defer s.wg.Done()
	s.paced(ctx, s.o.ReadsPerSecond, func() {
		_, err := s.svc.Networks.Get(s.o.Project, s.o.Network).Context(ctx).Do()
		s.count(ctx, err, &s.readsOK, &s.readsRefused)
	})
}

// paced starts call perSecond times a second, each in its own goroutine,
// until ctx ends, and waits for the calls started.
func (s *Spender) paced(ctx context.Context, perSecond float64, call func()) {
	lim := rate.NewLimiter(rate.Limit(perSecond), 1)
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for lim.Wait(ctx) == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			call()
		}()
	}
}

func (s *Spender) count(ctx context.Context, err error, ok, refused *atomic.Int64) {
	switch {
	case err == nil:
		ok.Add(1)
	case ctx.Err() != nil:
	case isRateLimited(err):
		refused.Add(1)
	default:
		s.other.Add(1)
	}
}

func isRateLimited(err error) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	if ge.Code == http.StatusTooManyRequests {
		return true
	}
	for _, e := range ge.Errors {
		if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
			return true
		}
	}
	return false
}

func isNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// countingTransport counts every HTTP request and its answer, so a
// benchmark can take this client's calls out of the emulator's totals.
type countingTransport struct {
	next             http.RoundTripper
	mu               sync.Mutex
	reads, mutations int64
	statuses         map[int]int64
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	t.mu.Lock()
	if r.Method == http.MethodGet {
		t.reads++
	} else {
		t.mutations++
	}
	t.statuses[status]++
	t.mu.Unlock()
	return resp, err
}

func (t *countingTransport) snapshot() (reads, mutations int64, statuses map[int]int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	statuses = make(map[int]int64, len(t.statuses))
	for k, v := range t.statuses {
		statuses[k] = v
	}
	return t.reads, t.mutations, statuses
}
