package fakecompute

import (
	"slices"
	"sort"
	"sync"
)

// PermissionUse is what one client was checked for by one method: the
// IAM permissions GCE would have required (the union over its calls: a
// request field can add one), and how many calls it made.
type PermissionUse struct {
	// Client is the caller's User-Agent: the CCM sends
	// "gce-cloud-controller-manager/VERSION ...", so its calls can be told
	// from a test's own reads or another program's on the same emulator.
	Client   string   `json:"client"`
	MethodID string   `json:"methodId"`
	Calls    int      `json:"calls"`
	Perms    []string `json:"permissions"`
	// Unknown: the method has no entry in the emulator's permission table.
	// A test that checks permissions must fail on it: the method's
	// permission is unknown, not absent.
	Unknown bool `json:"unknown,omitempty"`
}

// permTrace records, per client and method, what each API call needed.
type permTrace struct {
	mu   sync.Mutex
	uses map[[2]string]*PermissionUse // {client, methodID}
}

func newPermTrace() *permTrace { return &permTrace{uses: map[[2]string]*PermissionUse{}} }

// record is the dispatcher's hook: one call of methodID.
func (p *permTrace) record(c *call, methodID string) {
	perms, known := permissionsFor(c, methodID)
	client := c.r.Header.Get("User-Agent")
	p.mu.Lock()
	defer p.mu.Unlock()
	k := [2]string{client, methodID}
	u := p.uses[k]
	if u == nil {
		u = &PermissionUse{Client: client, MethodID: methodID, Unknown: !known}
		p.uses[k] = u
	}
	u.Calls++
	for _, perm := range perms {
		if !slices.Contains(u.Perms, perm) {
			u.Perms = append(u.Perms, perm)
		}
	}
	sort.Strings(u.Perms)
}

func (p *permTrace) snapshot() []PermissionUse {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]PermissionUse, 0, len(p.uses))
	for _, u := range p.uses {
		c := *u
		c.Perms = slices.Clone(u.Perms)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Client != out[j].Client {
			return out[i].Client < out[j].Client
		}
		return out[i].MethodID < out[j].MethodID
	})
	return out
}

func (p *permTrace) reset() {
	p.mu.Lock()
	p.uses = map[[2]string]*PermissionUse{}
	p.mu.Unlock()
}

// PermissionTrace returns, per client and method, the IAM permissions the
// calls so far needed (GET /_internal/permissions serves the same).
func (s *Server) PermissionTrace() []PermissionUse { return s.perms.snapshot() }
