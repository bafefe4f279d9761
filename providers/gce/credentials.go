package gce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/compute/metadata"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

const computeScope = "https://www.googleapis.com/auth/compute"

// tokenSource picks the credentials: token-url when gce.conf sets it, else
// Application Default Credentials (a key file in
// GOOGLE_APPLICATION_CREDENTIALS, gcloud's, or the metadata server).
func tokenSource(ctx context.Context, cfg *Config) (oauth2.TokenSource, error) {
	if cfg.TokenURL != "" {
		return oauth2.ReuseTokenSource(nil, &urlTokenSource{ctx: ctx, url: cfg.TokenURL, body: cfg.TokenBody,
			client: &http.Client{Timeout: 30 * time.Second}}), nil
	}
	ts, err := google.DefaultTokenSource(ctx, computeScope)
	if err != nil {
		return nil, fmt.Errorf("application default credentials: %w", err)
	}
	return ts, nil
}

// urlTokenSource POSTs token-body to token-url, as the upstream provider
// does. It accepts the upstream answer {"accessToken","expireTime"} and a
// standard OAuth2 one {"access_token","expires_in"}.
type urlTokenSource struct {
	ctx    context.Context
	url    string
	body   string
	client *http.Client
}

func (s *urlTokenSource) Token() (*oauth2.Token, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.url, strings.NewReader(s.body))
	if err != nil {
		return nil, fmt.Errorf("token-url: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token-url %s: %w", s.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token-url %s: HTTP %d", s.url, resp.StatusCode)
	}
	var v struct {
		AccessToken  string    `json:"accessToken"`
		ExpireTime   time.Time `json:"expireTime"`
		AccessToken2 string    `json:"access_token"`
		ExpiresIn    int64     `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return nil, fmt.Errorf("token-url %s: malformed answer: %w", s.url, err)
	}
	tok := &oauth2.Token{AccessToken: v.AccessToken, Expiry: v.ExpireTime, TokenType: "Bearer"}
	if tok.AccessToken == "" {
		tok.AccessToken = v.AccessToken2
		tok.Expiry = time.Now().Add(time.Duration(v.ExpiresIn) * time.Second)
	}
	if tok.AccessToken == "" {
		return nil, fmt.Errorf("token-url %s: answer has no access token", s.url)
	}
	return tok, nil
}

// metadataDefaults reads project and zone from the metadata server.
type metadataDefaults struct{ ctx context.Context }

func (m metadataDefaults) ProjectID() (string, error) { return metadata.ProjectIDWithContext(m.ctx) }
func (m metadataDefaults) Zone() (string, error)      { return metadata.ZoneWithContext(m.ctx) }

var onGCE = sync.OnceValue(metadata.OnGCE)
