package fakecompute

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
)

// Google's batch endpoint: one multipart/mixed POST carrying many API
// calls. gcloud sends one for every command that touches more than one
// resource or scope (routes delete r1 r2, instances list --zones a,b, and the
// operation waits that follow), so without it those commands fail.

const (
	maxBatchParts    = 1000 // Google's limit on calls per batch
	batchConcurrency = 32
)

// batchPart is one call of a batch: its Content-ID and the embedded request.
type batchPart struct {
	id  string
	req *http.Request
	err *apiError // the part could not be parsed: answered as this error
}

func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, errMethod(r.Method, r.URL.Path))
		return
	}
	parts, err := readBatch(r)
	if err != nil {
		writeError(w, &apiError{Code: http.StatusBadRequest, Reason: "badRequest",
			Message: "Failed to parse batch request, error: " + err.Error()})
		return
	}
	recs := make([]*httptest.ResponseRecorder, len(parts))
	sem := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	// Calls run concurrently, as on Google's front end: a batch of
	// operation waits blocks for the slowest, not for their sum.
	for i, p := range parts {
		recs[i] = httptest.NewRecorder()
		if p.err != nil {
			writeError(recs[i], p.err)
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(rec *httptest.ResponseRecorder, req *http.Request) {
			defer wg.Done()
			defer func() { <-sem }()
			s.ServeHTTP(rec, req)
		}(recs[i], s.innerRequest(r, p.req))
	}
	wg.Wait()
	writeBatchResponse(w, parts, recs)
}

// readBatch splits the body into calls. A malformed envelope fails the
// whole batch; a malformed call fails only its own part.
func readBatch(r *http.Request) ([]batchPart, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || params["boundary"] == "" {
		return nil, fmt.Errorf("the Content-Type %q is not multipart/mixed with a boundary", r.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(io.LimitReader(r.Body, 64<<20), params["boundary"])
	var parts []batchPart
	for {
		// Raw: the payload is application/http, never transfer-decoded.
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(parts) == maxBatchParts {
			return nil, fmt.Errorf("a batch holds at most %d calls", maxBatchParts)
		}
		payload, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		parts = append(parts, parsePart(p.Header, payload))
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("the batch holds no calls")
	}
	return parts, nil
}

func parsePart(h textproto.MIMEHeader, payload []byte) batchPart {
	bp := batchPart{id: h.Get("Content-ID")}
	if ct, _, _ := mime.ParseMediaType(h.Get("Content-Type")); ct != "application/http" {
		bp.err = &apiError{Code: http.StatusBadRequest, Reason: "badRequest",
			Message: fmt.Sprintf("Batch part has Content-Type %q; want application/http", h.Get("Content-Type"))}
		return bp
	}
	// A bodiless call may end right after its last header: the multipart
	// framing ate the newline that would have ended the header block.
	if !bytes.Contains(payload, []byte("\n\n")) && !bytes.Contains(payload, []byte("\r\n\r\n")) {
		payload = append(bytes.TrimRight(payload, "\r\n"), "\r\n\r\n"...)
	}
	br := bufio.NewReader(bytes.NewReader(payload))
	req, err := http.ReadRequest(br)
	if err != nil {
		bp.err = &apiError{Code: http.StatusBadRequest, Reason: "badRequest", Message: "Batch part is not an HTTP request: " + err.Error()}
		return bp
	}
	// Clients do not always send Content-Length inside a part: then the
	// body is whatever follows the headers.
	var body []byte
	if req.ContentLength > 0 || len(req.TransferEncoding) > 0 {
		body, err = io.ReadAll(req.Body)
	} else {
		body, err = io.ReadAll(br)
	}
	if err != nil {
		bp.err = &apiError{Code: http.StatusBadRequest, Reason: "badRequest", Message: "Batch part body: " + err.Error()}
		return bp
	}
	if !strings.HasPrefix(req.URL.Path, "/compute/") {
		bp.err = errNoRoute(req.Method, req.URL.Path)
		return bp
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	bp.req = req
	return bp
}

// innerRequest gives a call the batch's context and, as Google documents,
// the outer request's headers (Authorization above all) unless the call
// sets them itself; Content-* headers stay the call's own.
func (s *Server) innerRequest(outer, inner *http.Request) *http.Request {
	req := inner.WithContext(outer.Context())
	req.RemoteAddr = outer.RemoteAddr
	req.RequestURI = ""
	for k, v := range outer.Header {
		if strings.HasPrefix(k, "Content-") || req.Header.Get(k) != "" {
			continue
		}
		req.Header[k] = v
	}
	return req
}

// writeBatchResponse answers multipart/mixed, one application/http part per
// call in request order, each tagged <response-ID> as Google does; gcloud's
// apitools matches answers to calls through that tag.
func writeBatchResponse(w http.ResponseWriter, parts []batchPart, recs []*httptest.ResponseRecorder) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	_ = mw.SetBoundary("batch_" + hex.EncodeToString(b))
	for i, p := range parts {
		// A literal map keeps GCE's spelling "Content-ID".
		hdr := textproto.MIMEHeader{"Content-Type": {"application/http"}}
		if p.id != "" {
			hdr["Content-ID"] = []string{"<response-" + strings.TrimSuffix(strings.TrimPrefix(p.id, "<"), ">") + ">"}
		}
		pw, _ := mw.CreatePart(hdr)
		res := recs[i].Result()
		body, _ := io.ReadAll(res.Body)
		fmt.Fprintf(pw, "HTTP/1.1 %d %s\r\n", res.StatusCode, statusText(res.StatusCode))
		h := res.Header.Clone()
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_ = h.Write(pw)
		_, _ = pw.Write([]byte("\r\n"))
		_, _ = pw.Write(body)
	}
	_ = mw.Close()
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+mw.Boundary())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// statusText never returns "": apitools splits the status line in three.
func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Status " + strconv.Itoa(code)
}
