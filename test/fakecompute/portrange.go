package fakecompute

import (
	"strconv"
	"strings"
)

// portRange is an inclusive range of ports, the unit both firewall rules
// ("80", "1000-2000") and forwarding rules ("80-80") speak in.
type portRange struct{ lo, hi int }

// parsePortRange reads "N" or "N-M" with min <= N <= M <= 65535.
func parsePortRange(s string, min int) (portRange, bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	if err != nil || a == "" || a[0] == '+' {
		return portRange{}, false
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || b == "" || b[0] == '+' {
			return portRange{}, false
		}
	}
	if lo < min || hi > 65535 || lo > hi {
		return portRange{}, false
	}
	return portRange{lo, hi}, true
}

func (p portRange) overlaps(q portRange) bool { return p.lo <= q.hi && q.lo <= p.hi }

func (p portRange) String() string { return strconv.Itoa(p.lo) + "-" + strconv.Itoa(p.hi) }

// portSet is what a forwarding rule listens on: some ranges, or every port
// (allPorts, a protocol without ports, or no port given at all).
type portSet struct {
	all    bool
	ranges []portRange
}

func (a portSet) overlaps(b portSet) bool {
	if a.all || b.all {
		return true
	}
	for _, p := range a.ranges {
		for _, q := range b.ranges {
			if p.overlaps(q) {
				return true
			}
		}
	}
	return false
}
