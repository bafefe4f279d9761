// Package fakecompute is an in-memory emulator of the Google Compute Engine
// v1 REST API for the networking resources a cloud controller uses. It is an
// http.Handler: serve it on loopback and point any GCE client at it.
package fakecompute

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options sets the topology and the behaviour of a Server.
type Options struct {
	Project       string   // the default project; more with ExtraProjects
	ProjectNumber int64    // numeric id reported by projects.get and the metadata server
	ExtraProjects []string // other projects that exist (a Shared VPC host, say)
	Region        string
	Zones         []string // zones of Region
	// OperationLatency is how long an operation stays RUNNING before it is
	// DONE and its change becomes visible. Zero means DONE at once (the
	// first answer still says RUNNING, as GCE's does).
	OperationLatency time.Duration
	// WaitTimeout bounds operations.wait; GCE answers after about 2 minutes.
	WaitTimeout time.Duration
	// RequireAuth makes API requests without a token the emulator issued fail with 401.
	RequireAuth bool
	// Seed makes probabilistic fault rules reproducible.
	Seed int64
	// MetadataInstance names the VM the metadata server describes ("zone/name");
	// empty describes a synthetic instance "ccm" in the first zone.
	MetadataInstance string
}

func (o *Options) setDefaults() {
	if o.Project == "" {
		o.Project = "demo"
	}
	if o.ProjectNumber == 0 {
		o.ProjectNumber = 123456789012
	}
	if o.Region == "" {
		o.Region = "us-central1"
	}
	if len(o.Zones) == 0 {
		o.Zones = []string{o.Region + "-a", o.Region + "-b", o.Region + "-c"}
	}
	if o.WaitTimeout == 0 {
		o.WaitTimeout = 2 * time.Minute
	}
}

// Server is the emulator: state, behaviour knobs and the HTTP surface.
type Server struct {
	opts   Options
	store  *store
	ops    *operations
	limits *limits
	faults *faults
	stats  *stats
	auth   *authority
	perms  *permTrace // the IAM permissions of every call (permissions.go)
	// collections is the table of stored collections (collections.go);
	// endpoints the HTTP surface derived from it (endpoints.go).
	collections map[string]*collection
	endpoints   map[string]endpoint

	mu       sync.Mutex // guards latency
	latency  time.Duration
	projects map[string]bool
	// regionNames are the regions served, sorted (topology.go).
	regionNames []string
}

// New builds an emulator with the default network "default" and its subnet in
// Options.Region already present, as in a new GCE project.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:    opts,
		store:   newStore(),
		limits:  newLimits(),
		faults:  newFaults(opts.Seed),
		stats:   newStats(),
		auth:    newAuthority(),
		perms:   newPermTrace(),
		latency: opts.OperationLatency,
	}
	s.regionNames = newRegionNames(opts.Region)
	s.projects = map[string]bool{opts.Project: true}
	for _, p := range opts.ExtraProjects {
		s.projects[p] = true
	}
	s.ops = newOperations(s)
	s.collections = newCollections()
	s.endpoints = s.endpointTable()
	s.seedDefaults()
	return s
}

// Options returns the options the server was built with, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// call is one parsed API request, handed to a handler.
type call struct {
	s          *Server
	r          *http.Request
	project    string
	kind       ScopeKind
	location   string
	collection string
	name       string
	verb       string
	methodID   string
	body       []byte
	q          url.Values
	failOp     *apiError // set by a fault rule: the operation fails with it
}

// key is the resource the request path names.
func (c *call) key() Key {
	return Key{Project: c.project, Kind: c.kind, Location: c.location, Collection: c.collection, Name: c.name}
}

// ref is the context against which references in the body are resolved.
func (c *call) ref() Ref {
	r := c.key().Defaults()
	if c.kind == Zonal {
		r.Region = regionOfZone(c.location)
	}
	return r
}

// handler computes the value of a request; the adapter writes it.
type handler func(c *call) (any, error)

// ServeHTTP routes a request: the admin surface, the metadata server, the
// token endpoint, batch, or the Compute API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, adminPrefix):
		s.serveAdmin(w, r)
	case strings.HasPrefix(r.URL.Path, "/computeMetadata/"), r.URL.Path == "/" && r.Header.Get("Metadata-Flavor") != "":
		// The bare root is how some clients (python's google-auth) ping
		// the metadata server.
		s.serveMetadata(w, r)
	case r.URL.Path == tokenPath:
		s.serveToken(w, r)
	case r.URL.Path == "/batch/compute/v1" || r.URL.Path == "/batch/compute/beta" || r.URL.Path == "/batch/compute/alpha" || r.URL.Path == "/batch":
		s.serveBatch(w, r)
	case strings.HasPrefix(r.URL.Path, "/compute/"):
		s.serveAPI(w, r)
	default:
		writeError(w, errNoRoute(r.Method, r.URL.Path))
	}
}

