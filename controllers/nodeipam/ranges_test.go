package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func mustRanges(t *testing.T, f Flags) *ranges {
	t.Helper()
	f.AllocatorType = string(RangeAllocator)
	cfg, err := ParseConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRanges(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func node(name string, cidrs ...string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if len(cidrs) > 0 {
		n.Spec.PodCIDR, n.Spec.PodCIDRs = cidrs[0], cidrs
	}
	return n
}

// step is one line of a story told to one allocator, in order.
type step struct {
	name    string
	do      func(r *ranges) (any, error)
	want    any    // compared with %v
	wantErr string // the error's text, exactly; "" for none
}

func alloc(n string) func(r *ranges) (any, error) {
	return func(r *ranges) (any, error) { return r.Allocate(context.Background(), node(n)) }
}
func occupy(n string, cidrs ...string) func(r *ranges) (any, error) {
	return func(r *ranges) (any, error) { return nil, r.Occupy(node(n, cidrs...)) }
}
func release(n string) func(r *ranges) (any, error) {
	return func(r *ranges) (any, error) { return r.Release(n), nil }
}

func runStory(t *testing.T, r *ranges, steps []step) {
	t.Helper()
	for _, s := range steps {
		got, err := s.do(r)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != s.wantErr {
			t.Fatalf("%s: error %q; want %q", s.name, gotErr, s.wantErr)
		}
		if err == nil && s.want != nil && fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Fatalf("%s: got %v; want %v", s.name, got, s.want)
		}
	}
}

func TestRangesStory(t *testing.T) {
	// 10.0.0.0/22 holds four /24s; the service range takes the second.
	r := mustRanges(t, Flags{ClusterCIDR: "10.0.0.0/22", ServiceCIDR: "10.0.1.128/25"})
	runStory(t, r, []step{
		{name: "a existed before the restart with the third /24", do: occupy("a", "10.0.2.0/24")},
		{name: "a again (its informer event after the start-up list)", do: occupy("a", "10.0.2.0/24")},
		{name: "b gets the first", do: alloc("b"), want: []string{"10.0.0.0/24"}},
		{name: "b again: the same (a retried write)", do: alloc("b"), want: []string{"10.0.0.0/24"}},
		{name: "c skips the service range and a's", do: alloc("c"), want: []string{"10.0.3.0/24"}},
		{name: "d: full", do: alloc("d"),
			wantErr: "cluster CIDR 10.0.0.0/22 (/24 node CIDRs): no free node CIDR left"},
		{name: "e claims b's CIDR", do: occupy("e", "10.0.0.0/24"), wantErr: "10.0.0.0/24 overlaps node b"},
		{name: "f claims a /23 over a's and c's", do: occupy("f", "10.0.2.0/23"), wantErr: "10.0.2.0/23 overlaps node a"},
		{name: "g claims the service range", do: occupy("g", "10.0.1.0/24"),
			wantErr: "10.0.1.0/24 overlaps the service range (--service-cluster-ip-range)"},
		{name: "h is outside", do: occupy("h", "192.168.0.0/24"), wantErr: "192.168.0.0/24: outside the cluster CIDR 10.0.0.0/22"},
		{name: "i holds more than the cluster", do: occupy("i", "10.0.0.0/16"), wantErr: "10.0.0.0/16: outside the cluster CIDR 10.0.0.0/22"},
		{name: "j is IPv6 in an IPv4 cluster", do: occupy("j", "fd00::/64"), wantErr: "fd00::/64: no cluster CIDR of its family"},
		{name: "k is not a CIDR", do: occupy("k", "10.0.0.0"), wantErr: `"10.0.0.0": not a CIDR`},
		{name: "the refused did not take anything: a is released", do: release("a"), want: true},
		{name: "a is not held twice", do: release("a"), want: false},
		{name: "d gets a's", do: alloc("d"), want: []string{"10.0.2.0/24"}},
	})
}

func TestRangesDualStack(t *testing.T) {
	// The IPv6 range holds two /64s, the IPv4 one four /26s.
	r := mustRanges(t, Flags{ClusterCIDR: "fd00:1::/63,10.0.0.0/24", MaskSizeIPv4: 26})
	runStory(t, r, []step{
		{name: "a: one of each, in flag order", do: alloc("a"), want: []string{"fd00:1::/64", "10.0.0.0/26"}},
		{name: "b", do: alloc("b"), want: []string{"fd00:1:0:1::/64", "10.0.0.64/26"}},
		{name: "c: IPv6 is full", do: alloc("c"), wantErr: "cluster CIDR fd00:1::/63 (/64 node CIDRs): no free node CIDR left"},
		{name: "c took no IPv4 CIDR either: release b, d gets b's two", do: release("b"), want: true},
		{name: "d: the CIDR set moves on rather than reuse b's /26 at once", do: alloc("d"), want: []string{"fd00:1:0:1::/64", "10.0.0.128/26"}},
		{name: "e existing with an IPv4 CIDR only", do: occupy("e", "10.0.0.64/26")},
		{name: "f collides on IPv6 only", do: occupy("f", "10.0.0.192/26", "fd00:1::/64"), wantErr: "fd00:1::/64 overlaps node a"},
		{name: "f took nothing: g gets the last IPv4 /26 once IPv6 is free", do: release("a"), want: true},
		{name: "g", do: alloc("g"), want: []string{"fd00:1::/64", "10.0.0.192/26"}},
	})
}

func TestRangesExhaustionIsAnError(t *testing.T) {
	r := mustRanges(t, Flags{ClusterCIDR: "10.0.0.0/24", MaskSize: 24})
	if _, err := r.Allocate(context.Background(), node("a")); err != nil {
		t.Fatal(err)
	}
	_, err := r.Allocate(context.Background(), node("b"))
	if !errors.Is(err, ErrExhausted) {
		t.Fatalf("Allocate on a full range = %v; want ErrExhausted", err)
	}
}

// A cluster CIDR cut into the most node CIDRs allowed (2^16) hands out
// each exactly once, then says it is full.
func TestRangesEveryCIDROnce(t *testing.T) {
	r := mustRanges(t, Flags{ClusterCIDR: "10.0.0.0/12", MaskSize: 28})
	seen := map[string]bool{}
	for i := range 1 << 16 {
		got, err := r.Allocate(context.Background(), node(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if seen[got[0]] {
			t.Fatalf("allocation %d: %s handed out twice", i, got[0])
		}
		seen[got[0]] = true
	}
	if _, err := r.Allocate(context.Background(), node("one-more")); !errors.Is(err, ErrExhausted) {
		t.Fatalf("allocation 65537 = %v; want ErrExhausted", err)
	}
}

func TestNextPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.0/24":        "10.0.1.0/24",
		"10.0.255.0/24":      "10.1.0.0/24",
		"10.0.0.64/26":       "10.0.0.128/26",
		"10.0.0.192/26":      "10.0.1.0/26",
		"fd00::/64":          "fd00:0:0:1::/64",
		"fd00:0:0:ffff::/64": "fd00:0:1::/64",
	} {
		if got := nextPrefix(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("nextPrefix(%s) = %s; want %s", in, got, want)
		}
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
