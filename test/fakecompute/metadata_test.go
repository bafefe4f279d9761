package fakecompute_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2/google"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func metadataGet(t *testing.T, base, path string, flavor bool) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if flavor {
		req.Header.Set("Metadata-Flavor", "Google")
	}
	// Redirects are part of what is tested: do not follow them.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestMetadataServesTheConfiguredInstance(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", ProjectNumber: 4242,
		MetadataInstance: "us-central1-b/node-a", RequireAuth: true})
	if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: "node-a", Zone: "us-central1-b", MachineType: "n2-standard-4",
		Tags: []string{"k8s-node", "web"}, ExternalIP: true}); err != nil {
		t.Fatal(err)
	}
	inst, err := ts.Dump()["projects/demo/zones/us-central1-b/instances"][0].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var vm struct {
		ID                string `json:"id"`
		NetworkInterfaces []struct {
			NetworkIP     string
			AccessConfigs []struct{ NatIP string }
		}
	}
	if err := json.Unmarshal(inst, &vm); err != nil {
		t.Fatal(err)
	}
	base := ts.URL + "/computeMetadata/v1/"
	sa := "4242-compute@developer.gserviceaccount.com"
	for _, tc := range []struct {
		path, want, contentType string
	}{
		{"project/project-id", "demo", "application/text"},
		{"project/numeric-project-id", "4242", "application/text"},
		{"instance/name", "node-a", "application/text"},
		{"instance/name?alt=json", `"node-a"`, "application/json"},
		{"instance/hostname", "node-a.us-central1-b.c.demo.internal", "application/text"},
		{"instance/id", vm.ID, "application/text"},
		{"instance/zone", "projects/4242/zones/us-central1-b", "application/text"},
		{"instance/machine-type", "projects/4242/machineTypes/n2-standard-4", "application/text"},
		{"instance/tags", `["k8s-node","web"]`, "application/json"},
		{"instance/tags?alt=text", "k8s-node\nweb\n", "application/text"},
		{"instance/network-interfaces/", "0/\n", "application/text"},
		{"instance/network-interfaces/0/ip", vm.NetworkInterfaces[0].NetworkIP, "application/text"},
		{"instance/network-interfaces/0/network", "projects/4242/networks/default", "application/text"},
		{"instance/network-interfaces/0/access-configs/0/external-ip", vm.NetworkInterfaces[0].AccessConfigs[0].NatIP, "application/text"},
		{"instance/service-accounts/", sa + "/\ndefault/\n", "application/text"},
		{"instance/service-accounts/default/email", sa, "application/text"},
		{"instance/service-accounts/" + sa + "/email", sa, "application/text"},
		{"instance/service-accounts/default/scopes", "https://www.googleapis.com/auth/cloud-platform\n", "application/text"},
		{"instance/network-interfaces/?alt=json", `["0/"]`, "application/json"},
		{"project/?recursive=true", `{"attributes":{},"numericProjectId":4242,"projectId":"demo"}`, "application/json"},
		{"instance/network-interfaces/0/access-configs/?recursive=true&alt=text",
			"0/external-ip " + vm.NetworkInterfaces[0].AccessConfigs[0].NatIP + "\n0/type ONE_TO_ONE_NAT\n", "application/text"},
	} {
		code, h, body := metadataGet(t, base, tc.path, true)
		if code != http.StatusOK || body != tc.want || h.Get("Content-Type") != tc.contentType || h.Get("Metadata-Flavor") != "Google" {
			t.Errorf("GET %s = %d %q (%s), want 200 %q (%s)", tc.path, code, body, h.Get("Content-Type"), tc.want, tc.contentType)
		}
	}

	// A recursive dump is one JSON document with GCE's camelCase keys; the
	// token is not part of it.
	_, _, body := metadataGet(t, base, "instance/?recursive=true", true)
	var dump struct {
		NetworkInterfaces []struct{ IP string }
		ServiceAccounts   map[string]map[string]any
		Tags              []string
	}
	if err := json.Unmarshal([]byte(body), &dump); err != nil || len(dump.NetworkInterfaces) != 1 ||
		dump.NetworkInterfaces[0].IP != vm.NetworkInterfaces[0].NetworkIP || len(dump.Tags) != 2 {
		t.Errorf("recursive instance dump: %v %s", err, body)
	}
	if _, has := dump.ServiceAccounts["default"]["token"]; has {
		t.Errorf("recursive dump carries a token: %s", body)
	}

	for _, tc := range []struct {
		path   string
		flavor bool
		code   int
	}{
		{"project/project-id", false, http.StatusForbidden},
		{"instance/nope", true, http.StatusNotFound},
		{"instance/network-interfaces/7/ip", true, http.StatusNotFound},
		{"instance/name?alt=xml", true, http.StatusBadRequest},
		{"instance/network-interfaces", true, http.StatusMovedPermanently},
	} {
		code, h, _ := metadataGet(t, base, tc.path, tc.flavor)
		if code != tc.code || h.Get("Metadata-Flavor") != "Google" {
			t.Errorf("GET %s (flavor %v) = %d, want %d with Metadata-Flavor: Google", tc.path, tc.flavor, code, tc.code)
		}
	}

	// The token is issued by the emulator's authority: RequireAuth takes it.
	_, _, body = metadataGet(t, base, "instance/service-accounts/default/token?scopes=x", true)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" || tok.ExpiresIn <= 0 || tok.TokenType != "Bearer" {
		t.Fatalf("token: %v %s", err, body)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/compute/v1/projects/demo/global/routes", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("API call with the metadata token: %d", resp.StatusCode)
	}
}

