package fakecompute

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func apiDo(t *testing.T, ts *TestServer, method, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+"/compute/v1/projects/"+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func save(t *testing.T, s *Server) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestStateRoundTrip(t *testing.T) {
	opts := Options{Project: "demo", ExtraProjects: []string{"host"}}
	src := NewTestServer(t, opts)
	if _, err := src.SeedInstances(
		InstanceSeed{Name: "node-a", Zone: "us-central1-a", Tags: []string{"k8s"}, ExternalIP: true, CanIPForward: true},
		InstanceSeed{Name: "node-b", Zone: "us-central1-b", Project: "host", Labels: map[string]string{"role": "x"}},
	); err != nil {
		t.Fatal(err)
	}
	apiDo(t, src, "POST", "demo/global/routes", `{"name":"r1","network":"global/networks/default","destRange":"10.4.0.0/24","nextHopInstance":"zones/us-central1-a/instances/node-a"}`)
	apiDo(t, src, "POST", "demo/regions/us-central1/subnetworks", `{"name":"extra","network":"global/networks/default","ipCidrRange":"10.200.0.0/24"}`)
	routeBefore := apiDo(t, src, "GET", "demo/global/routes/r1", "")
	saved := save(t, src.Server)

	dst := NewTestServer(t, opts)
	apiDo(t, dst, "POST", "demo/global/networks", `{"name":"dropped-by-load","autoCreateSubnetworks":false}`)
	if err := dst.LoadState(bytes.NewReader(saved)); err != nil {
		t.Fatal(err)
	}
	if again := save(t, dst.Server); !bytes.Equal(saved, again) {
		t.Fatalf("a second save differs:\n%s\n---\n%s", saved, again)
	}
	if !reflect.DeepEqual(src.Dump(), dst.Dump()) {
		t.Errorf("dump differs after load:\n%v\n---\n%v", src.Dump(), dst.Dump())
	}
	if after := apiDo(t, dst, "GET", "demo/global/routes/r1", ""); !reflect.DeepEqual(routeBefore, after) {
		t.Errorf("route served differently after load:\n%v\n---\n%v", routeBefore, after)
	}
	// The id counter came along: new resources do not reuse saved ids.
	var st stateFile
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	apiDo(t, dst, "POST", "demo/global/routes", `{"name":"r2","network":"global/networks/default","destRange":"10.5.0.0/24","nextHopIp":"10.128.0.9"}`)
	r2 := apiDo(t, dst, "GET", "demo/global/routes/r2", "")
	if id, err := strconv.ParseUint(r2["id"].(string), 10, 64); err != nil || id <= st.NextID {
		t.Errorf("new route id %v (%v) is not above the saved counter %d", r2["id"], err, st.NextID)
	}
}

func TestLoadStateRefusesWhatItCannotServe(t *testing.T) {
	s := New(Options{Project: "demo"})
	before := save(t, s)
	for name, in := range map[string]string{
		"not json":        `{`,
		"unknown field":   `{"version":1,"nextId":5,"collections":[],"extra":1}`,
		"version":         `{"version":2,"nextId":5,"collections":[]}`,
		"collection":      `{"version":1,"collections":[{"project":"demo","scope":"global","collection":"widgets","items":{}}]}`,
		"project":         `{"version":1,"collections":[{"project":"other","scope":"global","collection":"routes","items":{}}]}`,
		"zone":            `{"version":1,"collections":[{"project":"demo","scope":"zones/mars-central1-b","collection":"instances","items":{}}]}`,
		"scope kind":      `{"version":1,"collections":[{"project":"demo","scope":"global","collection":"instances","items":{}}]}`,
		"mistyped object": `{"version":1,"collections":[{"project":"demo","scope":"global","collection":"routes","items":{"r":{"priority":"high"}}}]}`,
	} {
		if err := s.LoadState(strings.NewReader(in)); err == nil {
			t.Errorf("%s: loaded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if after := save(t, s); !bytes.Equal(before, after) {
		t.Errorf("a refused load changed the state:\n%s\n---\n%s", before, after)
	}
}

// Every collection the store can hold must be known to the state file, or a
// restart of the emulator would lose it (or fail to save).
func TestStateKnowsEveryStoredCollection(t *testing.T) {
	virtual := map[string]bool{"images": true, "machineTypes": true} // served from static tables
	stored := New(Options{}).collections
	for coll := range scopeOf {
		if _, ok := stored[coll]; !ok && !virtual[coll] {
			t.Errorf("collection %q is missing from the collection table", coll)
		}
	}
}

// Fingerprints come from the server's own sequence, which the state file
// carries: a restarted emulator must not hand out a fingerprint that a
// client may still hold from before the restart, or a stale write would
// pass. Without the saved sequence the new server starts again at 1.
func TestStateKeepsTheFingerprintSequence(t *testing.T) {
	before := New(Options{})
	handed := map[string]bool{}
	_ = before.store.write(func(t *tx) error {
		for range 50 {
			handed[t.fingerprint()] = true
		}
		return nil
	})
	after := New(Options{})
	if err := after.LoadState(bytes.NewReader(save(t, before))); err != nil {
		t.Fatal(err)
	}
	_ = after.store.write(func(tx *tx) error {
		for range 50 {
			if fp := tx.fingerprint(); handed[fp] {
				t.Errorf("fingerprint %s was handed out before the restart", fp)
			}
		}
		return nil
	})
	// Two servers in one process do not share a sequence.
	a, b := New(Options{}), New(Options{})
	var fa, fb string
	_ = a.store.write(func(t *tx) error { fa = t.fingerprint(); return nil })
	_ = b.store.write(func(t *tx) error { fb = t.fingerprint(); return nil })
	if fa != fb {
		t.Errorf("two fresh servers answered %s and %s: the sequence is not the server's own", fa, fb)
	}
}
