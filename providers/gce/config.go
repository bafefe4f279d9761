package gce

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/gcfg.v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// Stack types, as in the upstream provider's stack-type key.
const (
	StackIPv4     = "IPV4"
	StackIPv6     = "IPV6"
	StackDualIPv4 = "IPV4_IPV6"
)

// IP forwarding controller modes (our key gce-ccm-ipforward-mode).
const (
	IPForwardEnforce = "enforce"
	IPForwardAudit   = "audit"
	IPForwardOff     = "off"
)

// ConfigFile is gce.conf as written: section [global] with the upstream
// provider's keys, plus ours, all prefixed "gce-ccm-" so nobody mistakes
// them for upstream keys.
type ConfigFile struct {
	Global struct {
		ProjectID          string   `gcfg:"project-id"`
		NetworkProjectID   string   `gcfg:"network-project-id"`
		NetworkName        string   `gcfg:"network-name"`
		SubnetworkName     string   `gcfg:"subnetwork-name"`
		SecondaryRangeName string   `gcfg:"secondary-range-name"`
		NodeTags           []string `gcfg:"node-tags"`
		NodeInstancePrefix string   `gcfg:"node-instance-prefix"`
		Regional           bool     `gcfg:"regional"`
		Multizone          bool     `gcfg:"multizone"`
		APIEndpoint        string   `gcfg:"api-endpoint"`
		ContainerEndpoint  string   `gcfg:"container-api-endpoint"`
		TokenURL           string   `gcfg:"token-url"`
		TokenBody          string   `gcfg:"token-body"`
		LocalZone          string   `gcfg:"local-zone"`
		StackType          string   `gcfg:"stack-type"`
		AlphaFeatures      []string `gcfg:"alpha-features"`

		// Ours.
		IPForwardMode      string `gcfg:"gce-ccm-ipforward-mode"`
		ReadsPerSecond     string `gcfg:"gce-ccm-api-reads-per-second"`
		MutationsPerSecond string `gcfg:"gce-ccm-api-mutations-per-second"`
		PollInterval       string `gcfg:"gce-ccm-operation-poll-interval"`
		ResyncPeriod       string `gcfg:"gce-ccm-resync-period"`
	}
}

// DefaultResyncPeriod is how often, at the longest, what the controller owns
// in GCE is compared with what should exist when gce.conf does not say.
// Five minutes matches the ipforward controller's resync; at 5,000 nodes a
// route comparison is 10 reads (500 routes per page), 2 reads a minute.
const DefaultResyncPeriod = 5 * time.Minute

// Config is gce.conf checked and normalised.
type Config struct {
	ProjectID          string
	NetworkProjectID   string // equals ProjectID unless Shared VPC
	NetworkName        string // a name; NetworkURL builds the link
	NetworkURL         string
	SubnetworkName     string
	NodeTags           []string
	NodeInstancePrefix string
	Regional           bool
	Multizone          bool
	APIEndpoint        string // host root for apiv1 ("" = Google's)
	TokenURL           string
	TokenBody          string
	LocalZone          string
	StackType          string
	IPForwardMode      string
	ReadsPerSecond     float64
	MutationsPerSecond float64
	PollInterval       time.Duration
	// ResyncPeriod bounds the repair time of drift in GCE: every object the
	// controller owns is compared with what should exist at least this often.
	ResyncPeriod time.Duration
	// Warnings are findings that do not stop start-up (unknown keys).
	Warnings []string
}

// ConfigError names the key at fault and why.
type ConfigError struct {
	Key    string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("gce.conf: %s: %s", e.Key, e.Reason) }

// MetadataDefaults supplies what gce.conf may leave out when the controller
// runs on a GCE VM (or with GCE_METADATA_HOST set).
type MetadataDefaults interface {
	ProjectID() (string, error)
	Zone() (string, error)
}

// ParseConfig reads gce.conf. A nil reader is an empty file. md, when not
// nil, fills project-id and local-zone when they are absent.
func ParseConfig(r io.Reader, md MetadataDefaults) (*Config, error) {
	var f ConfigFile
	var warnings []string
	if r != nil {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("gce.conf: reading: %w", err)
		}
		if err := gcfg.ReadStringInto(&f, string(b)); err != nil {
			if fatal := gcfg.FatalOnly(err); fatal != nil {
				return nil, fmt.Errorf("gce.conf: %w", fatal)
			}
			warnings = unknownKeyWarnings(err)
		}
	}
	return buildConfig(&f, warnings, md)
}

