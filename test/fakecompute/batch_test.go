package fakecompute_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// apitoolsBatch builds a body the way gcloud's apitools does: LF line
// ends, a quoted boundary, Content-ID <uuid+N>, request lines without host.
func apitoolsBatch(calls ...string) (contentType, body string) {
	const boundary = "===============7330845974216740156=="
	var b strings.Builder
	for i, c := range calls {
		fmt.Fprintf(&b, "--%s\nContent-Type: application/http\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\nContent-ID: <0b6c4c36-9d1e-4f4e-a52e-2d4e1c4b2f10+%d>\n\n%s\n", boundary, i, c)
	}
	fmt.Fprintf(&b, "--%s--\n", boundary)
	return `multipart/mixed; boundary="` + boundary + `"`, b.String()
}

type batchAnswer struct {
	contentID string
	status    int
	body      map[string]any
}

func postBatch(t *testing.T, url, contentType, body string, auth string) (int, []batchAnswer) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/batch/compute/v1", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("response Content-Type %q", resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var out []batchAnswer
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != "application/http" {
			t.Errorf("part Content-Type %q", p.Header.Get("Content-Type"))
		}
		res, err := http.ReadResponse(bufio.NewReader(p), nil)
		if err != nil {
			t.Fatal(err)
		}
		a := batchAnswer{contentID: p.Header.Get("Content-ID"), status: res.StatusCode}
		if err := json.NewDecoder(res.Body).Decode(&a.body); err != nil {
			t.Fatalf("part body: %v", err)
		}
		out = append(out, a)
	}
	return resp.StatusCode, out
}

func TestBatchAsGcloudSendsIt(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo"})
	insert := func(name string) string {
		body := fmt.Sprintf(`{"name":%q,"network":"global/networks/default","destRange":"10.9.%d.0/24","nextHopGateway":"global/gateways/default-internet-gateway"}`, name, len(name))
		return fmt.Sprintf("POST /compute/v1/projects/demo/global/routes?alt=json HTTP/1.1\nContent-Type: application/json\nMIME-Version: 1.0\ncontent-length: %d\nHost: 127.0.0.1\n\n%s", len(body), body)
	}
	ct, body := apitoolsBatch(insert("r1"), insert("r22"),
		// No Content-Length: the body is the rest of the part.
		"POST /compute/v1/projects/demo/global/routes?alt=json HTTP/1.1\nContent-Type: application/json\nHost: 127.0.0.1\n\n"+
			`{"name":"r333","network":"global/networks/default","destRange":"10.9.3.0/24","nextHopGateway":"global/gateways/default-internet-gateway"}`,
		"GET /compute/v1/projects/demo/global/routes/nope?alt=json HTTP/1.1\nHost: 127.0.0.1\n",
		"GET /_internal/stats HTTP/1.1\nHost: 127.0.0.1\n")
	code, answers := postBatch(t, ts.URL, ct, body, "")
	if code != http.StatusOK || len(answers) != 5 {
		t.Fatalf("batch: %d, %d answers", code, len(answers))
	}
	for i, want := range []int{200, 200, 200, 404, 404} {
		a := answers[i]
		if a.status != want || a.contentID != fmt.Sprintf("<response-0b6c4c36-9d1e-4f4e-a52e-2d4e1c4b2f10+%d>", i) {
			t.Errorf("answer %d: %d %s %v, want %d", i, a.status, a.contentID, a.body, want)
		}
	}
	// The operations came back; a second batch waits on them, as gcloud does.
	var waits []string
	for _, a := range answers[:3] {
		waits = append(waits, fmt.Sprintf("POST /compute/v1/projects/demo/global/operations/%s/wait?alt=json HTTP/1.1\nHost: 127.0.0.1\n", a.body["name"]))
	}
	ct, body = apitoolsBatch(waits...)
	if code, answers = postBatch(t, ts.URL, ct, body, ""); code != http.StatusOK || len(answers) != 3 {
		t.Fatalf("wait batch: %d %v", code, answers)
	}
	for _, a := range answers {
		if a.status != 200 || a.body["status"] != "DONE" || a.body["kind"] != "compute#operation" {
			t.Errorf("wait answer: %+v", a)
		}
	}
	if n := ts.Stats().Calls["compute.routes.insert"]; n != 3 {
		t.Errorf("routes.insert counted %d times, want 3", n)
	}
}

func TestBatchCarriesTheOuterAuthorization(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", RequireAuth: true})
	tok := ts.IssueToken()
	get := "GET /compute/v1/projects/demo/global/networks/default HTTP/1.1\nHost: x\n"
	withOwn := "GET /compute/v1/projects/demo/global/networks/default HTTP/1.1\nHost: x\nAuthorization: Bearer " + tok + "\n"
	ct, body := apitoolsBatch(get, withOwn)
	_, answers := postBatch(t, ts.URL, ct, body, tok)
	if len(answers) != 2 || answers[0].status != 200 || answers[1].status != 200 {
		t.Fatalf("with the outer token: %+v", answers)
	}
	_, answers = postBatch(t, ts.URL, ct, body, "")
	if len(answers) != 2 || answers[0].status != 401 || answers[1].status != 200 {
		t.Fatalf("without the outer token: %+v", answers)
	}
}

func TestBatchRejectsMalformedEnvelopes(t *testing.T) {
	ts := fakecompute.NewTestServer(t, fakecompute.Options{})
	get := "GET /compute/v1/projects/demo/global/routes HTTP/1.1\nHost: x\n"
	ct, tooMany := apitoolsBatch(strings.Split(strings.Repeat(get+"\x00", 1001), "\x00")[:1001]...)
	emptyCT, empty := apitoolsBatch()
	for name, tc := range map[string]struct{ ct, body string }{
		"json":      {"application/json", "{}"},
		"no parts":  {emptyCT, empty},
		"too many":  {ct, tooMany},
		"truncated": {`multipart/mixed; boundary="b"`, "--b\nContent-Type: application/http\n\nGET / HTTP/1.1\n"},
	} {
		if code, _ := postBatch(t, ts.URL, tc.ct, tc.body, ""); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	// A bad call fails its own part only.
	ct, body := apitoolsBatch("not an http request", get)
	code, answers := postBatch(t, ts.URL, ct, body, "")
	if code != http.StatusOK || len(answers) != 2 || answers[0].status != 400 || answers[1].status != 200 {
		t.Errorf("bad part: %d %+v", code, answers)
	}
	resp, err := http.Get(ts.URL + "/batch/compute/v1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /batch: %d", resp.StatusCode)
	}
}
