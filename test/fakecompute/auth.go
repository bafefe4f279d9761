package fakecompute

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tokenPath is the emulator's OAuth2 token endpoint (the token_uri of the
// key files it writes).
const tokenPath = "/token"

// tokenLifetime is what GCE's metadata server and Google's token endpoint give.
const tokenLifetime = time.Hour

// authority issues access tokens and recognises the ones it issued.
type authority struct {
	mu     sync.Mutex
	tokens map[string]time.Time
}

func newAuthority() *authority { return &authority{tokens: map[string]time.Time{}} }

func (a *authority) issue() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := "ya29.fake-" + hex.EncodeToString(b)
	a.mu.Lock()
	a.tokens[tok] = time.Now().Add(tokenLifetime)
	a.mu.Unlock()
	return tok
}

// valid checks an Authorization header value.
func (a *authority) valid(header string) bool {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[tok]
	return ok && time.Now().Before(exp)
}

// IssueToken returns a token the emulator accepts under RequireAuth.
func (s *Server) IssueToken() string { return s.auth.issue() }

// serveToken is an OAuth2 token endpoint: it accepts the JWT-bearer grant
// that service-account key files use (and refresh_token / client_credentials
// grants), and answers with a bearer token. It does not check signatures:
// it is a test double, not a security boundary.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, errMethod(r.Method, r.URL.Path))
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", err.Error())
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		if strings.Count(r.PostForm.Get("assertion"), ".") != 2 {
			writeOAuthError(w, "invalid_grant", "assertion is not a JWT")
			return
		}
	case "refresh_token", "client_credentials":
	default:
		writeOAuthError(w, "unsupported_grant_type", "grant_type "+gt+" is not supported")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": s.auth.issue(), "expires_in": int(tokenLifetime.Seconds()), "token_type": "Bearer",
	})
}

func writeOAuthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}
