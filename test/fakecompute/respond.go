package fakecompute

import (
	"encoding/json"
	"net/http"
)

// writeJSON is the one place that writes a successful response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, asAPIError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorEnvelope is GCE's error body.
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors"`
}

type errorItem struct {
	Message string `json:"message"`
	Domain  string `json:"domain"`
	Reason  string `json:"reason"`
}

// writeError is the one place that writes GCE's error envelope.
func writeError(w http.ResponseWriter, e *apiError) {
	domain := e.Domain
	if domain == "" {
		domain = "global"
	}
	env := errorEnvelope{Error: errorBody{Code: e.Code, Message: e.Message,
		Errors: []errorItem{{Message: e.Message, Domain: domain, Reason: e.Reason}}}}
	b, _ := json.Marshal(env)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(e.Code)
	_, _ = w.Write(b)
}
