package gce

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type fakeMetadata struct {
	project, zone string
	err           error
}

func (f fakeMetadata) ProjectID() (string, error) { return f.project, f.err }
func (f fakeMetadata) Zone() (string, error)      { return f.zone, f.err }

func TestParseConfigKeys(t *testing.T) {
	conf := `[global]
project-id = my-proj
network-project-id = host-proj
network-name = k8s-net
subnetwork-name = k8s-sub
node-tags = tag-a
node-tags = tag-b
node-instance-prefix = gke-node
multizone = true
regional = false
api-endpoint = http://127.0.0.1:8080/compute/v1/
token-url = http://127.0.0.1:8080/token
token-body = "{\"x\":1}"
local-zone = us-central1-b
stack-type = ipv4_ipv6
gce-ccm-ipforward-mode = audit
gce-ccm-api-reads-per-second = 10
gce-ccm-api-mutations-per-second = 12.5
gce-ccm-operation-poll-interval = 2s
gce-ccm-resync-period = 30s
`
	got, err := ParseConfig(strings.NewReader(conf), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{ProjectID: "my-proj", NetworkProjectID: "host-proj", NetworkName: "k8s-net",
		NetworkURL:     "https://www.googleapis.com/compute/v1/projects/host-proj/global/networks/k8s-net",
		SubnetworkName: "k8s-sub", NodeTags: []string{"tag-a", "tag-b"}, NodeInstancePrefix: "gke-node", Multizone: true,
		APIEndpoint: "http://127.0.0.1:8080", TokenURL: "http://127.0.0.1:8080/token", TokenBody: `{"x":1}`,
		LocalZone: "us-central1-b", StackType: StackDualIPv4, IPForwardMode: IPForwardAudit, ReadsPerSecond: 10,
		MutationsPerSecond: 12.5, PollInterval: 2 * time.Second, ResyncPeriod: 30 * time.Second}
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if got.Region() != "us-central1" {
		t.Errorf("region %q", got.Region())
	}
}

func TestParseConfigDefaultsAndMetadata(t *testing.T) {
	got, err := ParseConfig(strings.NewReader("[global]\n"), fakeMetadata{project: "md-proj", zone: "europe-west1-c"})
	if err != nil {
		t.Fatal(err)
	}
	if got.ProjectID != "md-proj" || got.LocalZone != "europe-west1-c" || got.NetworkName != "default" ||
		got.StackType != StackIPv4 || got.IPForwardMode != IPForwardEnforce || got.NetworkProjectID != "md-proj" ||
		got.ResyncPeriod != 5*time.Minute {
		t.Fatalf("defaults: %+v", got)
	}
	// A network URL sets the network's project (Shared VPC).
	got, err = ParseConfig(strings.NewReader("[global]\nproject-id = p1\nlocal-zone = us-east1-b\nnetwork-name = https://www.googleapis.com/compute/v1/projects/host/global/networks/shared\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.NetworkProjectID != "host" || got.NetworkName != "shared" {
		t.Errorf("network URL: %+v", got)
	}
	// An upstream endpoint with the /compute/v1/ path keeps its host root; token-url nil means unset.
	got, err = ParseConfig(strings.NewReader("[global]\nproject-id = p1\nlocal-zone = us-east1-b\napi-endpoint = https://www.googleapis.com/compute/v1/\ntoken-url = nil\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.APIEndpoint != "https://www.googleapis.com" || got.TokenURL != "" {
		t.Errorf("endpoint/token: %+v", got)
	}
}

func TestParseConfigUnknownKeyIsReported(t *testing.T) {
	got, err := ParseConfig(strings.NewReader("[global]\nproject-id = p1\nlocal-zone = us-east1-b\nfrobnicate = yes\n"), nil)
	if err != nil {
		t.Fatalf("an unknown key must not stop start-up: %v", err)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], `"frobnicate"`) {
		t.Fatalf("warnings = %q", got.Warnings)
	}
}

func TestParseConfigBadInput(t *testing.T) {
	base := "[global]\nproject-id = p1\nlocal-zone = us-east1-b\n"
	for _, tc := range []struct {
		name, conf, key string
		md              MetadataDefaults
	}{
		{"no project, no metadata", "[global]\nlocal-zone = us-east1-b\n", "project-id", nil},
		{"no zone, no metadata", "[global]\nproject-id = p1\n", "local-zone", nil},
		{"metadata fails", "[global]\n", "project-id", fakeMetadata{err: errors.New("no route to host")}},
		{"bad project", "[global]\nproject-id = My_Proj\nlocal-zone = us-east1-b\n", "project-id", nil},
		{"bad zone", "[global]\nproject-id = p1\nlocal-zone = useast\n", "local-zone", nil},
		{"stack type", base + "stack-type = IPV5\n", "stack-type", nil},
		{"endpoint not a URL", base + "api-endpoint = not a url\n", "api-endpoint", nil},
		{"endpoint scheme", base + "api-endpoint = ftp://x/compute/v1/\n", "api-endpoint", nil},
		{"endpoint path", base + "api-endpoint = http://x/other/\n", "api-endpoint", nil},
		{"token url", base + "token-url = :::\n", "token-url", nil},
		{"token body alone", base + "token-body = x\n", "token-body", nil},
		{"bad tag", base + "node-tags = Bad_Tag\n", "node-tags", nil},
		{"bad network", base + "network-name = projects/x/global/subnetworks/y\n", "network-name", nil},
		{"ipforward mode", base + "gce-ccm-ipforward-mode = sometimes\n", "gce-ccm-ipforward-mode", nil},
		{"reads", base + "gce-ccm-api-reads-per-second = -1\n", "gce-ccm-api-reads-per-second", nil},
		{"mutations", base + "gce-ccm-api-mutations-per-second = lots\n", "gce-ccm-api-mutations-per-second", nil},
		{"reads NaN", base + "gce-ccm-api-reads-per-second = NaN\n", "gce-ccm-api-reads-per-second", nil},
		{"mutations Inf", base + "gce-ccm-api-mutations-per-second = +Inf\n", "gce-ccm-api-mutations-per-second", nil},
		{"poll", base + "gce-ccm-operation-poll-interval = 0s\n", "gce-ccm-operation-poll-interval", nil},
		{"resync", base + "gce-ccm-resync-period = soon\n", "gce-ccm-resync-period", nil},
		{"resync negative", base + "gce-ccm-resync-period = -5m\n", "gce-ccm-resync-period", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.conf), tc.md)
			ce, ok := asConfigError(err)
			if !ok || ce.Key != tc.key {
				t.Fatalf("want an error naming %q, got %v", tc.key, err)
			}
			if !strings.Contains(err.Error(), tc.key) || ce.Reason == "" {
				t.Errorf("message %q must name the key and the reason", err)
			}
		})
	}
	// Malformed INI (a syntax error, not an unknown key) stops start-up too.
	if _, err := ParseConfig(strings.NewReader("[global\nproject-id = p1\n"), nil); err == nil {
		t.Error("malformed INI accepted")
	}
	if _, err := ParseConfig(strings.NewReader(base+"multizone = maybe\n"), nil); err == nil || !strings.Contains(err.Error(), "multizone") {
		t.Errorf("bad bool: %v", err)
	}
}