// unknownKeyWarnings turns gcfg's extra-data warnings into one line per key.
func unknownKeyWarnings(err error) []string {
	var out []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "warning:"))
		if line == "" {
			continue
		}
		if i := strings.Index(line, "variable \""); i >= 0 {
			name := strings.TrimSuffix(line[i+len("variable \""):], "\"")
			out = append(out, fmt.Sprintf("gce.conf: unknown key %q in [global]: ignored", name))
			continue
		}
		if i := strings.Index(line, "section \""); i >= 0 {
			out = append(out, fmt.Sprintf("gce.conf: unknown %s: ignored", strings.TrimPrefix(line[i:], "can't store data at ")))
			continue
		}
		out = append(out, "gce.conf: "+line)
	}
	return out
}

func buildConfig(f *ConfigFile, warnings []string, md MetadataDefaults) (*Config, error) {
	g := f.Global
	c := &Config{
		ProjectID: strings.TrimSpace(g.ProjectID), NetworkProjectID: strings.TrimSpace(g.NetworkProjectID),
		SubnetworkName: g.SubnetworkName, NodeTags: g.NodeTags, NodeInstancePrefix: g.NodeInstancePrefix,
		Regional: g.Regional, Multizone: g.Multizone, TokenBody: g.TokenBody, LocalZone: strings.TrimSpace(g.LocalZone),
		Warnings: warnings,
	}
	if err := c.defaultFrom(md); err != nil {
		return nil, err
	}
	if !gceref.ValidName(c.ProjectID) && !isNumber(c.ProjectID) {
		return nil, &ConfigError{Key: "project-id", Reason: fmt.Sprintf("%q is not a project id (6-30 lowercase letters, digits, hyphens)", c.ProjectID)}
	}
	if c.NetworkProjectID == "" {
		c.NetworkProjectID = c.ProjectID
	}
	if strings.Count(c.LocalZone, "-") < 2 {
		return nil, &ConfigError{Key: "local-zone", Reason: fmt.Sprintf("%q is not a zone name like us-central1-a", c.LocalZone)}
	}
	if err := c.setNetwork(g.NetworkName); err != nil {
		return nil, err
	}
	if err := c.setEndpoint(g.APIEndpoint); err != nil {
		return nil, err
	}
	if err := c.setToken(g.TokenURL); err != nil {
		return nil, err
	}
	for i, t := range c.NodeTags {
		if !gceref.ValidName(t) {
			return nil, &ConfigError{Key: "node-tags", Reason: fmt.Sprintf("value %d %q is not a valid network tag (RFC 1035: lowercase letters, digits, hyphens, 1-63 chars)", i+1, t)}
		}
	}
	var err error
	if c.StackType, err = oneOf("stack-type", g.StackType, strings.ToUpper, StackIPv4, StackIPv6, StackDualIPv4); err != nil {
		return nil, err
	}
	if c.IPForwardMode, err = oneOf("gce-ccm-ipforward-mode", g.IPForwardMode, strings.ToLower, IPForwardEnforce, IPForwardAudit, IPForwardOff); err != nil {
		return nil, err
	}
	if c.ReadsPerSecond, err = positiveFloat("gce-ccm-api-reads-per-second", g.ReadsPerSecond); err != nil {
		return nil, err
	}
	if c.MutationsPerSecond, err = positiveFloat("gce-ccm-api-mutations-per-second", g.MutationsPerSecond); err != nil {
		return nil, err
	}
	if c.PollInterval, err = positiveDuration("gce-ccm-operation-poll-interval", g.PollInterval, 0); err != nil {
		return nil, err
	}
	if c.ResyncPeriod, err = positiveDuration("gce-ccm-resync-period", g.ResyncPeriod, DefaultResyncPeriod); err != nil {
		return nil, err
	}
	c.warnIgnored(f)
	return c, nil
}

// warnIgnored warns of upstream keys gce.conf may hold that gce-ccm does
// not use.
func (c *Config) warnIgnored(f *ConfigFile) {
	g := f.Global
	if len(g.AlphaFeatures) > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("gce.conf: alpha-features %v have no effect in gce-ccm: ignored", g.AlphaFeatures))
	}
	if g.SecondaryRangeName != "" || g.ContainerEndpoint != "" {
		c.Warnings = append(c.Warnings, "gce.conf: secondary-range-name and container-api-endpoint are upstream keys gce-ccm does not use: ignored")
	}
}

