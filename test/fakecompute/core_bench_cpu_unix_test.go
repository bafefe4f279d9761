//go:build unix

package fakecompute_test

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time the test process has used. On a
// shared machine wall-clock throughput depends on the neighbours; CPU time
// per operation does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
