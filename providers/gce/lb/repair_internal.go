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

// rewrites are the internal writes that put an object right by making it
// (again: missing, or differing in a field GCE cannot patch) or by
// changing it in place (done: how).
var rewrites = map[ilb.Kind]struct {
	kind   drift.Kind
	object string
	done   string // "": made
}{
	ilb.CreateRule:     {drift.Rule, "forwarding rule", ""},
	ilb.PatchRule:      {drift.Rule, "forwarding rule", "patched"},
	ilb.CreateBackend:  {drift.BackendService, "backend service", ""},
	ilb.PatchBackend:   {drift.BackendService, "backend service", "patched"},
	ilb.CreateCheck:    {drift.Check, "health check", ""},
	ilb.UpdateCheck:    {drift.Check, "health check", "updated"},
	ilb.CreateFirewall: {drift.Firewall, "firewall", ""},
	ilb.PatchFirewall:  {drift.Firewall, "firewall", "patched"},
}

func internalFindingOf(a ilb.Action) (drift.Finding, bool) {
	f := func(k drift.Kind, format string, args ...any) (drift.Finding, bool) {
		return drift.Finding{Kind: k, What: fmt.Sprintf(format, args...)}, true
	}
	differs := strings.Join(a.Differs, ", ")
	if w, ok := rewrites[a.Kind]; ok {
		switch {
		case w.done != "":
			return f(w.kind, "%s %s differed (%s): %s it", w.object, a.Name, differs, w.done)
		case differs != "":
			return f(w.kind, "%s %s differed (%s): made it again", w.object, a.Name, differs)
		}
		return f(w.kind, "%s %s was missing: created it", w.object, a.Name)
	}
	switch a.Kind {
	case ilb.CreateGroup:
		return f(drift.GroupMembers, "instance group %s in %s was missing: created it", a.Name, a.Zone)
	case ilb.AddMembers:
		return f(drift.GroupMembers, "instance group %s in %s lacked %d node(s): added them", a.Name, a.Zone, len(a.Instances))
	case ilb.RemoveMembers:
		return f(drift.GroupMembers, "instance group %s in %s held %d VM(s) that are not its nodes: removed them", a.Name, a.Zone, len(a.Instances))
	case ilb.ReserveAddress:
		return f(drift.Address, "address %s was missing: reserved it", a.Name)
	}
	// Deletions and releases follow changes of the Service, which the
	// service controller makes: not drift.
	return drift.Finding{}, false
}
