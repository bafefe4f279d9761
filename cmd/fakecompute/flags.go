package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// config is everything the serve command needs, validated.
type config struct {
	listen           string
	allowNonLoopback bool
	opts             fakecompute.Options
	rates            fakecompute.RateLimits
	quotas           map[string]float64
	stateFile        string
	stateInterval    time.Duration
	seedInstances    int
	dataplane        bool
}

// knownQuotas are the metrics the emulator enforces; a typo in --quota
// would otherwise be a limit that silently never applies.
var knownQuotas = []string{
	fakecompute.QuotaRoutes, fakecompute.QuotaFirewalls, fakecompute.QuotaTargetPools,
	fakecompute.QuotaForwardingRules, fakecompute.QuotaStaticAddresses, fakecompute.QuotaInUseAddresses,
	fakecompute.QuotaInstances, fakecompute.QuotaHealthChecks, fakecompute.QuotaNetworks,
}

var nameRE = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

// quotaFlag collects repeated --quota METRIC=LIMIT.
type quotaFlag map[string]float64

func (q quotaFlag) String() string { return fmt.Sprint(map[string]float64(q)) }

func (q quotaFlag) Set(v string) error {
	metric, limit, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("%q is not METRIC=LIMIT", v)
	}
	known := false
	for _, k := range knownQuotas {
		known = known || k == metric
	}
	if !known {
		return fmt.Errorf("unknown metric %q (known: %s)", metric, strings.Join(knownQuotas, ", "))
	}
	n, err := strconv.ParseFloat(limit, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("limit %q of %s is not a non-negative number", limit, metric)
	}
	q[metric] = n
	return nil
}

// listFlag collects a repeated flag's values in order.
type listFlag struct{ values *[]string }

func (l listFlag) String() string {
	if l.values == nil {
		return ""
	}
	return strings.Join(*l.values, ",")
}

func (l listFlag) Set(v string) error {
	*l.values = append(*l.values, v)
	return nil
}

