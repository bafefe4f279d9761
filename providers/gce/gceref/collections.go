package gceref

// scopes says where a collection's resources may live (a bit per Scope) and
// in which scope a bare name is resolved. Health checks and backend
// services exist both globally and per region; operations in every scope,
// so a bare operation name is refused (hasBare false).
type scopes struct {
	allowed uint8
	bare    Scope
	hasBare bool
}

func only(s Scope) scopes { return scopes{allowed: 1 << s, bare: s, hasBare: true} }
func either(bare, other Scope) scopes {
	return scopes{allowed: 1<<bare | 1<<other, bare: bare, hasBare: true}
}

// collections lists every Compute collection this project reads, writes or
// emulates. A reference to a collection not listed is refused, so a typo in
// a collection name is an error, not a key nobody can find.
var collections = map[string]scopes{
	"networks":         only(Global),
	"routes":           only(Global),
	"firewalls":        only(Global),
	"httpHealthChecks": only(Global),
	"images":           only(Global),
	"healthChecks":     either(Global, Regional),
	"backendServices":  either(Regional, Global),
	"subnetworks":      only(Regional),
	"addresses":        only(Regional),
	"targetPools":      only(Regional),
	"forwardingRules":  only(Regional),
	"instances":        only(Zonal),
	"instanceGroups":   only(Zonal),
	"disks":            only(Zonal),
	"machineTypes":     only(Zonal),
	"operations":       {allowed: 1<<Global | 1<<Regional | 1<<Zonal},
}

// BareScope is the scope a bare name of the collection is resolved in; ok
// is false for an unknown collection and for operations, which live in
// every scope.
func BareScope(collection string) (s Scope, ok bool) {
	c, known := collections[collection]
	return c.bare, known && c.hasBare
}

// Allows tells whether a resource of the collection may live in the scope.
func Allows(collection string, s Scope) bool {
	c, known := collections[collection]
	return known && s >= Global && s <= Zonal && c.allowed&(1<<s) != 0
}
