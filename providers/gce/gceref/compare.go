package gceref

import "strings"

// Defaults of a key: what a bare or partial reference found next to it
// (in the same project and scope) is resolved against.
func (k Key) Defaults() Defaults {
	d := Defaults{Project: k.Project}
	switch k.Kind {
	case Regional:
		d.Region = k.Location
	case Zonal:
		d.Zone = k.Location
	}
	return d
}

// Is tells whether ref names the resource k, by identity: project, scope,
// collection and name must all match. A partial ref is resolved in k's
// project and scope; a ref that does not parse names nothing.
func (k Key) Is(ref string) bool {
	other, err := ParseRef(ref, k.Collection, k.Defaults())
	return err == nil && other == k
}

// Same tells whether two references of a collection name one resource,
// resolving partial forms against d. Unparseable references are never the
// same as anything, not even as themselves.
func Same(a, b, collection string, d Defaults) bool {
	ka, err := ParseRef(a, collection, d)
	if err != nil {
		return false
	}
	kb, err := ParseRef(b, collection, d)
	return err == nil && ka == kb
}

// Name is the last path segment of a reference: the resource's name, with
// no claim about its project or scope. Use it for display and for deriving
// names, never to decide that two references are one resource (use Is).
func Name(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// SameSet tells whether two lists of references of a collection name the
// same resources, in any order, resolving partial forms against d. A list
// holding a reference that does not parse is the same as no list.
func SameSet(a, b []string, collection string, d Defaults) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[Key]int{}
	for _, ref := range a {
		k, err := ParseRef(ref, collection, d)
		if err != nil {
			return false
		}
		count[k]++
	}
	for _, ref := range b {
		k, err := ParseRef(ref, collection, d)
		if err != nil || count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}
