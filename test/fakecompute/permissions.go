package fakecompute

import (
	"encoding/json"
	"strings"
)

// The IAM permissions GCE checks for each method, from the Compute Engine
// API reference ("IAM Permissions" of each method, and the access-control
// pages for the permissions a request field adds: a field naming another
// resource needs a permission on that resource). One entry per
// (collection, verb); a method the emulator serves without an entry is
// recorded as such and fails the tests that look (permissions_test.go for
// the route table, the e2e suite for the CCM's calls).

// methodKey is a method as (collection, verb): compute.routes.insert is
// {routes, insert}. It is how the route table names methods (methodID).
type methodKey struct{ collection, verb string }

func methodKeyOf(methodID string) methodKey {
	rest := strings.TrimPrefix(methodID, "compute.")
	i := strings.LastIndex(rest, ".")
	if i < 0 {
		return methodKey{collection: rest}
	}
	return methodKey{collection: rest[:i], verb: rest[i+1:]}
}

// permRule is one method's permissions: always perms, plus what fields of
// the request add (nil: nothing).
type permRule struct {
	perms  []string
	fields func(c *call, body map[string]any) []string
}

// crud fills the usual verbs of a collection: get, list and aggregatedList
// need .get/.list; insert needs .create (GCE names the permission after the
// effect, not the verb); patch and update need .update; delete needs .delete.
func crud(t map[methodKey]permRule, collection string, verbs ...string) {
	perm := map[string]string{"get": "get", "list": "list", "aggregatedList": "list", "insert": "create",
		"patch": "update", "update": "update", "delete": "delete", "setLabels": "setLabels"}
	for _, v := range verbs {
		p, ok := perm[v]
		if !ok {
			panic("crud: no permission convention for verb " + v)
		}
		t[methodKey{collection, v}] = permRule{perms: []string{"compute." + collection + "." + p}}
	}
}

// also adds permissions (fixed, or from fields) to an entry crud made.
func also(t map[methodKey]permRule, collection, verb string, perms []string, fields func(c *call, body map[string]any) []string) {
	k := methodKey{collection, verb}
	r, ok := t[k]
	if !ok {
		panic("also: no entry for " + collection + "." + verb)
	}
	r.perms = append(r.perms, perms...)
	r.fields = fields
	t[k] = r
}

// updatesNetwork: routes and firewall rules change the network's policy,
// so GCE also checks compute.networks.updatePolicy on the network.
var updatesNetwork = []string{"compute.networks.updatePolicy"}

var permissionTable = func() map[methodKey]permRule {
	t := map[methodKey]permRule{}
	one := func(collection, verb, perm string) {
		t[methodKey{collection, verb}] = permRule{perms: []string{perm}}
	}
	one("projects", "get", "compute.projects.get")
	crud(t, "regions", "get", "list")
	crud(t, "zones", "get", "list")
	crud(t, "machineTypes", "get")
	crud(t, "images", "get")
	one("images", "getFromFamily", "compute.images.getFromFamily")
	for _, ops := range []string{"globalOperations", "regionOperations", "zoneOperations"} {
		crud(t, ops, "get", "list", "delete")
		one(ops, "wait", "compute."+ops+".get") // wait is a blocking get
	}
	crud(t, "networks", "get", "list", "insert", "delete")
	crud(t, "subnetworks", "get", "list", "aggregatedList", "insert", "delete")
	also(t, "subnetworks", "insert", updatesNetwork, nil)
	crud(t, "disks", "get", "list")

	crud(t, "instances", "get", "list", "aggregatedList", "insert", "update", "delete")
	also(t, "instances", "insert", nil, instanceInsertFields)
	one("instances", "setTags", "compute.instances.setTags")
	one("instances", "stop", "compute.instances.stop")
	one("instances", "start", "compute.instances.start")

	crud(t, "routes", "get", "list", "insert", "delete")
	also(t, "routes", "insert", updatesNetwork, nil)
	also(t, "routes", "delete", updatesNetwork, nil)

	crud(t, "firewalls", "get", "list", "insert", "patch", "update", "delete")
	for _, v := range []string{"insert", "patch", "update", "delete"} {
		also(t, "firewalls", v, updatesNetwork, nil)
	}

	crud(t, "addresses", "get", "list", "aggregatedList", "insert", "delete", "setLabels")
	also(t, "addresses", "insert", nil, subnetworkField)

	crud(t, "httpHealthChecks", "get", "list", "insert", "patch", "update", "delete")

	crud(t, "targetPools", "get", "list", "aggregatedList", "insert", "delete")
	also(t, "targetPools", "insert", nil, targetPoolInsertFields)
	one("targetPools", "getHealth", "compute.targetPools.get")
	t[methodKey{"targetPools", "addInstance"}] = permRule{perms: []string{"compute.targetPools.addInstance", "compute.instances.use"}}
	one("targetPools", "removeInstance", "compute.targetPools.removeInstance")
	t[methodKey{"targetPools", "addHealthCheck"}] = permRule{perms: []string{"compute.targetPools.addHealthCheck", "compute.httpHealthChecks.useReadOnly"}}
	one("targetPools", "removeHealthCheck", "compute.targetPools.removeHealthCheck")
	t[methodKey{"targetPools", "setBackup"}] = permRule{perms: []string{"compute.targetPools.update", "compute.targetPools.use"}}

	// Internal passthrough load balancers.
	crud(t, "healthChecks", "get", "list", "insert", "patch", "update", "delete")
	crud(t, "regionHealthChecks", "get", "list", "insert", "patch", "update", "delete")
	crud(t, "instanceGroups", "get", "list", "aggregatedList", "insert", "delete")
	one("instanceGroups", "listInstances", "compute.instanceGroups.list")
	t[methodKey{"instanceGroups", "addInstances"}] = permRule{perms: []string{"compute.instanceGroups.update", "compute.instances.use"}}
	one("instanceGroups", "removeInstances", "compute.instanceGroups.update")
	one("instanceGroups", "setNamedPorts", "compute.instanceGroups.update")
	crud(t, "regionBackendServices", "get", "list", "insert", "patch", "update", "delete")
	one("regionBackendServices", "getHealth", "compute.regionBackendServices.get")
	for _, v := range []string{"insert", "patch", "update"} {
		also(t, "regionBackendServices", v, nil, backendServiceFields)
	}

	crud(t, "forwardingRules", "get", "list", "aggregatedList", "insert", "patch", "delete", "setLabels")
	also(t, "forwardingRules", "insert", nil, forwardingRuleInsertFields)
	t[methodKey{"forwardingRules", "setTarget"}] = permRule{perms: []string{"compute.forwardingRules.setTarget", "compute.targetPools.use"}}
	return t
}()

