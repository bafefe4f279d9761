package gce

import (
	"math"
	"strings"
	"testing"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// FuzzParseConfig: gce.conf is read at start-up from a file an operator
// writes. Any input either stops start-up with an error that names
// gce.conf (a ConfigError names the key), or gives a Config every user of
// it can rely on without checking again: a valid project, a zone whose
// region can be cut (Region), a network URL, finite positive API rates,
// a positive poll interval.
func FuzzParseConfig(f *testing.F) {
	base := "[global]\nproject-id = p1\nlocal-zone = us-east1-b\n"
	for _, s := range []string{
		"",
		"[global]\n",
		base,
		base + "network-name = https://www.googleapis.com/compute/v1/projects/host/global/networks/shared\n",
		base + "api-endpoint = https://www.googleapis.com/compute/v1/\ntoken-url = nil\n",
		base + "node-tags = a\nnode-tags = b\nmultizone = true\nregional = false\n",
		base + "gce-ccm-api-reads-per-second = 20\ngce-ccm-api-mutations-per-second = 5\ngce-ccm-operation-poll-interval = 1s\n",
		base + "gce-ccm-api-reads-per-second = NaN\n",
		base + "gce-ccm-api-mutations-per-second = +Inf\n",
		base + "stack-type = ipv4_ipv6\ngce-ccm-ipforward-mode = AUDIT\n",
		base + "frobnicate = yes\n",
		base + "alpha-features = x\nsecondary-range-name = r\n",
		"[global\nproject-id = p1\n",
		"[global]\nproject-id = p1\nlocal-zone = --\n",
		"[global]\nproject-id = 123456789012\nlocal-zone = a-b-\n",
		"[global]\nproject-id = \"quoted\"\nlocal-zone = \"us-east1-b\" ; comment\n",
		"[global]\nlocal-zone\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, conf string, withMetadata bool) {
		var md MetadataDefaults
		if withMetadata {
			md = fakeMetadata{project: "md-proj", zone: "europe-west1-c"}
		}
		c, err := ParseConfig(strings.NewReader(conf), md)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "gce.conf: ") {
				t.Fatalf("error %q does not say it is about gce.conf", err)
			}
			if ce, ok := asConfigError(err); ok && (ce.Key == "" || ce.Reason == "") {
				t.Fatalf("ConfigError without key or reason: %+v", ce)
			}
			return
		}
		if !gceref.ValidName(c.ProjectID) && !isNumber(c.ProjectID) {
			t.Fatalf("accepted project %q", c.ProjectID)
		}
		if r := c.Region(); r == "" || !strings.HasPrefix(c.LocalZone, r+"-") {
			t.Fatalf("zone %q gives region %q", c.LocalZone, r)
		}
		if !gceref.ValidName(c.NetworkName) || !strings.HasSuffix(c.NetworkURL, "/global/networks/"+c.NetworkName) {
			t.Fatalf("network %q, URL %q", c.NetworkName, c.NetworkURL)
		}
		for _, v := range []float64{c.ReadsPerSecond, c.MutationsPerSecond} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("accepted API rate %v (reads %v, mutations %v)", v, c.ReadsPerSecond, c.MutationsPerSecond)
			}
		}
		if c.PollInterval < 0 {
			t.Fatalf("poll interval %v", c.PollInterval)
		}
		for _, tag := range c.NodeTags {
			if !gceref.ValidName(tag) {
				t.Fatalf("accepted tag %q", tag)
			}
		}
	})
}