// defaultFrom fills the project and the local zone, when gce.conf leaves
// them out, from the metadata server (nil: none).
func (c *Config) defaultFrom(md MetadataDefaults) error {
	if c.ProjectID != "" && c.LocalZone != "" {
		return nil
	}
	if md == nil {
		missing := "project-id"
		if c.ProjectID != "" {
			missing = "local-zone"
		}
		return &ConfigError{Key: missing, Reason: "not set, and no metadata server to read it from (set it, or run on GCE / set GCE_METADATA_HOST)"}
	}
	if c.ProjectID == "" {
		p, err := md.ProjectID()
		if err != nil {
			return &ConfigError{Key: "project-id", Reason: fmt.Sprintf("not set, and the metadata server did not answer: %v", err)}
		}
		c.ProjectID = p
	}
	if c.LocalZone == "" {
		z, err := md.Zone()
		if err != nil {
			return &ConfigError{Key: "local-zone", Reason: fmt.Sprintf("not set, and the metadata server did not answer: %v", err)}
		}
		c.LocalZone = z
	}
	return nil
}

// Region is the region of the local zone.
func (c *Config) Region() string { return c.LocalZone[:strings.LastIndex(c.LocalZone, "-")] }

func (c *Config) setNetwork(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		v = "default"
	}
	if strings.Contains(v, "/") {
		// A full or partial URL, as upstream accepts: .../projects/P/global/networks/N.
		i := strings.Index(v, "projects/")
		parts := strings.Split(strings.Trim(v[max(i, 0):], "/"), "/")
		if i < 0 || len(parts) != 5 || parts[2] != "global" || parts[3] != "networks" {
			return &ConfigError{Key: "network-name", Reason: fmt.Sprintf("%q is neither a name nor a network URL (projects/P/global/networks/N)", v)}
		}
		c.NetworkProjectID, v = parts[1], parts[4]
	}
	if !gceref.ValidName(v) {
		return &ConfigError{Key: "network-name", Reason: fmt.Sprintf("%q is not a valid network name", v)}
	}
	c.NetworkName = v
	c.NetworkURL = "https://www.googleapis.com/compute/v1/projects/" + c.NetworkProjectID + "/global/networks/" + v
	return nil
}

// setEndpoint accepts the upstream form (a base path ending in
// /compute/v1/) or a host root, and keeps the host root apiv1 wants.
func (c *Config) setEndpoint(v string) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{Key: "api-endpoint", Reason: fmt.Sprintf("%q is not an absolute http(s) URL", v)}
	}
	p := strings.Trim(u.Path, "/")
	if p != "" && p != "compute/v1" && p != "compute/beta" && p != "compute/alpha" {
		return &ConfigError{Key: "api-endpoint", Reason: fmt.Sprintf("path %q: expected the host root or /compute/v1/", u.Path)}
	}
	c.APIEndpoint = u.Scheme + "://" + u.Host
	return nil
}

func (c *Config) setToken(v string) error {
	v = strings.TrimSpace(v)
	// Upstream treats the literal "nil" as unset.
	if v == "" || v == "nil" {
		if c.TokenBody != "" {
			return &ConfigError{Key: "token-body", Reason: "set without token-url"}
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &ConfigError{Key: "token-url", Reason: fmt.Sprintf("%q is not an absolute http(s) URL", v)}
	}
	c.TokenURL = v
	return nil
}

func positiveDuration(key, v string, def time.Duration) (time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return def, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		return 0, &ConfigError{Key: key, Reason: fmt.Sprintf("%q is not a positive duration like 1s", v)}
	}
	return d, nil
}

func positiveFloat(key, v string) (float64, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	// ParseFloat reads "NaN" and "Inf": neither is a rate a limiter can
	// use (NaN compares false with everything, so it would pass a <= 0 check).
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, &ConfigError{Key: key, Reason: fmt.Sprintf("%q is not a positive finite number", v)}
	}
	return f, nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// oneOf reads an enumerated key: its value in the case the key takes
// (fold), the first allowed value when unset.
func oneOf(key, raw string, fold func(string) string, allowed ...string) (string, error) {
	v := fold(strings.TrimSpace(raw))
	switch {
	case v == "":
		return allowed[0], nil
	case slices.Contains(allowed, v):
		return v, nil
	}
	return "", &ConfigError{Key: key, Reason: fmt.Sprintf("%q is not one of %s", raw, strings.Join(allowed, ", "))}
}
