package fakecompute_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func TestServiceAccountKeyFileGetsTokensFromTheEmulator(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", RequireAuth: true})
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "key.json")
	if err := fakecompute.WriteServiceAccountKey(path, ts.URL+"/", "demo"); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v mode %v, want 0600", err, fi.Mode())
	}
	data, _ := os.ReadFile(path)
	var key map[string]string
	if err := json.Unmarshal(data, &key); err != nil {
		t.Fatal(err)
	}
	if key["type"] != "service_account" || key["project_id"] != "demo" || key["token_uri"] != ts.URL+"/token" ||
		!strings.HasPrefix(key["private_key"], "-----BEGIN PRIVATE KEY-----") || len(key["client_id"]) != 21 {
		t.Fatalf("key fields: %v", key)
	}

	// The oauth2 library: a JWT-bearer exchange at token_uri.
	creds, err := google.CredentialsFromJSONWithType(ctx, data, google.ServiceAccount, "https://www.googleapis.com/auth/compute")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %v %v", tok, err)
	}

	// apiv1 with the key file: the new auth library's two-legged flow.
	rc, err := compute.NewRoutesRESTClient(ctx, option.WithEndpoint(ts.URL), option.WithAuthCredentialsFile(option.ServiceAccount, path))
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := rc.List(ctx, &computepb.ListRoutesRequest{Project: "demo"}).Next(); err != nil && !errors.Is(err, iterator.Done) {
		t.Fatalf("list with the key file: %v", err)
	}

	// And without a token: 401, as GCE answers.
	anon, err := compute.NewRoutesRESTClient(ctx, ts.ClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, err = anon.List(ctx, &computepb.ListRoutesRequest{Project: "demo"}).Next()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusUnauthorized {
		t.Fatalf("list without a token: %v, want 401", err)
	}
	if st := ts.Stats(); st.Calls["compute.routes.list"] != 2 {
		t.Errorf("routes.list calls = %d, want 2", st.Calls["compute.routes.list"])
	}
}

func TestWriteServiceAccountKeyRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ url, project string }{
		{"127.0.0.1:8080", "demo"},
		{"ftp://127.0.0.1", "demo"},
		{"http://127.0.0.1:8080", "Not_A_Project"},
	} {
		if err := fakecompute.WriteServiceAccountKey(filepath.Join(dir, "k.json"), tc.url, tc.project); err == nil {
			t.Errorf("WriteServiceAccountKey(%q, %q) accepted", tc.url, tc.project)
		}
	}
}
