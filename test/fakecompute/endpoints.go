package fakecompute

// endpoint is one line of the HTTP surface: a REST method and its handler.
type endpoint struct {
	methodID string // GCE's method id, e.g. compute.routes.insert; the key of the counters
	mutating bool
	h        handler
}

// endpointTable is the whole HTTP surface, keyed by "METHOD pattern": the
// pattern is the request path below /compute/<version>/ with every name
// replaced by "*", so the table reads like the REST reference, or for the
// admin surface the path itself (adminPrefix...). The lines of the stored
// collections are derived from their table entries; the rest are the
// read-only topology, images and operations.
func (s *Server) endpointTable() map[string]endpoint {
	t := map[string]endpoint{}
	add := func(method, pattern, methodID string, h handler) {
		t[method+" projects/*"+pattern] = endpoint{methodID: methodID, mutating: isMutatingMethod(method, methodID), h: h}
	}
	add("GET", "", "compute.projects.get", getProject)
	add("GET", "/regions", "compute.regions.list", listRegions)
	add("GET", "/regions/*", "compute.regions.get", getRegion)
	add("GET", "/zones", "compute.zones.list", listZones)
	add("GET", "/zones/*", "compute.zones.get", getZone)
	add("GET", "/zones/*/machineTypes/*", "compute.machineTypes.get", getMachineType)
	add("GET", "/global/images/*", "compute.images.get", getImage)
	add("GET", "/global/images/family/*", "compute.images.getFromFamily", getImageFromFamily)
	for _, o := range []struct{ scope, id string }{{"/global", "globalOperations"}, {"/regions/*", "regionOperations"}, {"/zones/*", "zoneOperations"}} {
		add("GET", o.scope+"/operations", "compute."+o.id+".list", listOperations)
		add("GET", o.scope+"/operations/*", "compute."+o.id+".get", getOperation)
		add("POST", o.scope+"/operations/*/wait", "compute."+o.id+".wait", waitOperation)
		add("DELETE", o.scope+"/operations/*", "compute."+o.id+".delete", deleteOperation)
	}
	for _, col := range s.collections {
		col.addEndpoints(add)
	}
	for _, a := range adminEndpoints() {
		t[a.method+" "+adminPrefix+a.path] = endpoint{methodID: "admin." + a.path, h: a.h}
	}
	return t
}

// addEndpoints derives a collection's lines from its table entry.
func (col *collection) addEndpoints(add func(method, pattern, methodID string, h handler)) {
	if col.hidden {
		return
	}
	if col.aggregated {
		add("GET", "/aggregated/"+col.name, "compute."+col.name+".aggregatedList", col.aggregatedList)
	}
	for _, sk := range []ScopeKind{Global, Regional, Zonal} {
		if name, ok := col.servedIn(sk); ok {
			col.addScopeEndpoints(add, sk, name)
		}
	}
}

// servedIn says whether the collection is served in a kind of scope, and
// under which name its method ids go there.
func (col *collection) servedIn(sk ScopeKind) (string, bool) {
	if col.served == nil {
		return col.name, sk == col.scope
	}
	name, ok := col.served[sk]
	return name, ok
}

func (col *collection) addScopeEndpoints(add func(method, pattern, methodID string, h handler), sk ScopeKind, name string) {
	scope := map[ScopeKind]string{Global: "/global/", Regional: "/regions/*/", Zonal: "/zones/*/"}[sk]
	coll, one, id := scope+col.name, scope+col.name+"/*", "compute."+name+"."
	add("GET", coll, id+"list", col.list)
	add("GET", one, id+"get", col.get)
	if !col.readOnly {
		add("POST", coll, id+"insert", col.insert)
		add("DELETE", one, id+"delete", col.delete)
	}
	if col.normalise != nil {
		add("PUT", one, id+"update", col.update)
		add("PATCH", one, id+"patch", col.patch)
	}
	for _, v := range col.verbs {
		switch v.name {
		case "":
			add(v.method, one, id+map[string]string{"PUT": "update", "PATCH": "patch"}[v.method], v.h)
		default:
			add(v.method, one+"/"+v.name, id+v.name, v.h)
		}
	}
}
