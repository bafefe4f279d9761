package gceapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/googleapis/gax-go/v2"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"
)

// Defaults sit just under GCE's default per-project quotas of 1,500 reads
// and 1,500 mutations per minute (25/s): the controller must not be what
// locks a project out of its API.
const (
	DefaultReadsPerSecond     = 20
	DefaultMutationsPerSecond = 24
	DefaultMaxAttempts        = 6
	DefaultBaseBackoff        = 500 * time.Millisecond
	DefaultMaxBackoff         = 32 * time.Second
	DefaultPollInterval       = time.Second
	// DefaultAttemptTimeout bounds one HTTP attempt (a whole listing of up
	// to ten 500-item pages included). GCE answers a healthy read in well
	// under a second; a minute without an answer is a dead connection or a
	// stuck proxy, and the attempt is better retried than waited on.
	DefaultAttemptTimeout = time.Minute
	// DefaultOperationTimeout bounds the wait for one operation to be DONE.
	// Route inserts in a large network can take minutes under load; ten
	// minutes is far past anything healthy, and a stuck wait must end so the
	// controller that asked can retry or report it instead of hanging.
	DefaultOperationTimeout = 10 * time.Minute
	// serverWaitBlock is how long GCE holds an operations.wait request
	// before answering "not DONE yet" (about 2 minutes); an attempt of that
	// call gets this much on top of AttemptTimeout.
	serverWaitBlock = 2 * time.Minute
)

// Config sets up a Client.
type Config struct {
	Project string
	// NetworkProject owns the VPC network and so its routes: the Shared VPC
	// host project, or Project when empty.
	NetworkProject string
	// Endpoint is the API's host root (https://compute.googleapis.com when
	// empty); the emulator's is http://127.0.0.1:PORT.
	Endpoint           string
	ClientOptions      []option.ClientOption // credentials or an HTTP client
	ReadsPerSecond     float64               // client-side budget; 0 means the default
	MutationsPerSecond float64
	MaxAttempts        int           // per call, first try included
	BaseBackoff        time.Duration // first retry delay; doubles, with full jitter
	MaxBackoff         time.Duration
	PollInterval       time.Duration // shortest time between two operation list polls of one scope
	AttemptTimeout     time.Duration // deadline of one HTTP attempt (operations.wait gets 2 min more)
	OperationTimeout   time.Duration // bound on waiting for one operation to be DONE
}

func (c *Config) setDefaults() {
	orDefault(&c.ReadsPerSecond, DefaultReadsPerSecond)
	orDefault(&c.MutationsPerSecond, DefaultMutationsPerSecond)
	orDefault(&c.MaxAttempts, DefaultMaxAttempts)
	orDefault(&c.BaseBackoff, DefaultBaseBackoff)
	orDefault(&c.MaxBackoff, DefaultMaxBackoff)
	orDefault(&c.PollInterval, DefaultPollInterval)
	orDefault(&c.AttemptTimeout, DefaultAttemptTimeout)
	orDefault(&c.OperationTimeout, DefaultOperationTimeout)
}

