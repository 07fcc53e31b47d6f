//go:build !unix

package compiler_test

import "time"

// cpuTime is not measured here: the benchmarks report no cpu-ns/workload.
func cpuTime() time.Duration { return 0 }
