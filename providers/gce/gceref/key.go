package gceref

// Scope says where a resource lives: the project, a region or a zone.
type Scope int

const (
	Global Scope = iota
	Regional
	Zonal
)

func (s Scope) String() string {
	switch s {
	case Regional:
		return "regional"
	case Zonal:
		return "zonal"
	}
	return "global"
}

// SelfLinkBase prefixes every canonical selfLink. GCE itself answers with
// it, and terraform's google provider treats only https:// values as full
// links (shared/reference/gce-rest-clients.md).
const SelfLinkBase = "https://www.googleapis.com/compute/v1/"

// Key identifies one resource. Keys are comparable: two references name the
// same resource exactly when their keys are ==, which takes the project and
// the region or zone into account, not only the name.
type Key struct {
	Project    string
	Kind       Scope
	Location   string // region or zone name; empty when Global
	Collection string // REST collection: "routes", "instances", "operations", ...
	Name       string
}

// GlobalKey, RegionalKey and ZonalKey build keys for a named resource.
func GlobalKey(project, collection, name string) Key {
	return Key{Project: project, Kind: Global, Collection: collection, Name: name}
}

func RegionalKey(project, region, collection, name string) Key {
	return Key{Project: project, Kind: Regional, Location: region, Collection: collection, Name: name}
}

func ZonalKey(project, zone, collection, name string) Key {
	return Key{Project: project, Kind: Zonal, Location: zone, Collection: collection, Name: name}
}

// ScopePath is "global", "regions/<r>" or "zones/<z>".
func (k Key) ScopePath() string {
	switch k.Kind {
	case Regional:
		return "regions/" + k.Location
	case Zonal:
		return "zones/" + k.Location
	}
	return "global"
}

// Path is the resource path below the API version:
// projects/<p>/<scope>/<collection>/<name>.
func (k Key) Path() string {
	p := "projects/" + k.Project + "/" + k.ScopePath() + "/" + k.Collection
	if k.Name != "" {
		p += "/" + k.Name
	}
	return p
}

// SelfLink is the canonical https URL of the resource.
func (k Key) SelfLink() string { return SelfLinkBase + k.Path() }

// Table is the key of the collection the resource belongs to.
func (k Key) Table() Key { k.Name = ""; return k }

// ScopeLink is the URL of the region or zone, or "" for global resources.
func (k Key) ScopeLink() string {
	if k.Kind == Global {
		return ""
	}
	return SelfLinkBase + "projects/" + k.Project + "/" + k.ScopePath()
}

func (k Key) String() string { return k.Path() }

// ScopeLink builds the URL of a region or zone.
func ScopeLink(project string, kind Scope, location string) string {
	return Key{Project: project, Kind: kind, Location: location}.ScopeLink()
}
