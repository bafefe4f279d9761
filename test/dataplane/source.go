package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Source is where the fabric reads the emulator's state: Generation is
// polled often and cheaply, State only after it changed.
type Source interface {
	Generation(ctx context.Context) (uint64, error)
	State(ctx context.Context) (map[string][]json.RawMessage, error)
}

// ServerSource follows an emulator in the same process.
type ServerSource struct{ Server *fakecompute.Server }

func (s ServerSource) Generation(context.Context) (uint64, error) { return s.Server.Generation(), nil }

func (s ServerSource) State(context.Context) (map[string][]json.RawMessage, error) {
	return s.Server.Dump(), nil
}

// HTTPSource follows an emulator through its admin API (GET
// /_internal/state/generation, GET /_internal/state).
type HTTPSource struct {
	URL    string // the emulator's base URL, e.g. http://127.0.0.1:8080
	Client *http.Client
}

func (s HTTPSource) Generation(ctx context.Context) (uint64, error) {
	var out struct {
		Generation uint64 `json:"generation"`
	}
	return out.Generation, s.get(ctx, "/_internal/state/generation", &out)
}

func (s HTTPSource) State(ctx context.Context) (map[string][]json.RawMessage, error) {
	var out map[string][]json.RawMessage
	return out, s.get(ctx, "/_internal/state", &out)
}

func (s HTTPSource) get(ctx context.Context, path string, into any) error {
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("emulator state: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("emulator state: GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("emulator state: GET %s: %w", path, err)
	}
	return nil
}