func TestMetadataSyntheticInstance(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	base := ts.URL + "/computeMetadata/v1/"
	for path, want := range map[string]string{
		"instance/name": "ccm",
		"instance/zone": "projects/123456789012/zones/us-central1-a",
		"instance/tags": "[]",
	} {
		if code, _, body := metadataGet(t, base, path, true); code != http.StatusOK || body != want {
			t.Errorf("GET %s = %d %q, want %q", path, code, body, want)
		}
	}
	if code, _, body := metadataGet(t, base, "instance/network-interfaces/0/ip", true); code != http.StatusOK || !strings.HasPrefix(body, "10.128.") {
		t.Errorf("synthetic ip = %d %q", code, body)
	}
}

func TestMetadataWaitForChange(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", MetadataInstance: "us-central1-a/vm"})
	base := ts.URL + "/computeMetadata/v1/"
	_, h, before := metadataGet(t, base, "instance/id", true)
	// Nothing changes: the request is held for timeout_sec, then answered.
	start := time.Now()
	code, _, same := metadataGet(t, base, "instance/id?wait_for_change=true&timeout_sec=1", true)
	if code != http.StatusOK || same != before || time.Since(start) < 900*time.Millisecond {
		t.Errorf("unchanged wait: %d %q after %v, want %q after 1s", code, same, time.Since(start), before)
	}
	done := make(chan string, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, base+"instance/id?wait_for_change=true&timeout_sec=20&last_etag="+url.QueryEscape(h.Get("ETag")), nil)
		req.Header.Set("Metadata-Flavor", "Google")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- string(b)
	}()
	// Creating the VM replaces the synthetic identity by the real one.
	out, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: "vm", Zone: "us-central1-a"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		if want := jsonNumber(out[0].Id); got != want {
			t.Errorf("wait_for_change answered %q, want %q", got, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("wait_for_change did not return after the change")
	}
}

func jsonNumber(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// The metadata package memoises OnGCE and the project id in package
// globals, so the library test runs in a fresh process: this test re-runs
// the test binary for TestMetadataGoLibrariesChild alone.
func TestMetadataGoLibraries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMetadataGoLibrariesChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "FAKECOMPUTE_METADATA_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestMetadataGoLibrariesChild") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestMetadataGoLibrariesChild(t *testing.T) {
	if os.Getenv("FAKECOMPUTE_METADATA_CHILD") != "1" {
		t.Skip("run by TestMetadataGoLibraries in a fresh process")
	}
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "meta-proj", ExtraProjects: nil,
		MetadataInstance: "us-central1-c/ccm-0", RequireAuth: true})
	if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: "ccm-0", Zone: "us-central1-c"}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	t.Setenv("GCE_METADATA_HOST", u.Host)
	// Keep ADC from finding a key file or gcloud's user credentials first.
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("HOME", t.TempDir())
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	if !metadata.OnGCE() {
		t.Fatal("OnGCE = false")
	}
	for name, get := range map[string]func(context.Context) (string, error){
		"meta-proj":     metadata.ProjectIDWithContext,
		"us-central1-c": metadata.ZoneWithContext,
		"ccm-0":         metadata.InstanceNameWithContext,
	} {
		if got, err := get(ctx); err != nil || got != name {
			t.Errorf("got %q, %v; want %q", got, err, name)
		}
	}
	if tags, err := metadata.InstanceTagsWithContext(ctx); err != nil || len(tags) != 0 {
		t.Errorf("tags: %v %v", tags, err)
	}

	ts0, err := google.DefaultTokenSource(ctx, "https://www.googleapis.com/auth/compute")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts0.Token()
	if err != nil {
		t.Fatal(err)
	}
	if src := tok.Extra("oauth2.google.tokenSource"); src != "compute-metadata" {
		t.Errorf("token source %v, want compute-metadata", src)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/compute/v1/projects/meta-proj/zones/us-central1-c/instances/ccm-0", nil)
	tok.SetAuthHeader(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("API call with the ADC token: %d", resp.StatusCode)
	}
	creds, err := google.FindDefaultCredentials(ctx)
	if err != nil || creds.ProjectID != "meta-proj" {
		t.Errorf("ADC project: %v %v", creds, err)
	}
}
