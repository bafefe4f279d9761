package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// controller is one cloud-controller-manager under test. Both run on the
// same emulator settings, one after the other, each with its own best
// documented settings and nothing of the other's.
type controller struct {
	Name string
	bin  string
	// missing says why the binary cannot run (every row of this
	// controller then says so, and the run exits non-zero).
	missing string
	// flags are the framework flags both binaries have, at the values
	// this controller is run with; Settings describes them for the report.
	flags    []string
	Settings string
	// conf is the whole gce.conf, or "" for gce-ccm's own (harness).
	conf func(e *harness.Emulator) string
	// cannot names the scenarios this controller cannot do, and why.
	cannot map[string]string
	// maxNodes: larger scenarios are not run for this controller (their
	// did-not-converge timeout would make `make bench` unbounded); 0: no cap.
	maxNodes int
	upstream bool
}

// Framework flags (k8s.io/cloud-provider) given to both controllers at
// the same values: the service controller's workers (the framework's
// documented knob for Service throughput; gce-ccm's default, upstream's
// default is 1) and the Kubernetes client's rate (the route controller
// patches every node's NetworkUnavailable).
var sharedFlags = []string{"--concurrent-service-syncs=50", "--kube-api-qps=300", "--kube-api-burst=600", "--v=1"}

func ours(bin string, resync time.Duration) controller {
	flags := append(append([]string{}, sharedFlags...), "--gce-resync-period="+resync.String())
	c := controller{Name: "gce-ccm", bin: bin, flags: flags,
		Settings: "gce-ccm: " + strings.Join(flags, " ") + "; gce.conf defaults (client budgets 20 reads/s and 24 mutations/s, " +
			"operation poll interval 1s); watch-based route reconciliation (its default), also driven every resync period"}
	if _, err := os.Stat(bin); err != nil {
		c.missing = fmt.Sprintf("gce-ccm binary %s: %v (run make build)", bin, err)
	}
	return c
}

// upstreamReconcile is the upstream framework's default route
// reconciliation period, stated so the report names it.
const upstreamReconcile = "10s"

func upstream(bin string, maxNodes int) controller {
	flags := append(append([]string{}, sharedFlags...), "--route-reconciliation-period="+upstreamReconcile)
	c := controller{Name: "upstream", bin: bin, upstream: true, maxNodes: maxNodes, flags: flags,
		Settings: "upstream (k8s.io/cloud-provider-gcp/providers v0.28.2 in k8s.io/cloud-provider v0.28.2, tools/build-upstream-gce-ccm.sh): " +
			strings.Join(flags, " ") + "; gce.conf: project-id, local-zone, multizone, network-name, node-tags, api-endpoint " +
			"(it has no client-side budget or poll-interval keys: its operation polls are limited to 5/s by the provider itself)",
		conf: func(e *harness.Emulator) string {
			o := e.Options()
			return fmt.Sprintf("[global]\nproject-id = %s\nlocal-zone = %s\nmultizone = true\nnetwork-name = default\nnode-tags = bench-node\napi-endpoint = %s/compute/v1/\n",
				o.Project, o.Zones[0], e.URL)
		},
		cannot: map[string]string{
			"drift": "no periodic comparison with GCE: its route controller lists routes every 10 s but takes a route's node from its " +
				"name, and its load balancers are synced only on Service and node-set changes, so a deleted forwarding rule stays deleted",
			"ipam": "no node-ipam-controller: the upstream's lives in its root module (cmd/cloud-controller-manager), which the " +
				"module proxy does not serve; the provider module built here has the framework's controllers only",
			"tcpudp": "the upstream provider refuses a Service mixing TCP and UDP (checkMixedProtocol in gce_loadbalancer.go)",
			"dualstack": "the upstream names a route <cluster>-<node UID>, so a node's second (IPv6) route collides with its first " +
				"and the 409 is taken for \"already exists\" (CreateRoute in gce_routes.go)",
		}}
	if bin == "" {
		c.missing = "no upstream binary: pass --upstream-bin (make bench sets it from tools/build-upstream-gce-ccm.sh)"
	} else if _, err := os.Stat(bin); err != nil {
		c.missing = fmt.Sprintf("upstream binary %s: %v (rebuild it with tools/build-upstream-gce-ccm.sh)", bin, err)
	}
	return c
}

// skip says why a scenario is not run for this controller, or "".
func (c controller) skip(kind string, nodes int) string {
	if c.missing != "" {
		return "error: " + c.missing
	}
	if why := c.cannot[kind]; why != "" {
		return "cannot: " + why
	}
	if c.maxNodes > 0 && nodes > c.maxNodes {
		return fmt.Sprintf("not run: over --upstream-max-nodes=%d (its did-not-converge timeout of 10x the bound would make the run unbounded)", c.maxNodes)
	}
	return ""
}