// permissionsFor is what GCE checks for the call; ok is false when the
// method has no entry in the table.
func permissionsFor(c *call, methodID string) (perms []string, ok bool) {
	r, ok := permissionTable[methodKeyOf(methodID)]
	if !ok {
		return nil, false
	}
	perms = append([]string(nil), r.perms...)
	if r.fields != nil {
		var body map[string]any
		_ = json.Unmarshal(c.body, &body) // a malformed body fails in the handler; the fixed permissions still apply
		perms = append(perms, r.fields(c, body)...)
	}
	return perms, true
}

func str(body map[string]any, field string) string {
	s, _ := body[field].(string)
	return s
}

func nonEmptyList(body map[string]any, field string) bool {
	l, _ := body[field].([]any)
	return len(l) > 0
}

// subnetworkField: an INTERNAL address or rule names the subnet it takes
// an IP from.
func subnetworkField(_ *call, body map[string]any) []string {
	if str(body, "subnetwork") != "" {
		return []string{"compute.subnetworks.use"}
	}
	return nil
}

func targetPoolInsertFields(_ *call, body map[string]any) []string {
	var p []string
	if nonEmptyList(body, "instances") {
		p = append(p, "compute.instances.use")
	}
	if nonEmptyList(body, "healthChecks") {
		p = append(p, "compute.httpHealthChecks.useReadOnly")
	}
	if str(body, "backupPool") != "" {
		p = append(p, "compute.targetPools.use")
	}
	return p
}

// forwardingRuleInsertFields: the rule uses what it names. IPAddress needs
// compute.addresses.use when it is a reserved address (by URL, or by the
// literal IP of one); an ephemeral IP needs nothing more.
func forwardingRuleInsertFields(c *call, body map[string]any) []string {
	var p []string
	if ip := str(body, "IPAddress"); ip != "" {
		reserved := strings.Contains(ip, "/addresses/")
		if !reserved {
			_ = c.s.store.read(func(t *tx) error {
				reserved = reservedAddress(t, c.project, c.location, ip) != nil
				return nil
			})
		}
		if reserved {
			p = append(p, "compute.addresses.use")
		}
	}
	if target := str(body, "target"); strings.Contains(target, "/targetPools/") {
		p = append(p, "compute.targetPools.use")
	}
	if str(body, "backendService") != "" {
		p = append(p, "compute.regionBackendServices.use")
	}
	if str(body, "network") != "" {
		p = append(p, "compute.networks.use")
	}
	return append(p, subnetworkField(c, body)...)
}

// instanceInsertFields: what a new VM attaches or sets.
func instanceInsertFields(_ *call, body map[string]any) []string {
	var p []string
	nics, _ := body["networkInterfaces"].([]any)
	for _, n := range nics {
		nic, _ := n.(map[string]any)
		if str(nic, "subnetwork") != "" {
			p = append(p, "compute.subnetworks.use")
		} else {
			p = append(p, "compute.networks.use")
		}
		if nonEmptyList(nic, "accessConfigs") {
			p = append(p, "compute.subnetworks.useExternalIp")
		}
	}
	if nonEmptyList(body, "disks") {
		p = append(p, "compute.disks.create")
	}
	if md, _ := body["metadata"].(map[string]any); nonEmptyList(md, "items") {
		p = append(p, "compute.instances.setMetadata")
	}
	if tags, _ := body["tags"].(map[string]any); nonEmptyList(tags, "items") {
		p = append(p, "compute.instances.setTags")
	}
	if labels, _ := body["labels"].(map[string]any); len(labels) > 0 {
		p = append(p, "compute.instances.setLabels")
	}
	if nonEmptyList(body, "serviceAccounts") {
		p = append(p, "compute.instances.setServiceAccount", "iam.serviceAccounts.actAs")
	}
	return p
}

// backendServiceFields: a backend service uses its backends' instance
// groups and reads its health checks (global or regional).
func backendServiceFields(_ *call, body map[string]any) []string {
	var p []string
	backends, _ := body["backends"].([]any)
	for _, b := range backends {
		if be, _ := b.(map[string]any); str(be, "group") != "" {
			p = append(p, "compute.instanceGroups.use")
			break
		}
	}
	checks, _ := body["healthChecks"].([]any)
	for _, c := range checks {
		hc, _ := c.(string)
		if strings.Contains(hc, "/regions/") {
			p = append(p, "compute.regionHealthChecks.useReadOnly")
		} else if hc != "" {
			p = append(p, "compute.healthChecks.useReadOnly")
		}
	}
	return p
}
