package fakecompute

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	compute "google.golang.org/api/compute/v1"
)

// The GCE metadata server, so that a program started with
// GCE_METADATA_HOST=<emulator> finds its project, zone, instance and
// Application Default Credentials exactly as on a VM. The tree is built from
// the store on every request, so it follows the described VM's changes.

const metadataPrefix = "/computeMetadata/v1/"

// Node kinds of the metadata tree. A plain string or number is a leaf.
type (
	mdDir   map[string]any  // fixed names (dash-case); JSON keys are camelCased
	mdData  map[string]any  // keys are data (emails, attribute keys): JSON keeps them as they are
	mdList  []any           // numbered entries "0/", "1/", ...: a JSON array
	mdLines []string        // a leaf listed one value per line (scopes)
	mdJSON  struct{ v any } // a leaf whose plain form is JSON already (instance/tags)
	mdFunc  func() any      // computed when read (tokens); not part of recursive dumps
)

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Metadata-Flavor", "Google")
	h.Set("Server", "Metadata Server for VM")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	// GCE refuses proxied requests, a guard against SSRF through the VM.
	if r.Header.Get("X-Forwarded-For") != "" {
		metadataError(w, http.StatusForbidden, r.URL.Path, "Request had an X-Forwarded-For header and was rejected.")
		return
	}
	// Discovery probes (google-auth's ping, the Go library's OnGCE when
	// GCE_METADATA_HOST is unset) GET the root without the flavor header and
	// look only at the response header. ServeHTTP must route "/" here for
	// the bare root to answer.
	switch r.URL.Path {
	case "/":
		writeText(w, "computeMetadata/\n")
		return
	case "/computeMetadata/":
		writeText(w, "v1/\n")
		return
	}
	if r.Header.Get("Metadata-Flavor") != "Google" {
		metadataError(w, http.StatusForbidden, r.URL.Path, "Missing Metadata-Flavor:Google header.")
		return
	}
	if r.Method != http.MethodGet {
		metadataError(w, http.StatusMethodNotAllowed, r.URL.Path, "Method "+r.Method+" is not allowed.")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(metadataPrefix, "/"))
	node, ok := walkMetadata(s.metadataTree(), path)
	if !ok {
		metadataError(w, http.StatusNotFound, r.URL.Path, "The requested URL was not found on this server.")
		return
	}
	q := r.URL.Query()
	recursive := q.Get("recursive") == "true"
	if isMetadataDir(node) && !recursive && !strings.HasSuffix(path, "/") {
		u := *r.URL
		u.Path += "/"
		http.Redirect(w, r, u.String(), http.StatusMovedPermanently)
		return
	}
	alt := q.Get("alt")
	if alt != "" && alt != "json" && alt != "text" {
		metadataError(w, http.StatusBadRequest, r.URL.Path, "Invalid alt parameter "+strconv.Quote(alt)+"; must be json or text.")
		return
	}
	body, asJSON := renderMetadata(node, recursive, alt)
	if q.Get("wait_for_change") == "true" {
		body, asJSON = s.waitMetadataChange(r, path, recursive, alt, body, asJSON)
	}
	h.Set("ETag", metadataETag(body))
	if asJSON {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/text")
	}
	_, _ = w.Write([]byte(body))
}

// waitMetadataChange holds a wait_for_change request until the value's
// ETag differs from last_etag (or from the current one), timeout_sec passes
// or the client leaves, then answers the value as of then.
func (s *Server) waitMetadataChange(r *http.Request, path string, recursive bool, alt, body string, asJSON bool) (string, bool) {
	last := r.URL.Query().Get("last_etag")
	if last != "" && last != metadataETag(body) {
		return body, asJSON
	}
	last = metadataETag(body)
	timeout := 60 * time.Second
	if v, err := strconv.Atoi(r.URL.Query().Get("timeout_sec")); err == nil && v > 0 {
		timeout = time.Duration(v) * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-deadline.C:
			return body, asJSON
		case <-r.Context().Done():
			return body, asJSON
		case <-tick.C:
		}
		if node, ok := walkMetadata(s.metadataTree(), path); ok {
			if b, j := renderMetadata(node, recursive, alt); metadataETag(b) != last {
				return b, j
			}
		}
	}
}

func metadataETag(body string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(body))
	return fmt.Sprintf("%016x", h.Sum64())
}

func writeText(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/text")
	_, _ = w.Write([]byte(body))
}

// metadataError answers as the metadata server does: a short HTML page.
func metadataError(w http.ResponseWriter, code int, path, why string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(code)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=en>\n<p><b>%d.</b> That’s an error.\n<p>Your client does not have permission to get URL <code>%s</code> from this server. %s\n",
		code, path, why)
}

func walkMetadata(node any, path string) (any, bool) {
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		switch n := node.(type) {
		case mdDir:
			node = n[seg]
		case mdData:
			node = n[seg]
		case mdList:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			node = n[i]
		default:
			return nil, false
		}
		if node == nil {
			return nil, false
		}
	}
	return node, true
}

func isMetadataDir(node any) bool {
	switch node.(type) {
	case mdDir, mdData, mdList:
		return true
	}
	return false
}

