package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// fakeRoot writes files (path relative to the root -> content) under a
// temporary root.
func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		f := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func noEnv(string) (string, bool) { return "", false }

func TestCgroupLimit(t *testing.T) {
	const mi = 1 << 20
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64 // 0: no limit
	}{
		{"v2, the container's own cgroup", map[string]string{
			"proc/self/cgroup":                           "0::/kubepods/pod1/ctr\n",
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "268435456\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":     "max\n",
		}, 256 * mi},
		{"v2, the pod's limit on a parent", map[string]string{
			"proc/self/cgroup":                           "0::/kubepods/pod1/ctr\n",
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":     "536870912\n",
		}, 512 * mi},
		{"v2 namespaced: the container's cgroup is the mount's root", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "805306368\n",
		}, 768 * mi},
		{"v2, unlimited", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "max\n",
		}, 0},
		{"v1, the host's path not mounted in the container", map[string]string{
			"proc/self/cgroup":                           "5:cpu,cpuacct:/kubepods/pod1/ctr\n4:memory:/kubepods/pod1/ctr\n0::/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "201326592\n",
		}, 192 * mi},
		{"v1, unlimited (page-rounded MaxInt64)", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 0},
		{"no cgroup file", map[string]string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := cgroupLimit(fakeRoot(t, tc.files))
			if ok != (tc.want != 0) || got != tc.want {
				t.Errorf("cgroupLimit = %d, %v; want %d", got, ok, tc.want)
			}
		})
	}
}

// TestSetMemoryLimit runs what main runs: the runtime's soft limit is 80%
// of the container's, and GOMEMLIMIT in the environment wins.
func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	root := fakeRoot(t, map[string]string{
		"proc/self/cgroup":         "0::/\n",
		"sys/fs/cgroup/memory.max": "209715200\n", // 200 MiB
	})

	debug.SetMemoryLimit(math.MaxInt64)
	msg := setMemoryLimit(noEnv, root)
	if got := debug.SetMemoryLimit(-1); got != 160<<20 {
		t.Errorf("soft limit = %d MiB (%s); want 160 MiB", got>>20, msg)
	}
	if !strings.Contains(msg, "160 MiB") || !strings.Contains(msg, "200 MiB") {
		t.Errorf("message %q names neither limit", msg)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	env := func(k string) (string, bool) { return "300MiB", k == "GOMEMLIMIT" }
	msg = setMemoryLimit(env, root)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, soft limit changed to %d", got)
	}
	if !strings.Contains(msg, "GOMEMLIMIT=300MiB") {
		t.Errorf("message %q does not name GOMEMLIMIT", msg)
	}
}
