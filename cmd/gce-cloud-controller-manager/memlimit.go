package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// The Go runtime's soft memory limit follows the container's memory limit
// unless GOMEMLIMIT is set: a pod whose limit an overlay changed keeps a
// soft limit below it, where a GOMEMLIMIT written beside the old limit
// would have been left above the new one (and the kernel, not the
// collector, would have stopped the heap).
//
// softLimitPercent leaves room for what the runtime does not count: the
// binary's own resident pages (about 40 MiB) and memory returned to the
// kernel lazily.
const softLimitPercent = 80

// cgroupLimit is the memory limit of the cgroup the process runs in: the
// smallest limit on the path from its cgroup up to the root of the
// hierarchy, cgroup v2 first, then v1. ok is false when nothing limits it.
// root is "/" but for tests.
func cgroupLimit(root string) (limit int64, ok bool) {
	groups, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup"))
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(strings.NewReader(string(groups)))
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		f := strings.SplitN(sc.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir, file string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, file = "sys/fs/cgroup", "memory.max"
		case hasController(f[1], "memory"):
			dir, file = "sys/fs/cgroup/memory", "memory.limit_in_bytes"
		default:
			continue
		}
		if l, found := smallestOnPath(root, dir, f[2], file); found && (!ok || l < limit) {
			limit, ok = l, true
		}
	}
	return limit, ok
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// smallestOnPath reads file in the cgroup at p and each of its ancestors
// (a container sees its own cgroup as the root; outside one the pod's
// limit may sit on a parent).
func smallestOnPath(root, mount, p, file string) (limit int64, ok bool) {
	for p = path.Clean("/" + p); ; p = path.Dir(p) {
		if l, found := readLimit(filepath.Join(root, mount, p, file)); found && (!ok || l < limit) {
			limit, ok = l, true
		}
		if p == "/" {
			return limit, ok
		}
	}
}

// readLimit reads one limit file: "max" (v2) or a page-rounded
// math.MaxInt64 (v1) mean unlimited.
func readLimit(file string) (int64, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/2 {
		return 0, false
	}
	return n, true
}

// softMemoryLimit is the limit main gives debug.SetMemoryLimit, and why;
// 0 when GOMEMLIMIT is set or no cgroup limits the process.
func softMemoryLimit(getenv func(string) (string, bool), root string) (int64, string) {
	if v, set := getenv("GOMEMLIMIT"); set {
		return 0, "GOMEMLIMIT=" + v + " from the environment"
	}
	limit, ok := cgroupLimit(root)
	if !ok {
		return 0, "no cgroup memory limit"
	}
	soft := limit / 100 * softLimitPercent
	return soft, fmt.Sprintf("%d%% of the cgroup's memory limit of %d MiB", softLimitPercent, limit>>20)
}

// setMemoryLimit gives the runtime softMemoryLimit's limit, if any, and
// says what it did (main logs it).
func setMemoryLimit(getenv func(string) (string, bool), root string) string {
	soft, why := softMemoryLimit(getenv, root)
	if soft == 0 {
		return "Go soft memory limit not set by gce-ccm: " + why
	}
	debug.SetMemoryLimit(soft)
	return fmt.Sprintf("Go soft memory limit %d MiB: %s", soft>>20, why)
}