// renderMetadata returns the body and whether it is JSON. Directories list
// their entries (subdirectories with a trailing slash) unless recursive,
// which dumps them as JSON, or with alt=text as "path value" lines.
func renderMetadata(node any, recursive bool, alt string) (string, bool) {
	if f, ok := node.(mdFunc); ok {
		return mustJSON(f()), true
	}
	switch n := node.(type) {
	case mdDir, mdData, mdList:
		if recursive {
			if alt == "text" {
				var b strings.Builder
				flattenMetadata(&b, "", node)
				return b.String(), false
			}
			return mustJSON(metadataJSON(node)), true
		}
		names := metadataEntries(node)
		if alt == "json" {
			return mustJSON(names), true
		}
		return strings.Join(names, "\n") + "\n", false
	case mdJSON:
		if lines, ok := n.v.([]string); ok && alt == "text" {
			return strings.Join(lines, "\n") + "\n", false
		}
		return mustJSON(n.v), true
	case mdLines:
		if alt == "json" {
			return mustJSON([]string(n)), true
		}
		return strings.Join(n, "\n") + "\n", false
	}
	if alt == "json" {
		return mustJSON(node), true
	}
	return fmt.Sprint(node), false
}

func metadataEntries(node any) []string {
	var names []string
	add := func(name string, kid any) {
		if isMetadataDir(kid) {
			name += "/"
		}
		names = append(names, name)
	}
	switch n := node.(type) {
	case mdDir:
		for _, k := range sortedKeys(n) {
			add(k, n[k])
		}
	case mdData:
		for _, k := range sortedKeys(n) {
			add(k, n[k])
		}
	case mdList:
		for i, kid := range n {
			add(strconv.Itoa(i), kid)
		}
	}
	return names
}

func metadataJSON(node any) any {
	switch n := node.(type) {
	case mdDir:
		out := map[string]any{}
		for k, v := range n {
			if _, dynamic := v.(mdFunc); !dynamic {
				out[camelCase(k)] = metadataJSON(v)
			}
		}
		return out
	case mdData:
		out := map[string]any{}
		for k, v := range n {
			if _, dynamic := v.(mdFunc); !dynamic {
				out[k] = metadataJSON(v)
			}
		}
		return out
	case mdList:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = metadataJSON(v)
		}
		return out
	case mdJSON:
		return n.v
	case mdLines:
		return []string(n)
	}
	return node
}

func flattenMetadata(b *strings.Builder, prefix string, node any) {
	switch n := node.(type) {
	case mdDir, mdData, mdList:
		for _, name := range metadataEntries(node) {
			kid, _ := walkMetadata(node, name)
			if _, dynamic := kid.(mdFunc); !dynamic {
				flattenMetadata(b, prefix+name, kid)
			}
		}
	case mdLines:
		for _, l := range n {
			fmt.Fprintf(b, "%s %s\n", prefix, l)
		}
	case mdJSON:
		fmt.Fprintf(b, "%s %s\n", prefix, mustJSON(n.v))
	default:
		fmt.Fprintf(b, "%s %v\n", prefix, node)
	}
}