// orDefault sets *v to def when it is zero or negative (unset).
func orDefault[T ~int | ~float64 | ~int64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Client is the provider's handle on GCE. It is safe for concurrent use.
type Client struct {
	cfg            Config
	Project        string
	NetworkProject string

	reads     *budget // adaptive: budget.go
	mutations *budget
	waiter    *waiter

	zones     *compute.ZonesClient
	routes    *compute.RoutesClient
	instances *compute.InstancesClient
	firewalls *compute.FirewallsClient
	// legacy is google.golang.org/api/compute/v1, used only for the legacy
	// httpHealthChecks collection, which target pools require and apiv1 no
	// longer has.
	legacy          *computev1.Service
	addresses       *compute.AddressesClient
	targetPools     *compute.TargetPoolsClient
	forwardingRules *compute.ForwardingRulesClient
	// The internal load balancer's collections.
	instanceGroups  *compute.InstanceGroupsClient
	backendServices *compute.RegionBackendServicesClient
	healthChecks    *compute.HealthChecksClient
	subnetworks     *compute.SubnetworksClient
	globalOps       *compute.GlobalOperationsClient
	regionOps       *compute.RegionOperationsClient
	zoneOps         *compute.ZoneOperationsClient
	closers         []func() error

	poolMembers poolMembers // shared pool memberships (ListTargetPools)
	// addressBatches: GetAddress's reads of a wave share one list.
	addressBatches addressBatches
}

// UserAgent is the product token the CCM sends with every GCE call.
func UserAgent() string { return "gce-cloud-controller-manager/" + version.Get().GitVersion }

// New builds the REST clients. It makes no API call.
func New(ctx context.Context, cfg Config) (*Client, error) {
	cfg.setDefaults()
	if cfg.Project == "" {
		return nil, fmt.Errorf("gceapi: project is required")
	}
	if cfg.NetworkProject == "" {
		cfg.NetworkProject = cfg.Project
	}
	RegisterMetrics()
	c := &Client{
		cfg:            cfg,
		Project:        cfg.Project,
		NetworkProject: cfg.NetworkProject,
		reads:          newBudget("read", cfg.ReadsPerSecond),
		mutations:      newBudget("mutation", cfg.MutationsPerSecond),
	}
	// The User-Agent names the CCM and its version: GCE's audit logs show
	// it, and the e2e suite tells the CCM's calls from its own by it.
	ua := option.WithUserAgent(UserAgent())
	opts := append([]option.ClientOption{ua}, cfg.ClientOptions...)
	legacyOpts := append([]option.ClientOption{ua}, cfg.ClientOptions...)
	if cfg.Endpoint != "" {
		root := strings.TrimSuffix(cfg.Endpoint, "/")
		opts = append(opts, option.WithEndpoint(root))
		legacyOpts = append(legacyOpts, option.WithEndpoint(root+"/compute/v1/"))
	}
	b := opener{ctx: ctx, opts: opts}
	c.zones = open(&b, "zones", compute.NewZonesRESTClient)
	c.routes = open(&b, "routes", compute.NewRoutesRESTClient)
	c.instances = open(&b, "instances", compute.NewInstancesRESTClient)
	c.firewalls = open(&b, "firewalls", compute.NewFirewallsRESTClient)
	c.addresses = open(&b, "addresses", compute.NewAddressesRESTClient)
	c.targetPools = open(&b, "targetPools", compute.NewTargetPoolsRESTClient)
	c.forwardingRules = open(&b, "forwardingRules", compute.NewForwardingRulesRESTClient)
	c.instanceGroups = open(&b, "instanceGroups", compute.NewInstanceGroupsRESTClient)
	c.backendServices = open(&b, "regionBackendServices", compute.NewRegionBackendServicesRESTClient)
	c.healthChecks = open(&b, "healthChecks", compute.NewHealthChecksRESTClient)
	c.subnetworks = open(&b, "subnetworks", compute.NewSubnetworksRESTClient)
	c.globalOps = open(&b, "globalOperations", compute.NewGlobalOperationsRESTClient)
	c.regionOps = open(&b, "regionOperations", compute.NewRegionOperationsRESTClient)
	c.zoneOps = open(&b, "zoneOperations", compute.NewZoneOperationsRESTClient)
	c.closers = b.closers
	err := b.err
	if err == nil {
		if c.legacy, err = computev1.NewService(ctx, legacyOpts...); err != nil {
			err = fmt.Errorf("gceapi: compute/v1 service: %w", err)
		}
	}
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	c.waiter = newWaiter(ctx, c)
	return c, nil
}

// opener builds apiv1 clients until one fails; the ones built so far are
// closed by the caller on failure.
type opener struct {
	ctx     context.Context
	opts    []option.ClientOption
	err     error
	closers []func() error
}

// open builds one apiv1 REST client with newClient (e.g.
// compute.NewZonesRESTClient), or does nothing after a failure.
func open[T interface{ Close() error }](b *opener, name string, newClient func(context.Context, ...option.ClientOption) (T, error)) T {
	var zero T
	if b.err != nil {
		return zero
	}
	cl, err := newClient(b.ctx, b.opts...)
	if err != nil {
		b.err = fmt.Errorf("gceapi: %s client: %w", name, err)
		return zero
	}
	b.closers = append(b.closers, cl.Close)
	return cl
}

// Close releases the HTTP clients.
func (c *Client) Close() error {
	var first error
	for _, f := range c.closers {
		if err := f(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// noRetry turns off apiv1's own retries: this layer is the only one that
// retries, so budgets and backoff are accounted for in one place.
var noRetry = gax.WithRetry(func() gax.Retryer { return nil })

// read runs an idempotent read under the read budget, with retries.
func (c *Client) read(ctx context.Context, call, target string, f func(ctx context.Context) error) error {
	return c.readWithin(ctx, c.cfg.AttemptTimeout, call, target, f)
}

// readWithin is read with another per-attempt deadline (operations.wait
// legitimately blocks for minutes).
func (c *Client) readWithin(ctx context.Context, attemptTimeout time.Duration, call, target string, f func(ctx context.Context) error) error {
	start := time.Now()
	err := c.retry(ctx, attempt{call: call, target: target, budget: c.reads, timeout: attemptTimeout}, f)
	return observe(call, start, err)
}

// mutate submits a mutation under the mutation budget with a requestId that
// every retry reuses (so a retry can never apply twice), then waits for its
// operation to be DONE.
func (c *Client) mutate(ctx context.Context, call, target string, submit func(ctx context.Context, requestID string) (*computepb.Operation, error)) error {
	return c.mutateIn(ctx, c.Project, call, target, submit)
}

// mutateIn is mutate for a call in another project than the client's
// (routes of a Shared VPC network live in its host project).
func (c *Client) mutateIn(ctx context.Context, project, call, target string, submit func(ctx context.Context, requestID string) (*computepb.Operation, error)) error {
	start := time.Now()
	rid := newRequestID()
	var op *computepb.Operation
	// A transport failure leaves it unknown whether GCE applied the
	// mutation; retrying is still safe because the retry carries the same
	// requestId, which GCE answers with the first attempt's operation.
	err := c.retry(ctx, attempt{call: call, target: target, budget: c.mutations, timeout: c.cfg.AttemptTimeout}, func(ctx context.Context) error {
		var err error
		op, err = submit(ctx, rid)
		return err
	})
	if err == nil {
		err = c.waiter.wait(ctx, project, call, target, op)
		opWait.WithLabelValues(call, resultLabel(err)).Observe(time.Since(start).Seconds())
	}
	return observe(call, start, err)
}

// attempt describes the calls retry makes.
type attempt struct {
	call, target string
	budget       *budget       // c.reads or c.mutations
	timeout      time.Duration // deadline of each attempt
}

// retry runs f until it succeeds, fails for good, the attempts run out or
// the context ends. Each attempt has its own deadline. Backoff is
// exponential with full jitter.
func (c *Client) retry(ctx context.Context, a attempt, f func(ctx context.Context) error) error {
	var err error
	for n := 1; ; n++ {
		t0 := time.Now()
		waited, werr := a.budget.wait(ctx)
		if werr != nil {
			return fmt.Errorf("gce %s %s: waiting for the %s budget: %w", a.call, a.target, a.budget.class, werr)
		}
		sent := time.Now()
		limiterWait.WithLabelValues(a.budget.class).Observe(sent.Sub(t0).Seconds())
		err = c.once(ctx, a, f)
		a.budget.observe(ctx, a.call, sent, waited, err)
		attempts.WithLabelValues(a.call, resultLabel(err)).Inc()
		if err == nil || !retryable(err) || n >= c.cfg.MaxAttempts {
			return err
		}
		retries.WithLabelValues(a.call, retryReason(err)).Inc()
		d := c.backoff(n)
		klog.FromContext(ctx).V(2).Info("Retrying GCE call", "call", a.call, "target", a.target, "attempt", n, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %v)", err, ctx.Err())
		case <-t.C:
		}
	}
}

// once makes one attempt under its own deadline and classifies the outcome.
func (c *Client) once(ctx context.Context, a attempt, f func(ctx context.Context) error) error {
	actx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	err := f(actx)
	if err == nil {
		return nil
	}
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return &Error{Kind: KindTransport, Call: a.call, Target: a.target, Reason: ReasonAttemptTimeout,
			Message: fmt.Sprintf("no answer within the attempt deadline of %v", a.timeout), Err: err}
	}
	if ctx.Err() != nil {
		return err // the caller gave up: not a failure of the call
	}
	return classify(a.call, a.target, err)
}

func (c *Client) backoff(attempt int) time.Duration {
	ceil := c.cfg.BaseBackoff << (attempt - 1)
	if ceil > c.cfg.MaxBackoff || ceil <= 0 {
		ceil = c.cfg.MaxBackoff
	}
	// Full jitter: many controllers backing off together must not retry in step.
	return time.Duration(mrand.Int64N(int64(ceil))) + time.Millisecond
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