// parseServeFlags parses and validates the serve command line. Errors name
// the flag and what is wrong with it.
func parseServeFlags(args []string, usage io.Writer) (config, error) {
	c := config{quotas: map[string]float64{}}
	fs := flag.NewFlagSet("fakecompute", flag.ContinueOnError)
	// Errors are returned, not printed with the whole usage; -h prints it.
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to serve on (host:port; port 0 picks a free one)")
	fs.BoolVar(&c.allowNonLoopback, "allow-non-loopback", false, "allow --listen on an address other than loopback")
	fs.StringVar(&c.opts.Project, "project", "demo", "the project the emulator serves")
	fs.Int64Var(&c.opts.ProjectNumber, "project-number", 123456789012, "the project's number (projects.get, the metadata server)")
	fs.Var(listFlag{&c.opts.ExtraProjects}, "extra-project", "another project the emulator serves, with its own default network (repeatable): a Shared VPC host project, say")
	fs.StringVar(&c.opts.Region, "region", "us-central1", "the region")
	zones := fs.String("zones", "", "comma-separated zones of the region (default <region>-a,<region>-b,<region>-c)")
	fs.DurationVar(&c.opts.OperationLatency, "operation-latency", 0, "how long an operation runs before it is DONE")
	fs.IntVar(&c.rates.ReadsPerMinute, "reads-per-minute", 0, "read requests per minute per project (0: unlimited)")
	fs.IntVar(&c.rates.MutationsPerMinute, "mutations-per-minute", 0, "mutating requests per minute per project (0: unlimited)")
	fs.Var(quotaFlag(c.quotas), "quota", "quota limit METRIC=LIMIT, e.g. ROUTES=250 (repeatable)")
	fs.BoolVar(&c.opts.RequireAuth, "require-auth", false, "answer 401 to API requests without a token the emulator issued")
	fs.Int64Var(&c.opts.Seed, "seed", 1, "seed of the random choices of probabilistic fault rules")
	fs.StringVar(&c.opts.MetadataInstance, "metadata-instance", "", "zone/name of the VM the metadata server describes (default: a synthetic \"ccm\" VM)")
	fs.StringVar(&c.stateFile, "state-file", "", "load resources from this file at start if it exists; save them on shutdown and periodically")
	fs.DurationVar(&c.stateInterval, "state-save-interval", 30*time.Second, "how often to save --state-file")
	fs.IntVar(&c.seedInstances, "seed-instances", 0, "create N VMs spread over the zones on a fresh start")
	fs.BoolVar(&c.dataplane, "dataplane", false, "carry real packets: a VPC dataplane in network namespaces follows the emulator's state (root and nft needed; dump at /_internal/dataplane)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(usage, "Usage: fakecompute [flags]\n       fakecompute keyfile --url URL --project P --out FILE\n\nFlags:")
			fs.SetOutput(usage)
			fs.PrintDefaults()
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.opts.Zones = splitZones(*zones, c.opts.Region)
	return c, c.validate()
}

func splitZones(v, region string) []string {
	if v == "" {
		return []string{region + "-a", region + "-b", region + "-c"}
	}
	var out []string
	for _, z := range strings.Split(v, ",") {
		out = append(out, strings.TrimSpace(z))
	}
	return out
}

func (c *config) validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	if err := checkListen(c.listen, c.allowNonLoopback); err != nil {
		bad("listen", "%v", err)
	}
	if !nameRE.MatchString(c.opts.Project) {
		bad("project", "%q is not a project id (lowercase letters, digits and hyphens, starting with a letter)", c.opts.Project)
	}
	extra := map[string]bool{c.opts.Project: true}
	for _, p := range c.opts.ExtraProjects {
		switch {
		case !nameRE.MatchString(p):
			bad("extra-project", "%q is not a project id (lowercase letters, digits and hyphens, starting with a letter)", p)
		case p == c.opts.Project:
			bad("extra-project", "%q is already --project", p)
		case extra[p]:
			bad("extra-project", "%q is listed twice", p)
		}
		extra[p] = true
	}
	if c.opts.ProjectNumber <= 0 {
		bad("project-number", "%d is not a positive number", c.opts.ProjectNumber)
	}
	if !nameRE.MatchString(c.opts.Region) {
		bad("region", "%q is not a region name", c.opts.Region)
	}
	seen := map[string]bool{}
	for _, z := range c.opts.Zones {
		switch {
		case !nameRE.MatchString(z):
			bad("zones", "%q is not a zone name", z)
		case !strings.HasPrefix(z, c.opts.Region+"-") || strings.Contains(strings.TrimPrefix(z, c.opts.Region+"-"), "-"):
			bad("zones", "zone %q is not in region %s", z, c.opts.Region)
		case seen[z]:
			bad("zones", "zone %q is listed twice", z)
		}
		seen[z] = true
	}
	if c.opts.OperationLatency < 0 {
		bad("operation-latency", "%v is negative", c.opts.OperationLatency)
	}
	if c.rates.ReadsPerMinute < 0 {
		bad("reads-per-minute", "%d is negative", c.rates.ReadsPerMinute)
	}
	if c.rates.MutationsPerMinute < 0 {
		bad("mutations-per-minute", "%d is negative", c.rates.MutationsPerMinute)
	}
	if c.opts.MetadataInstance != "" {
		zone, name, ok := strings.Cut(c.opts.MetadataInstance, "/")
		switch {
		case !ok || !nameRE.MatchString(name):
			bad("metadata-instance", "%q is not zone/name", c.opts.MetadataInstance)
		case !seen[zone]:
			bad("metadata-instance", "zone %q is not one of --zones %s", zone, strings.Join(c.opts.Zones, ","))
		}
	}
	if c.stateInterval <= 0 {
		bad("state-save-interval", "%v is not positive", c.stateInterval)
	}
	if c.seedInstances < 0 {
		bad("seed-instances", "%d is negative", c.seedInstances)
	}
	return errors.Join(errs...)
}

// checkListen keeps the emulator on loopback unless asked otherwise: it has
// no real authentication and hands out tokens to anyone who asks.
func checkListen(addr string, allowNonLoopback bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q of %q is not a port number", port, addr)
	}
	if allowNonLoopback {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address; the emulator has no real authentication (use --allow-non-loopback to serve it anyway)", addr)
	}
	return nil
}
