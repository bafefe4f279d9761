//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Foreign look-alikes, made before the soak starts: objects with the
// cluster's name patterns that belong to someone else. The CCM must leave
// every byte of them as it was.

// soakRoutePrefix is the name prefix of the soak cluster's routes
// (providers/gce routePrefix: "k8s-" + 8 hex of sha256("cluster\x00"+name)).
func soakRoutePrefix() string {
	h := sha256.Sum256([]byte("cluster\x00" + soakCluster))
	return "k8s-" + hex.EncodeToString(h[:4])
}

func isGoogleNotFound(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}

// foreignObject is one look-alike: its collection and name, and its JSON
// as the emulator stored it.
type foreignObject struct {
	Collection, Name string
	JSON             string
}

func seedForeign(e *env) []foreignObject {
	e.t.Helper()
	if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "other-vm-1", Zone: zones[0], Tags: []string{"soak-node"}}); err != nil {
		e.t.Fatal(err)
	}
	gce := e.computeService()
	vm := "projects/" + project + "/zones/" + zones[0] + "/instances/other-vm-1"
	const lookalike = "a0000000000000000000000000000000"
	otherSvc := func(svc string) string {
		return fmt.Sprintf(`{"kubernetes.io/service-name":"default/%s","kubernetes.io/cluster-name":"soak-2"}`, svc)
	}
	region := "us-central1"
	calls := []func(...googleapi.CallOption) (*compute.Operation, error){
		// Our name prefix, another cluster in the description.
		gce.Routes.Insert(project, &compute.Route{Name: soakRoutePrefix() + "-soak-01-0000abcd", Network: "global/networks/default",
			DestRange: "10.65.250.0/24", NextHopInstance: vm, Priority: 1000,
			Description: `{"kubernetes.io/cluster-name":"soak-2","kubernetes.io/node-name":"soak-01","managed-by":"gce-ccm"}`}).Do,
		// The upstream provider's route shape for a cluster "soak-2".
		gce.Routes.Insert(project, &compute.Route{Name: "soak-2-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", Network: "global/networks/default",
			DestRange: "10.65.251.0/24", NextHopInstance: vm, Priority: 1000, Description: "k8s-node-route"}).Do,
		gce.Firewalls.Insert(project, &compute.Firewall{Name: "k8s-fw-" + lookalike, Network: "global/networks/default",
			Description: otherSvc("soak-svc-000"), SourceRanges: []string{"0.0.0.0/0"}, TargetTags: []string{"soak-node"},
			Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"80"}}}}).Do,
		gce.HttpHealthChecks.Insert(project, &compute.HttpHealthCheck{Name: "k8s-0123456789abcdef-node", Port: 10256, RequestPath: "/healthz",
			Description: `{"kubernetes.io/cluster-id":"0123456789abcdef","kubernetes.io/cluster-name":"soak-2"}`}).Do,
		gce.TargetPools.Insert(project, region, &compute.TargetPool{Name: lookalike, Description: otherSvc("soak-svc-001"),
			Instances: []string{vm}}).Do,
	}
	for _, c := range calls {
		if _, err := c(); err != nil {
			e.t.Fatal(err)
		}
	}
	wait := func(n int) []foreignObject {
		var out []foreignObject
		e.eventually(fmt.Sprintf("%d foreign objects", n), 30*time.Second, func() (bool, string) {
			out = foreignSnapshot(e)
			return len(out) == n, fmt.Sprint(len(out))
		})
		return out
	}
	wait(6)
	// The rule last: it needs its pool.
	if _, err := gce.ForwardingRules.Insert(project, region, &compute.ForwardingRule{Name: lookalike, Description: otherSvc("soak-svc-001"),
		IPProtocol: "TCP", PortRange: "80-80", Target: "projects/" + project + "/regions/" + region + "/targetPools/" + lookalike}).Do(); err != nil {
		e.t.Fatal(err)
	}
	return wait(7)
}

// foreignSnapshot reads every foreign look-alike from the emulator's state
// (no API call: faults do not apply).
func foreignSnapshot(e *env) []foreignObject {
	var out []foreignObject
	for path, objs := range e.gce.Dump() {
		coll := path[strings.LastIndex(path, "/")+1:]
		for _, raw := range objs {
			var o struct{ Name, Description string }
			if json.Unmarshal(raw, &o) != nil {
				continue
			}
			if o.Name == "other-vm-1" || strings.Contains(o.Description, "soak-2") {
				out = append(out, foreignObject{Collection: coll, Name: o.Name, JSON: string(raw)})
			}
		}
	}
	return out
}

// foreignChanges lists the look-alikes that changed or went away.
func foreignChanges(before, now []foreignObject) []string {
	have := map[string]string{}
	for _, o := range now {
		have[o.Collection+"/"+o.Name] = o.JSON
	}
	var out []string
	for _, o := range before {
		switch got, ok := have[o.Collection+"/"+o.Name]; {
		case !ok:
			out = append(out, fmt.Sprintf("foreign %s %s deleted", o.Collection, o.Name))
		case got != o.JSON:
			out = append(out, fmt.Sprintf("foreign %s %s changed:\n  was %s\n  now %s", o.Collection, o.Name, o.JSON, got))
		}
	}
	return out
}
