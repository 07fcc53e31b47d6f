package compiler_test

import (
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// oneTenantSizes are the notebook counts of BenchmarkVetOneTenant and
// BenchmarkRenderOneTenant. 100000 is left out by default, as it takes a while even
// when the cost is linear: -notebooks=1000,10000,100000 adds it.
var oneTenantSizes = flag.String("notebooks", "1000,10000", "notebook counts of the one-tenant benchmarks, comma-separated")

// BenchmarkVetOneTenant measures mlc vet --no-cache on one tenant holding every workload,
// all notebooks: what a workload costs must not grow with the tenant's size.
func BenchmarkVetOneTenant(b *testing.B) {
	benchOneTenant(b, func(dir string) { compile(b, dir, compiler.Options{NoCache: true}) })
}

// BenchmarkRenderOneTenant is BenchmarkVetOneTenant for mlc render --no-cache -o -.
func BenchmarkRenderOneTenant(b *testing.B) {
	benchOneTenant(b, func(dir string) { render(b, dir, compiler.Options{NoCache: true}) })
}

func benchOneTenant(b *testing.B, op func(dir string)) {
	for _, field := range strings.Split(*oneTenantSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			b.Fatalf("-notebooks: %q is not a count", field)
		}
		b.Run(fmt.Sprintf("notebooks=%d", n), func(b *testing.B) {
			benchPlatform(b, 1) // pays the process's one-time costs
			dir := b.TempDir()
			if err := synth.Write(dir, synth.OneTenant(n)); err != nil {
				b.Fatal(err)
			}
			measureWorkloads(b, n, func() { op(dir) })
		})
	}
}

// measureWorkloads runs op b.N times and reports, besides ns/op, B/op and allocs/op,
// the time, the CPU time of every core and the bytes allocated per workload
// (ns/workload, cpu-ns/workload, B/workload), to compare sizes, and the peak heap in
// use (peak-heap-MB).
func measureWorkloads(b *testing.B, workloads int, op func()) {
	runtime.GC()
	var peak uint64
	stop := sampleHeap(&peak)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := cpuTime()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	b.StopTimer()
	cpu = cpuTime() - cpu
	runtime.ReadMemStats(&after)
	stop()
	per := float64(b.N * workloads)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/workload")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/per, "cpu-ns/workload")
	}
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/workload")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
