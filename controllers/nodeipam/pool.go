package nodeipam

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"k8s.io/kubernetes/pkg/controller/nodeipam/ipam/cidrset"
)

// pool is one cluster CIDR's allocation state. Kubernetes' CIDR set (the
// bitmap kube-controller-manager's range allocator uses) picks the next
// free node CIDR; pool adds what that set does not know: who holds each
// node-sized slot, so a second node claiming one is caught and named
// instead of silently sharing it (CidrSet.Occupy succeeds on a used range).
// Not safe for concurrent use; ranges serializes.
type pool struct {
	Pool
	set *cidrset.CidrSet
	// slots maps each node-sized slot in use to its holder: a node name,
	// or reservedFor* for a range kept out of allocation.
	slots map[netip.Prefix]string
}

// reservedForServices holds the slots the service range overlaps.
const reservedForServices = "\x00services"

func newPool(p Pool) (*pool, error) {
	set, err := cidrset.NewCIDRSet(toIPNet(p.CIDR), p.MaskSize)
	if err != nil {
		return nil, fmt.Errorf("cluster CIDR %s with /%d node CIDRs: %w", p.CIDR, p.MaskSize, err)
	}
	return &pool{Pool: p, set: set, slots: map[netip.Prefix]string{}}, nil
}

// errOutside: a node CIDR not inside this pool's cluster CIDR.
var errOutside = errors.New("outside the cluster CIDR")

// CollisionError: a node CIDR overlapping one another node holds.
type CollisionError struct {
	CIDR   netip.Prefix
	Holder string // the node holding it, or "the service range"
}

func (e *CollisionError) Error() string {
	return fmt.Sprintf("%s overlaps %s", e.CIDR, e.Holder)
}

// slotsOf lists the node-sized slots p covers: one when p is a node CIDR
// or smaller, 2^(mask-bits) when it is larger (a node keeps a CIDR cut
// with an older, shorter mask).
func (pl *pool) slotsOf(p netip.Prefix) []netip.Prefix {
	if p.Bits() >= pl.MaskSize {
		s, _ := p.Addr().Prefix(pl.MaskSize)
		return []netip.Prefix{s}
	}
	n := 1 << (pl.MaskSize - p.Bits())
	out := make([]netip.Prefix, 0, n)
	first, _ := p.Addr().Prefix(pl.MaskSize)
	for s := first; len(out) < n; s = nextPrefix(s) {
		out = append(out, s)
	}
	return out
}

// holderOf reports who holds any slot of p other than owner, if anyone.
func (pl *pool) holderOf(p netip.Prefix, owner string) (string, bool) {
	for _, s := range pl.slotsOf(p) {
		if h, ok := pl.slots[s]; ok && h != owner {
			return h, true
		}
	}
	return "", false
}

// check says why owner may not hold p, which it already has: p is
// outside the cluster CIDR, or overlaps what someone else holds.
func (pl *pool) check(owner string, p netip.Prefix) error {
	if !pl.CIDR.Contains(p.Addr()) || p.Bits() < pl.CIDR.Bits() {
		return fmt.Errorf("%s: %w %s", p, errOutside, pl.CIDR)
	}
	if h, taken := pl.holderOf(p, owner); taken {
		return &CollisionError{CIDR: p, Holder: holderName(h)}
	}
	return nil
}

// occupy records that owner holds p; check it first.
func (pl *pool) occupy(owner string, p netip.Prefix) error {
	if err := pl.set.Occupy(toIPNet(p)); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, s := range pl.slotsOf(p) {
		pl.slots[s] = owner
	}
	return nil
}

// reserve keeps the part of r inside the cluster CIDR out of allocation.
func (pl *pool) reserve(r netip.Prefix) error {
	if !r.Overlaps(pl.CIDR) {
		return nil
	}
	if r.Bits() < pl.CIDR.Bits() {
		r = pl.CIDR // the service range holds the whole cluster CIDR
	}
	if err := pl.set.Occupy(toIPNet(r)); err != nil {
		return fmt.Errorf("reserving %s: %w", r, err)
	}
	for _, s := range pl.slotsOf(r) {
		pl.slots[s] = reservedForServices
	}
	return nil
}

// ErrExhausted: no free node CIDR is left in a cluster CIDR.
var ErrExhausted = errors.New("no free node CIDR left")

// allocate gives owner the next free node CIDR.
func (pl *pool) allocate(owner string) (netip.Prefix, error) {
	n, err := pl.set.AllocateNext()
	if errors.Is(err, cidrset.ErrCIDRRangeNoCIDRsRemaining) {
		return netip.Prefix{}, fmt.Errorf("cluster CIDR %s (/%d node CIDRs): %w", pl.CIDR, pl.MaskSize, ErrExhausted)
	}
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cluster CIDR %s: %w", pl.CIDR, err)
	}
	p, ok := fromIPNet(n)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("cluster CIDR %s: the CIDR set returned %v", pl.CIDR, n)
	}
	if h, taken := pl.slots[p]; taken {
		// The set and the slots are changed together under one lock, so
		// this is a bug; refuse rather than hand out a held CIDR.
		return netip.Prefix{}, fmt.Errorf("cluster CIDR %s: the CIDR set offered %s, held by %s", pl.CIDR, p, holderName(h))
	}
	pl.slots[p] = owner
	return p, nil
}

// release frees p if owner holds it.
func (pl *pool) release(owner string, p netip.Prefix) {
	if !pl.CIDR.Contains(p.Addr()) {
		return
	}
	for _, s := range pl.slotsOf(p) {
		if pl.slots[s] != owner {
			return
		}
	}
	for _, s := range pl.slotsOf(p) {
		delete(pl.slots, s)
	}
	// Cannot fail: p is inside the cluster CIDR (checked above).
	_ = pl.set.Release(toIPNet(p))
}

func holderName(h string) string {
	if h == reservedForServices {
		return "the service range (--service-cluster-ip-range)"
	}
	return "node " + h
}

func toIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func fromIPNet(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	if a.Is4In6() {
		a = a.Unmap()
	}
	return netip.PrefixFrom(a, ones).Masked(), true
}

// nextPrefix is the prefix of the same length right after p (p masked).
func nextPrefix(p netip.Prefix) netip.Prefix {
	b := p.Addr().AsSlice()
	bit := p.Bits() - 1 // the prefix's last bit: add one there, carrying left
	for i, inc := bit/8, byte(1)<<(7-bit%8); i >= 0; i, inc = i-1, 1 {
		b[i] += inc
		if b[i] != 0 { // the bits below inc are zero, so only 0 means a carry
			break
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return netip.PrefixFrom(a, p.Bits())
}
