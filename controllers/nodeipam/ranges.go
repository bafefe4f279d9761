package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	v1 "k8s.io/api/core/v1"
)

// ranges is the RangeAllocator: node CIDRs cut from the cluster CIDRs, one
// per family. Its truth is one record per node (the CIDRs it holds); the
// pools' slot maps and bitmaps are indices derived from those records and
// changed together under one lock.
type ranges struct {
	mu    sync.Mutex
	pools []*pool                   // in --cluster-cidr order
	nodes map[string][]netip.Prefix // node name -> its CIDRs, in pool order
}

var _ allocator = (*ranges)(nil)

func newRanges(cfg Config) (*ranges, error) {
	r := &ranges{nodes: map[string][]netip.Prefix{}}
	for _, p := range cfg.Pools {
		pl, err := newPool(p)
		if err != nil {
			return nil, err
		}
		for _, s := range cfg.Services {
			if err := pl.reserve(s); err != nil {
				return nil, fmt.Errorf("--service-cluster-ip-range: %w", err)
			}
		}
		r.pools = append(r.pools, pl)
	}
	return r, nil
}

// errInvalid: a node's podCIDRs entry that is not a CIDR.
var errInvalid = errors.New("not a CIDR")

// errNoPool: a node CIDR of a family no cluster CIDR has.
var errNoPool = errors.New("no cluster CIDR of its family")

// Occupy records the CIDRs node already has. It refuses, changing
// nothing, a CIDR that is not one, lies outside every cluster CIDR, or
// overlaps a CIDR another node holds or the service range.
func (r *ranges) Occupy(node *v1.Node) error {
	cidrs, err := parseNodeCIDRs(node)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Equal(r.nodes[node.Name], cidrs) {
		return nil
	}
	for _, c := range cidrs {
		pl := r.poolFor(c)
		if pl == nil {
			return fmt.Errorf("%s: %w", c, errNoPool)
		}
		if err := pl.check(node.Name, c); err != nil {
			return err
		}
	}
	// All checked: now change. A node's CIDRs are immutable once set, so
	// a different record is one this controller handed out and lost the
	// race for (the node got others); it is dropped.
	r.releaseLocked(node.Name)
	for _, c := range cidrs {
		if err := r.poolFor(c).occupy(node.Name, c); err != nil {
			r.releaseLocked(node.Name)
			return err
		}
		r.nodes[node.Name] = append(r.nodes[node.Name], c)
	}
	return nil
}

// Allocate gives node one free CIDR per cluster CIDR, or the ones it was
// given before (so a retried write sends the same CIDRs).
func (r *ranges) Allocate(_ context.Context, node *v1.Node) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if held, ok := r.nodes[node.Name]; ok {
		return prefixStrings(held), nil
	}
	var got []netip.Prefix
	for _, pl := range r.pools {
		c, err := pl.allocate(node.Name)
		if err != nil {
			for i, g := range got {
				r.pools[i].release(node.Name, g)
			}
			return nil, err
		}
		got = append(got, c)
	}
	r.nodes[node.Name] = got
	return prefixStrings(got), nil
}

// Release frees what the node holds; it reports whether anything was freed.
func (r *ranges) Release(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.releaseLocked(name)
}

func (r *ranges) releaseLocked(name string) bool {
	held, ok := r.nodes[name]
	if !ok {
		return false
	}
	for _, c := range held {
		if pl := r.poolFor(c); pl != nil {
			pl.release(name, c)
		}
	}
	delete(r.nodes, name)
	return true
}

// Held returns the CIDRs a node holds (for tests and logs).
func (r *ranges) Held(name string) []netip.Prefix {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.nodes[name])
}

func (r *ranges) poolFor(c netip.Prefix) *pool {
	for _, pl := range r.pools {
		if family(pl.CIDR) == family(c) {
			return pl
		}
	}
	return nil
}

// parseNodeCIDRs reads spec.podCIDRs, or spec.podCIDR when a writer set
// only the old field.
func parseNodeCIDRs(node *v1.Node) ([]netip.Prefix, error) {
	raw := node.Spec.PodCIDRs
	if len(raw) == 0 && node.Spec.PodCIDR != "" {
		raw = []string{node.Spec.PodCIDR}
	}
	out := make([]netip.Prefix, 0, len(raw))
	for _, s := range raw {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", s, errInvalid)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func hasPodCIDRs(n *v1.Node) bool { return len(n.Spec.PodCIDRs) > 0 || n.Spec.PodCIDR != "" }
