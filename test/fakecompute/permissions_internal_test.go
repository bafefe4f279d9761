package fakecompute

import (
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Every method the emulator serves has an entry in the permission table.
// A collection or verb added without one fails here, naming it: its
// permission must come from the GCE reference, not be guessed as none.
func TestEveryServedMethodHasItsIAMPermissions(t *testing.T) {
	s := New(Options{})
	var missing []string
	for _, rt := range s.endpoints {
		if strings.HasPrefix(rt.methodID, "admin.") {
			continue // the emulator's own surface, not GCE's
		}
		if _, ok := permissionTable[methodKeyOf(rt.methodID)]; !ok {
			missing = append(missing, rt.methodID)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("methods served without an entry in permissionTable (test/fakecompute/permissions.go): %v", missing)
	}
	perm := regexp.MustCompile(`^(compute|iam)\.[a-z][A-Za-z]+\.[a-z][A-Za-z]+$`)
	for k, r := range permissionTable {
		if len(r.perms) == 0 {
			t.Errorf("%s.%s: no permission", k.collection, k.verb)
		}
		for _, p := range r.perms {
			if !perm.MatchString(p) {
				t.Errorf("%s.%s: %q is not a permission name", k.collection, k.verb, p)
			}
		}
	}
}

func TestMethodKeyOf(t *testing.T) {
	for id, want := range map[string]methodKey{
		"compute.routes.insert":         {"routes", "insert"},
		"compute.globalOperations.wait": {"globalOperations", "wait"},
		"compute.projects.get":          {"projects", "get"},
	} {
		if got := methodKeyOf(id); got != want {
			t.Errorf("%s: %+v, want %+v", id, got, want)
		}
	}
}