// serveAPI parses /compute/{v1|beta|alpha}/projects/{p}/..., finds the
// endpoint, applies auth, rate limits and faults, and runs the handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c, pattern, ok := s.parse(r)
	rt, found := s.endpoints[pattern]
	if !ok || !found {
		s.stats.record(r, "unknown", http.StatusNotFound, start)
		writeError(w, errNoRoute(r.Method, r.URL.Path))
		return
	}
	c.methodID = rt.methodID
	status, val, err := s.run(c, rt)
	if errors.Is(err, errReset) {
		s.stats.record(r, rt.methodID, 0, start) // status 0: no answer
		resetConnection(w)
		return
	}
	if err != nil {
		ae := asAPIError(err)
		s.stats.record(r, rt.methodID, ae.Code, start)
		writeError(w, ae)
		return
	}
	s.stats.record(r, rt.methodID, status, start)
	writeJSON(w, status, val)
}

func (s *Server) run(c *call, rt endpoint) (int, any, error) {
	if s.opts.RequireAuth && !s.auth.valid(c.r.Header.Get("Authorization")) {
		return 0, nil, errUnauthenticated()
	}
	if err := s.limits.admit(c.project, rt.mutating); err != nil {
		s.stats.rateLimited()
		return 0, nil, err
	}
	f := s.faults.match(c.r.Method, c.r.URL.Path)
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-c.r.Context().Done():
			t.Stop()
		}
	}
	if f.reset {
		return 0, nil, errReset
	}
	if f.err != nil {
		return 0, nil, f.err
	}
	if !s.projects[c.project] && c.collection != "images" {
		return 0, nil, &apiError{Code: http.StatusNotFound, Reason: "notFound",
			Message: "The resource 'projects/" + c.project + "' was not found"}
	}
	switch {
	case c.kind == Regional && !s.hasRegion(c.location):
		return 0, nil, errInvalid("Invalid value for field 'region': '%s'. Unknown region.", c.location)
	case c.kind == Zonal && !s.hasZone(c.location):
		return 0, nil, errInvalid("Invalid value for field 'zone': '%s'. Unknown zone.", c.location)
	}
	if c.r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(c.r.Body, 32<<20))
		if err != nil {
			return 0, nil, errBadJSON(err)
		}
		c.body = b
	}
	if f.failOp != nil {
		c.failOp = f.failOp
	}
	s.perms.record(c, rt.methodID) // the IAM permissions GCE checks (permissions.go)
	val, err := rt.h(c)
	return http.StatusOK, val, err
}

// literalSegments are the fixed words GCE's paths put between a collection
// and a name: images.getFromFamily is GET .../global/images/family/<family>.
var literalSegments = map[string]string{"images": "family"}

// parse splits the path. The pattern replaces every name by "*" so the
// endpoint table reads like the REST reference.
func (s *Server) parse(r *http.Request) (*call, string, bool) {
	rest := strings.TrimPrefix(r.URL.Path, "/compute/")
	ver, rest, _ := strings.Cut(rest, "/")
	if ver != "v1" && ver != "beta" && ver != "alpha" {
		return nil, "", false
	}
	seg := strings.Split(strings.Trim(rest, "/"), "/")
	if len(seg) < 2 || seg[0] != "projects" {
		return nil, "", false
	}
	c := &call{s: s, r: r, project: seg[1], q: r.URL.Query()}
	seg = seg[2:]
	p := "projects/*"
	switch {
	case len(seg) == 0:
	case seg[0] == "global" && len(seg) >= 2:
		c.kind, c.collection = Global, seg[1]
		p += "/global/" + seg[1]
		seg = seg[2:]
	case (seg[0] == "regions" || seg[0] == "zones") && len(seg) <= 2:
		p += "/" + seg[0]
		if len(seg) == 2 {
			c.name = seg[1]
			p += "/*"
		}
		return c, r.Method + " " + p, true
	case seg[0] == "regions" || seg[0] == "zones":
		c.kind, c.location, c.collection = Regional, seg[1], seg[2]
		if seg[0] == "zones" {
			c.kind = Zonal
		}
		p += "/" + seg[0] + "/*/" + seg[2]
		seg = seg[3:]
	case seg[0] == "aggregated" && len(seg) == 2:
		c.collection = seg[1]
		return c, r.Method + " " + p + "/aggregated/" + seg[1], true
	default:
		return nil, "", false
	}
	if len(seg) > 1 && literalSegments[c.collection] == seg[0] {
		// images/family/<family>: the literal is part of the pattern, the
		// segment after it is the name.
		p += "/" + seg[0]
		seg = seg[1:]
	}
	if len(seg) > 0 {
		c.name = seg[0]
		p += "/*"
	}
	if len(seg) > 1 {
		c.verb = seg[1]
		p += "/" + seg[1]
	}
	if len(seg) > 2 {
		return nil, "", false
	}
	return c, r.Method + " " + p, true
}

func (s *Server) opLatency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latency
}

// SetOperationLatency changes how long new operations take.
func (s *Server) SetOperationLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}
