package gceref

import (
	"fmt"
	"net/url"
	"strings"
)

// Defaults are what a bare or partial reference is resolved against: the
// project, region and zone of the request or of the object holding it.
type Defaults struct {
	Project, Region, Zone string
}

// ParseRef reads any reference form GCE and its clients send, expecting a
// resource of the given collection:
//
//	https://www.googleapis.com/compute/v1/projects/p/zones/z/instances/n  (any host, any version, query ignored)
//	http://127.0.0.1:8080/compute/v1/projects/p/global/networks/n          (gcloud's override endpoint)
//	projects/p/regions/r/targetPools/n
//	global/networks/n, regions/r/addresses/n, zones/z/instances/n           (project from d)
//	n                                                                      (project and scope from d)
//
// The result names the collection asked for in a scope that collection
// allows, with every segment valid; anything else is an error naming the
// reference and the reason.
func ParseRef(ref, collection string, d Defaults) (Key, error) {
	k, err := parse(ref, collection, d)
	if err != nil {
		return Key{}, err
	}
	if k.Collection != collection || !Allows(collection, k.Kind) {
		return Key{}, fmt.Errorf("reference %q is not a %s reference", ref, collection)
	}
	return k, nil
}

// Parse reads a reference that names its own project, scope and collection
// (a selfLink or a projects/... path), whatever the collection.
func Parse(ref string) (Key, error) {
	k, err := parse(ref, "", Defaults{})
	if err != nil {
		return Key{}, err
	}
	if !Allows(k.Collection, k.Kind) {
		return Key{}, fmt.Errorf("reference %q: %s is not a known %s collection", ref, k.Collection, k.Kind)
	}
	return k, nil
}

// parse splits ref into a key; collection "" accepts whatever collection a
// qualified reference names and refuses bare names.
func parse(ref, collection string, d Defaults) (Key, error) {
	if ref == "" {
		return Key{}, fmt.Errorf("empty reference")
	}
	path, err := pathOf(ref)
	if err != nil {
		return Key{}, err
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	k := Key{Project: d.Project, Collection: collection}
	if parts[0] == "projects" {
		if len(parts) < 3 || parts[1] == "" {
			return Key{}, fmt.Errorf("reference %q: missing project", ref)
		}
		k.Project = parts[1]
		parts = parts[2:]
	}
	switch {
	case len(parts) == 1 && collection != "":
		bare, ok := BareScope(collection)
		if !ok {
			return Key{}, fmt.Errorf("reference %q: a bare name of collection %q cannot be resolved", ref, collection)
		}
		k.Kind, k.Name = bare, parts[0]
		switch bare {
		case Regional:
			k.Location = d.Region
		case Zonal:
			k.Location = d.Zone
		}
	case len(parts) == 3 && parts[0] == "global":
		k.Kind, k.Collection, k.Name = Global, parts[1], parts[2]
	case len(parts) == 4 && parts[0] == "regions":
		k.Kind, k.Location, k.Collection, k.Name = Regional, parts[1], parts[2], parts[3]
	case len(parts) == 4 && parts[0] == "zones":
		k.Kind, k.Location, k.Collection, k.Name = Zonal, parts[1], parts[2], parts[3]
	default:
		return Key{}, fmt.Errorf("reference %q is not projects/<p>/{global|regions/<r>|zones/<z>}/<collection>/<name>", ref)
	}
	return k, k.check(ref)
}

// pathOf strips the scheme, host and API prefix of a URL, keeping
// projects/...; other forms are returned as they are.
func pathOf(ref string) (string, error) {
	if !strings.HasPrefix(ref, "http://") && !strings.HasPrefix(ref, "https://") {
		return ref, nil
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("reference %q is not a URL: %w", ref, err)
	}
	i := strings.Index(u.Path, "/projects/")
	if i < 0 {
		return "", fmt.Errorf("reference %q has no /projects/ segment", ref)
	}
	return u.Path[i+1:], nil
}

// check refuses a key with a missing or invalid part.
func (k Key) check(ref string) error {
	if k.Name == "" || k.Project == "" || k.Collection == "" || (k.Kind != Global && k.Location == "") {
		return fmt.Errorf("reference %q is incomplete", ref)
	}
	for _, seg := range []string{k.Project, k.Location, k.Collection, k.Name} {
		if !validSegment(seg) {
			return fmt.Errorf("reference %q: %q is not a valid name", ref, seg)
		}
	}
	return nil
}

// validSegment accepts what a project id ("example.com:proj"), a region or
// zone, a collection and a resource name can hold. Anything else (spaces,
// '?', '#', '%' or '/' after unescaping) would make the key's selfLink name
// something else.
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
