package lb

import (
	"fmt"
	"strings"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
)

// internalFindingsOf says what each write of an internal load balancer's
// sync put right, with the external kinds' names where the object is the
// same (rule, firewall, check, address) and its own for the backend
// service and the zones' groups.
func internalFindingsOf(actions []ilb.Action) []drift.Finding {
	return findings(actions, internalFindingOf, func(a ilb.Action) (string, bool) { return a.Name, a.Kind == ilb.ReserveAddress },
		func(a ilb.Action) (string, bool) { return a.Name, a.Kind == ilb.ReleaseAddress })
}

func internalFindingOf(a ilb.Action) (drift.Finding, bool) {
	f := func(k drift.Kind, format string, args ...any) (drift.Finding, bool) {
		return drift.Finding{Kind: k, What: fmt.Sprintf(format, args...)}, true
	}
	differs := strings.Join(a.Differs, ", ")
	// made: missing, or differing in a field GCE cannot patch.
	made := func(k drift.Kind, object string) (drift.Finding, bool) {
		if differs != "" {
			return f(k, "%s %s differed (%s): made it again", object, a.Name, differs)
		}
		return f(k, "%s %s was missing: created it", object, a.Name)
	}
	changed := func(k drift.Kind, object, done string) (drift.Finding, bool) {
		return f(k, "%s %s differed (%s): %s it", object, a.Name, differs, done)
	}
	switch a.Kind {
	case ilb.CreateRule:
		return made(drift.Rule, "forwarding rule")
	case ilb.PatchRule:
		return changed(drift.Rule, "forwarding rule", "patched")
	case ilb.CreateBackend:
		return made(drift.BackendService, "backend service")
	case ilb.PatchBackend:
		return changed(drift.BackendService, "backend service", "patched")
	case ilb.CreateGroup:
		return f(drift.GroupMembers, "instance group %s in %s was missing: created it", a.Name, a.Zone)
	case ilb.AddMembers:
		return f(drift.GroupMembers, "instance group %s in %s lacked %d node(s): added them", a.Name, a.Zone, len(a.Instances))
	case ilb.RemoveMembers:
		return f(drift.GroupMembers, "instance group %s in %s held %d VM(s) that are not its nodes: removed them", a.Name, a.Zone, len(a.Instances))
	case ilb.CreateCheck:
		return made(drift.Check, "health check")
	case ilb.UpdateCheck:
		return changed(drift.Check, "health check", "updated")
	case ilb.CreateFirewall:
		return made(drift.Firewall, "firewall")
	case ilb.PatchFirewall:
		return changed(drift.Firewall, "firewall", "patched")
	case ilb.ReserveAddress:
		return f(drift.Address, "address %s was missing: reserved it", a.Name)
	}
	// Deletions and releases follow changes of the Service, which the
	// service controller makes: not drift.
	return drift.Finding{}, false
}
