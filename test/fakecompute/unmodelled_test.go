package fakecompute_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Fields GCE accepts that the emulator's Go types lack are accepted and
// dropped; every other unknown name is still refused. The body is what
// terraform's google provider sends for a custom-mode network with
// routing_mode set.
func TestUnmodelledFieldsAccepted(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, ts.URL+"/compute/v1/projects/demo/"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
		return resp.StatusCode, out
	}

	cases := []struct {
		name, body string
		want       int
		wantErr    string
	}{
		{"terraform's network", `{"autoCreateSubnetworks":false,"name":"tf-net","networkFirewallPolicyEnforcementOrder":"AFTER_CLASSIC_FIREWALL",` +
			`"routingConfig":{"routingMode":"GLOBAL","deleteBgpAlwaysCompareMed":false}}`, http.StatusOK, ""},
		{"another unknown name beside it", `{"name":"n2","routingConfig":{"routingMode":"REGIONAL","deleteBgpAlwaysCompareMed":false,"bgpAlwaysCompareMedd":true}}`,
			http.StatusBadRequest, `"bgpAlwaysCompareMedd" at 'resource.routingConfig'`},
		{"the name at the wrong level", `{"name":"n3","deleteBgpAlwaysCompareMed":false}`,
			http.StatusBadRequest, `"deleteBgpAlwaysCompareMed" at 'resource'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := do("POST", "global/networks", c.body)
			if code != c.want {
				t.Fatalf("status %d, want %d: %v", code, c.want, out)
			}
			if c.wantErr != "" {
				msg, _ := out["error"].(map[string]any)["message"].(string)
				if !strings.Contains(msg, c.wantErr) {
					t.Fatalf("error %q does not name %s", msg, c.wantErr)
				}
			}
		})
	}

	// The network exists as sent, without the dropped field.
	for {
		code, n := do("GET", "global/networks/tf-net", "")
		if code == http.StatusOK {
			rc, _ := n["routingConfig"].(map[string]any)
			if rc["routingMode"] != "GLOBAL" || n["autoCreateSubnetworks"] == true {
				t.Fatalf("network %v", n)
			}
			if _, ok := rc["deleteBgpAlwaysCompareMed"]; ok {
				t.Fatalf("the dropped field was stored: %v", rc)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("network tf-net never appeared: %d %v", code, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
