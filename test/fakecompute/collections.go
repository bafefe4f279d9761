package fakecompute

import (
	"maps"
	"reflect"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// collection is one stored GCE collection, declared once. From it the
// server derives the HTTP endpoint lines (endpoints.go), the get, list,
// aggregatedList and delete verbs, the generic merge-patch and update
// (verbs.go), the in-use check of delete (usage.go) and the state file's
// types (statefile.go). Hand-written handlers remain only for verbs with
// rules of their own.
//
// Adding a collection:
//  1. Add an entry to newCollections: name, scope, Go type, kind, and what
//     applies of render, refs, usedBy, normalise, onDelete and verbs.
//  2. Write its insert (validation, defaults, quota; end with c.stamp) and
//     any own-rule verbs in a file named after it, and list them in verbs.
//  3. A reference it holds that must block the deletion of the referred
//     resource: declare it in refs, and name this collection in the
//     usedBy of the referred collection.
//
// Nothing else has to change: the route lines, the read verbs, delete, the
// state file and the admin dump follow from the entry.
type collection struct {
	name  string    // REST collection name: "routes"
	scope ScopeKind // where its resources live
	// served lists the scopes it is served in, each with the name GCE's
	// method ids give it there ("regionBackendServices"); nil: its scope,
	// under its name.
	served map[ScopeKind]string
	// hidden collections are stored (and saved) but have no HTTP surface:
	// bookkeeping such as an instance group's members.
	hidden bool
	typ    reflect.Type // the compute/v1 struct stored (as a pointer)
	kind   string       // "compute#route"; lists are kind+"List", aggregated lists kind+"AggregatedList"
	// aggregated serves GET projects/*/aggregated/<name>.
	aggregated bool
	// readOnly collections (disks) are written only as a side effect of
	// another verb: no insert, no delete.
	readOnly bool
	// render decorates a stored object at read time with what is derived
	// from other resources (status, users, warnings); nil: as stored.
	render func(t *tx, k Key, o any) any
	// shown are the defaults and zero values GCE answers with on every
	// read (output-only fields and server-side defaults).
	shown []shownField
	// inUseInOperation: a delete of a resource in use is accepted and fails
	// in its operation (RESOURCE_IN_USE_BY_ANOTHER_RESOURCE, HTTP 400 in
	// httpErrorStatusCode), as GCE's networks.delete does; otherwise it is
	// refused synchronously with 400 resourceInUseByAnotherResource.
	inUseInOperation bool
	shownPaths       []shownPath // shown, resolved against typ
	// refs are the references its resources hold to other resources.
	refs []ref
	// usedBy are the collections whose references (their refs) to a
	// resource of this one make its delete fail with resourceInUse.
	usedBy []string
	// title names one resource in messages: "firewall rule".
	title string
	// normalise checks and completes a whole resource written by update
	// (PUT) or patch (merge patch; patch is true), against the stored one.
	// nil: the collection has neither verb.
	normalise func(c *call, t *tx, cur, next any, patch bool) error
	// onDelete runs the collection's own delete rules after the in-use
	// check: cascades, and in-use conditions that are not a reference.
	onDelete func(t *tx, k Key, o any) error
	// insert is the insert verb (own rules: validation, defaults, quota).
	insert handler
	// verbs are the collection's other methods with rules of their own.
	verbs []verb
}

// verb is a method on one resource: METHOD .../<name>/<verb>, or on the
// resource itself when name is "" (instances.update is a PUT).
type verb struct {
	method, name string
	h            handler
}

// ref is a reference its resources hold to a resource of another collection.
type ref struct {
	to    string
	links func(o any) []string // the canonical links an object holds
}

// refsTo declares a reference held by resources of type T.
func refsTo[T any](to string, links func(*T) []string) ref {
	return ref{to: to, links: func(o any) []string {
		if v, ok := o.(*T); ok {
			return links(v)
		}
		return nil
	}}
}

// renderAs is a renderer of resources of type T: render decorates a copy
// of the stored object (which it must not change); another type is
// answered as stored.
func renderAs[T any](render func(t *tx, k Key, out *T)) func(t *tx, k Key, o any) any {
	return func(t *tx, k Key, o any) any {
		v, ok := o.(*T)
		if !ok {
			return o
		}
		out := *v
		render(t, k, &out)
		return &out
	}
}

func one(link string) []string {
	if link == "" {
		return nil
	}
	return []string{link}
}

// newCollections is the table of stored collections.
func newCollections() map[string]*collection {
	table := []*collection{
		{name: "networks", scope: Global, typ: reflect.TypeFor[compute.Network](), kind: "compute#network",
			insert: insertNetwork, onDelete: deleteNetworkSubnets, inUseInOperation: true,
			usedBy: []string{"routes", "firewalls", "forwardingRules", "instances"},
			shown: []shownField{{"autoCreateSubnetworks", nil}, {"routingConfig.routingMode", "REGIONAL"},
				{"routingConfig.bgpBestPathSelectionMode", "LEGACY"}, {"networkFirewallPolicyEnforcementOrder", "AFTER_CLASSIC_FIREWALL"}}},
		{name: "subnetworks", scope: Regional, typ: reflect.TypeFor[compute.Subnetwork](), kind: "compute#subnetwork",
			aggregated: true, insert: insertSubnetwork, onDelete: unlistSubnetwork,
			shown: []shownField{{"state", "READY"}, {"privateIpGoogleAccess", nil}, {"privateIpv6GoogleAccess", "DISABLE_GOOGLE_ACCESS"},
				{"enableFlowLogs", nil}, {"logConfig.enable", nil}},
			refs:   []ref{refsTo("networks", func(s *compute.Subnetwork) []string { return one(s.Network) })},
			usedBy: []string{"instances", "addresses"}},
		{name: "routes", scope: Global, typ: reflect.TypeFor[compute.Route](), kind: "compute#route",
			insert: insertRoute, render: renderRoute, onDelete: keepLocalRoute, shown: []shownField{{"priority", nil}},
			refs: []ref{
				refsTo("networks", networkOfUserRoute),
				refsTo("instances", func(r *compute.Route) []string { return one(r.NextHopInstance) }),
			}},
		{name: "firewalls", scope: Global, typ: reflect.TypeFor[compute.Firewall](), kind: "compute#firewall",
			title: "firewall rule", insert: insertFirewall, normalise: normaliseFirewallWrite,
			// Priority 0 and logging disabled are answers, not absences, to
			// a client diffing them.
			shown: []shownField{{"priority", nil}, {"logConfig.enable", nil}},
			refs:  []ref{refsTo("networks", func(f *compute.Firewall) []string { return one(f.Network) })}},
		{name: "instances", scope: Zonal, typ: reflect.TypeFor[compute.Instance](), kind: "compute#instance",
			aggregated: true, insert: insertInstance, onDelete: deleteInstanceDisks,
			refs: []ref{
				refsTo("networks", func(i *compute.Instance) []string { return interfaceLinks(i, false) }),
				refsTo("subnetworks", func(i *compute.Instance) []string { return interfaceLinks(i, true) }),
			},
			verbs: []verb{
				{"PUT", "", updateInstance},
				{"POST", "setTags", setInstanceTags},
				{"POST", "stop", setInstanceStatus(StatusTerminated, "stop")},
				{"POST", "start", setInstanceStatus(StatusRunning, "start")},
			}},
		{name: "disks", scope: Zonal, typ: reflect.TypeFor[compute.Disk](), kind: "compute#disk", readOnly: true},
		{name: "httpHealthChecks", scope: Global, typ: reflect.TypeFor[compute.HttpHealthCheck](), kind: "compute#httpHealthCheck",
			title: "health check", insert: insertHTTPHealthCheck, normalise: normaliseHTTPHealthCheckWrite,
			// The upstream provider relies on this 400 to keep a shared check alive.
			usedBy: []string{"targetPools"}},
		{name: "addresses", scope: Regional, typ: reflect.TypeFor[compute.Address](), kind: "compute#address",
			aggregated: true, insert: insertAddress, render: renderAddress, shown: []shownField{{"description", nil}},
			// No usedBy: deleting an address in use releases the reservation
			// and the rule or VM keeps the IP as ephemeral. The upstream
			// provider depends on it, deleting its address right after
			// creating the forwarding rule to "demote the static IP back to
			// ephemeral".
			refs:  []ref{refsTo("subnetworks", func(a *compute.Address) []string { return one(a.Subnetwork) })},
			verbs: []verb{{"POST", "setLabels", setLabels(addressLabels)}}},
		{name: "targetPools", scope: Regional, typ: reflect.TypeFor[compute.TargetPool](), kind: "compute#targetPool",
			aggregated: true, insert: insertTargetPool,
			refs: []ref{
				refsTo("instances", func(p *compute.TargetPool) []string { return p.Instances }),
				refsTo("httpHealthChecks", func(p *compute.TargetPool) []string { return p.HealthChecks }),
				refsTo("targetPools", func(p *compute.TargetPool) []string { return one(p.BackupPool) }),
			},
			usedBy: []string{"forwardingRules", "targetPools"},
			verbs: []verb{
				{"POST", "addInstance", addPoolInstances},
				{"POST", "removeInstance", removePoolInstances},
				{"POST", "addHealthCheck", addPoolHealthCheck},
				{"POST", "removeHealthCheck", removePoolHealthCheck},
				{"POST", "getHealth", getPoolHealth},
				{"POST", "setBackup", setPoolBackup},
			}},
		{name: "instanceGroups", scope: Zonal, typ: reflect.TypeFor[compute.InstanceGroup](), kind: "compute#instanceGroup",
			aggregated: true, insert: insertInstanceGroup, render: renderInstanceGroup, onDelete: dropGroupMembers,
			usedBy: []string{"backendServices"},
			verbs: []verb{
				{"POST", "addInstances", addGroupInstances},
				{"POST", "removeInstances", removeGroupInstances},
				{"POST", "listInstances", listGroupInstances},
				{"POST", "setNamedPorts", setNamedPorts},
			}},
		{name: membersCollection, scope: Zonal, typ: reflect.TypeFor[compute.InstanceGroupsAddInstancesRequest](), hidden: true},
		{name: "healthChecks", scope: Global, typ: reflect.TypeFor[compute.HealthCheck](), kind: "compute#healthCheck",
			served: map[ScopeKind]string{Global: "healthChecks", Regional: "regionHealthChecks"},
			title:  "health check", insert: insertHealthCheck, normalise: normaliseHealthCheckWrite,
			usedBy: []string{"backendServices"}},
		{name: "backendServices", scope: Regional, typ: reflect.TypeFor[compute.BackendService](), kind: "compute#backendService",
			served: map[ScopeKind]string{Regional: "regionBackendServices"},
			title:  "backend service", insert: insertBackendService, normalise: normaliseBackendServiceWrite,
			refs: []ref{
				refsTo("instanceGroups", func(b *compute.BackendService) []string { return slices.Sorted(maps.Keys(backendGroups(b))) }),
				refsTo("healthChecks", func(b *compute.BackendService) []string { return b.HealthChecks }),
			},
			usedBy: []string{"forwardingRules"},
			verbs:  []verb{{"POST", "getHealth", getBackendHealth}}},
		{name: "forwardingRules", scope: Regional, typ: reflect.TypeFor[compute.ForwardingRule](), kind: "compute#forwardingRule",
			aggregated: true, insert: insertForwardingRule,
			refs: []ref{
				refsTo("targetPools", func(f *compute.ForwardingRule) []string { return one(f.Target) }),
				refsTo("backendServices", func(f *compute.ForwardingRule) []string { return one(f.BackendService) }),
				refsTo("networks", func(f *compute.ForwardingRule) []string { return one(f.Network) }),
			},
			verbs: []verb{
				{"POST", "setTarget", setForwardingRuleTarget},
				{"POST", "setLabels", setLabels(forwardingRuleLabels)},
				{"PATCH", "", patchForwardingRule},
			}},
	}
	out := make(map[string]*collection, len(table))
	for _, c := range table {
		c.shownPaths = resolveShown(c.typ, c.shown)
		out[c.name] = c
	}
	return out
}

// interfaceLinks are the networks (or subnetworks) of a VM's interfaces.
func interfaceLinks(inst *compute.Instance, subnets bool) []string {
	var out []string
	for _, ni := range inst.NetworkInterfaces {
		l := ni.Network
		if subnets {
			l = ni.Subnetwork
		}
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}
