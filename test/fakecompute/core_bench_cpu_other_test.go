//go:build !unix

package fakecompute_test

import "time"

// processCPU is not measured here; the CPU metrics are then not reported.
func processCPU() time.Duration { return 0 }