// camelCase turns "numeric-project-id" into "numericProjectId", the JSON
// key form of the metadata server.
func camelCase(s string) string {
	parts := strings.Split(s, "-")
	for i := 1; i < len(parts); i++ {
		if p := []rune(parts[i]); len(p) > 0 {
			p[0] = unicode.ToUpper(p[0])
			parts[i] = string(p)
		}
	}
	return strings.Join(parts, "")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// metadataTree is the whole /computeMetadata/v1/ tree as of now.
func (s *Server) metadataTree() mdDir {
	num := s.opts.ProjectNumber
	inst := s.metadataInstance()
	zone := lastSegment(inst.Zone)
	return mdDir{
		"project": mdDir{
			"project-id":         s.opts.Project,
			"numeric-project-id": num,
			"attributes":         mdData{},
		},
		"instance": s.instanceMetadata(inst, zone),
		"universe": mdDir{"universe-domain": "googleapis.com"},
	}
}

func (s *Server) instanceMetadata(inst *compute.Instance, zone string) mdDir {
	num := s.opts.ProjectNumber
	attrs := mdData{}
	if inst.Metadata != nil {
		for _, it := range inst.Metadata.Items {
			if it.Value != nil {
				attrs[it.Key] = *it.Value
			}
		}
	}
	tags := []string{}
	if inst.Tags != nil && inst.Tags.Items != nil {
		tags = inst.Tags.Items
	}
	var disks mdList
	for _, d := range inst.Disks {
		disks = append(disks, mdDir{"device-name": d.DeviceName, "index": d.Index, "interface": "SCSI", "mode": d.Mode, "type": d.Type})
	}
	var nics mdList
	for _, ni := range inst.NetworkInterfaces {
		nics = append(nics, s.nicMetadata(ni))
	}
	cpu := inst.CpuPlatform
	if cpu == "" {
		cpu = "Intel Cascade Lake"
	}
	return mdDir{
		"attributes":         attrs,
		"cpu-platform":       cpu,
		"description":        inst.Description,
		"disks":              disks,
		"hostname":           fmt.Sprintf("%s.%s.c.%s.internal", inst.Name, zone, s.opts.Project),
		"id":                 inst.Id,
		"machine-type":       fmt.Sprintf("projects/%d/machineTypes/%s", num, lastSegment(inst.MachineType)),
		"maintenance-event":  "NONE",
		"name":               inst.Name,
		"network-interfaces": nics,
		"preempted":          "FALSE",
		"scheduling":         mdDir{"automatic-restart": "TRUE", "on-host-maintenance": "MIGRATE", "preemptible": "FALSE"},
		"service-accounts":   s.serviceAccountMetadata(inst.ServiceAccounts),
		"tags":               mdJSON{tags},
		"zone":               fmt.Sprintf("projects/%d/zones/%s", num, zone),
	}
}

func (s *Server) nicMetadata(ni *compute.NetworkInterface) mdDir {
	var acs mdList
	for _, ac := range ni.AccessConfigs {
		acs = append(acs, mdDir{"external-ip": ac.NatIP, "type": ac.Type})
	}
	gateway, mask := "", ""
	_ = s.store.read(func(t *tx) error {
		if sn, err := getAs[compute.Subnetwork](t, keyFromLink(ni.Subnetwork)); err == nil {
			gateway = sn.GatewayAddress
			if p, err := netip.ParsePrefix(sn.IpCidrRange); err == nil {
				mask = prefixMask(p.Bits())
			}
		}
		return nil
	})
	var aliases mdList
	for _, a := range ni.AliasIpRanges {
		aliases = append(aliases, a.IpCidrRange)
	}
	return mdDir{
		"access-configs": acs,
		"dns-servers":    "169.254.169.254",
		"forwarded-ips":  mdList{},
		"gateway":        gateway,
		"ip":             ni.NetworkIP,
		"ip-aliases":     aliases,
		"mac":            macOf(ni.NetworkIP),
		"mtu":            "1460",
		"network":        fmt.Sprintf("projects/%d/networks/%s", s.opts.ProjectNumber, lastSegment(ni.Network)),
		"subnetmask":     mask,
	}
}

// serviceAccountMetadata lists each account under its email and the first
// one also as "default", as GCE does.
func (s *Server) serviceAccountMetadata(sas []*compute.ServiceAccount) mdData {
	out := mdData{}
	for i, sa := range sas {
		aliases := mdLines{}
		if i == 0 {
			aliases = mdLines{"default"}
		}
		dir := mdDir{
			"aliases": aliases,
			"email":   sa.Email,
			"scopes":  mdLines(sa.Scopes),
			"token": mdFunc(func() any {
				return map[string]any{"access_token": s.auth.issue(), "expires_in": int(tokenLifetime.Seconds()) - 1, "token_type": "Bearer"}
			}),
		}
		out[sa.Email] = dir
		if i == 0 {
			out["default"] = dir
		}
	}
	return out
}

// metadataInstance is the VM the server describes: Options.MetadataInstance
// as stored, or a synthetic VM of that name (default "ccm" in the first
// zone) so that a program started before its VM is seeded still has an
// identity.
func (s *Server) metadataInstance() *compute.Instance {
	zone, name := s.opts.Zones[0], "ccm"
	if z, n, ok := strings.Cut(s.opts.MetadataInstance, "/"); ok {
		zone, name = z, n
	}
	k := ZonalKey(s.opts.Project, zone, "instances", name)
	var inst *compute.Instance
	_ = s.store.read(func(t *tx) error {
		inst, _ = getAs[compute.Instance](t, k)
		return nil
	})
	if inst != nil {
		return inst
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(k.Path()))
	return &compute.Instance{
		Name: name, Id: h.Sum64() >> 1, Zone: ScopeLink(s.opts.Project, Zonal, zone),
		MachineType: ZonalKey(s.opts.Project, zone, "machineTypes", "e2-standard-2").SelfLink(),
		NetworkInterfaces: []*compute.NetworkInterface{{
			Network:    GlobalKey(s.opts.Project, "networks", "default").SelfLink(),
			Subnetwork: RegionalKey(s.opts.Project, s.opts.Region, "subnetworks", "default").SelfLink(),
			NetworkIP:  syntheticIP(s.opts.Region),
		}},
		Disks: []*compute.AttachedDisk{{DeviceName: "persistent-disk-0", Mode: "READ_WRITE", Type: "PERSISTENT", Boot: true}},
		ServiceAccounts: []*compute.ServiceAccount{{
			Email:  fmt.Sprintf("%d-compute@developer.gserviceaccount.com", s.opts.ProjectNumber),
			Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"},
		}},
	}
}

// syntheticIP is the last usable address of the default subnet: the
// allocator hands out the lowest free ones, so the two rarely meet.
func syntheticIP(region string) string {
	p := autoRange(region)
	b := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 3
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

func prefixMask(bits int) string {
	m := ^uint32(0) << (32 - bits)
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

// macOf is GCE's scheme: 42:01 followed by the IPv4 address.
func macOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return ""
	}
	b := a.As4()
	return fmt.Sprintf("42:01:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}
