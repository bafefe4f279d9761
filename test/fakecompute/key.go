package fakecompute

import (
	"fmt"
	"net/url"
	"strings"
)

// ScopeKind says where a resource lives: the project, a region or a zone.
type ScopeKind int

const (
	Global ScopeKind = iota
	Regional
	Zonal
)

// SelfLinkBase is the prefix of every selfLink the emulator emits. Real GCE
// uses it and terraform treats only https:// values as full links.
const SelfLinkBase = "https://www.googleapis.com/compute/v1/"

// Key identifies one resource: the spine of the store, of selfLinks and of
// operation scopes. Keys are comparable and used directly as map keys.
type Key struct {
	Project    string
	Kind       ScopeKind
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

// Path is the resource path below the API version: projects/p/<scope>/<collection>/<name>.
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

// scopeOf tells in which kind of scope a collection lives. Collections not
// listed are unknown to the emulator.
var scopeOf = map[string]ScopeKind{
	"networks":         Global,
	"routes":           Global,
	"firewalls":        Global,
	"httpHealthChecks": Global,
	"images":           Global,
	"subnetworks":      Regional,
	"addresses":        Regional,
	"targetPools":      Regional,
	"forwardingRules":  Regional,
	"instances":        Zonal,
	"disks":            Zonal,
	"machineTypes":     Zonal,
}

// Ref is the context a bare or partial reference is resolved against.
type Ref struct {
	Project, Region, Zone string
}

// ParseRef normalises every reference form clients send (full https links on
// any host, links on the emulator's own host with /compute/<version>/,
// "projects/...", "global/...", "regions/...", "zones/..." and bare names)
// into a Key of the wanted collection.
func ParseRef(ref, collection string, ctx Ref) (Key, error) {
	orig := ref
	if ref == "" {
		return Key{}, fmt.Errorf("empty reference")
	}
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		u, err := url.Parse(ref)
		if err != nil {
			return Key{}, fmt.Errorf("reference %q is not a URL: %v", orig, err)
		}
		ref = u.Path
		i := strings.Index(ref, "/projects/")
		if i < 0 {
			return Key{}, fmt.Errorf("reference %q has no /projects/ segment", orig)
		}
		ref = ref[i+1:]
	}
	ref = strings.TrimPrefix(ref, "/")
	parts := strings.Split(ref, "/")
	k := Key{Project: ctx.Project, Collection: collection}
	if parts[0] == "projects" {
		if len(parts) < 3 || parts[1] == "" {
			return Key{}, fmt.Errorf("reference %q: missing project", orig)
		}
		k.Project = parts[1]
		parts = parts[2:]
	}
	want, known := scopeOf[collection]
	if !known {
		return Key{}, fmt.Errorf("reference %q: unknown collection %q", orig, collection)
	}
	switch {
	case len(parts) == 1:
		// A bare name takes its scope from the context of the request.
		k.Kind = want
		switch want {
		case Regional:
			k.Location = ctx.Region
		case Zonal:
			k.Location = ctx.Zone
		}
		k.Name = parts[0]
	case len(parts) == 3 && parts[0] == "global":
		k.Kind, k.Collection, k.Name = Global, parts[1], parts[2]
	case len(parts) == 4 && parts[0] == "regions":
		k.Kind, k.Location, k.Collection, k.Name = Regional, parts[1], parts[2], parts[3]
	case len(parts) == 4 && parts[0] == "zones":
		k.Kind, k.Location, k.Collection, k.Name = Zonal, parts[1], parts[2], parts[3]
	default:
		return Key{}, fmt.Errorf("reference %q is not a %s reference", orig, collection)
	}
	if k.Collection != collection || k.Kind != want {
		return Key{}, fmt.Errorf("reference %q is not a %s reference", orig, collection)
	}
	if k.Name == "" || k.Project == "" || (k.Kind != Global && k.Location == "") {
		return Key{}, fmt.Errorf("reference %q is incomplete", orig)
	}
	for _, seg := range []string{k.Project, k.Location, k.Name} {
		if !validSegment(seg) {
			return Key{}, fmt.Errorf("reference %q: %q is not a valid name", orig, seg)
		}
	}
	return k, nil
}

// validSegment accepts what a project id ("example.com:proj"), a region or
// zone and a resource name can hold. Anything else (spaces, '?', '#', '%'
// after unescaping) would make the key's selfLink name something else.
func validSegment(s string) bool {
	if s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '~':
		default:
			return false
		}
	}
	return true
}

// ScopeLink builds the URL of a region or zone.
func ScopeLink(project string, kind ScopeKind, location string) string {
	return Key{Project: project, Kind: kind, Location: location}.ScopeLink()
}

// lastSegment returns what follows the last slash of a URL or path.
func lastSegment(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}
