package fakecompute_test

import (
	"net/http"
	"testing"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Some clients ping the metadata server's bare root with the flavor header.
func TestMetadataRootAnswersThePing(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/", nil)
	req.Header.Set("Metadata-Flavor", "Google")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Metadata-Flavor") != "Google" {
		t.Fatalf("status %d, flavor %q", resp.StatusCode, resp.Header.Get("Metadata-Flavor"))
	}
}
