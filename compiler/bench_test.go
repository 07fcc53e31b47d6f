package compiler_test

import (
	"context"
	"fmt"
	"github.com/mlc-gitops/mlc/compiler"
	"runtime"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// BenchmarkCompile measures vet+render (evaluate, check, lower, validate, lay out the tree)
// of synthetic platforms of 13 workloads per tenant: 7 notebooks, 3 serving endpoints, 2
// training jobs and a hyperparameter experiment. It reports the peak heap in use during
// a run as peak-heap-MB.
func BenchmarkCompile(b *testing.B) {
	for _, tenants := range []int{100, 1000} {
		b.Run(fmt.Sprintf("tenants=%d/workloads=13", tenants), func(b *testing.B) {
			dir := b.TempDir()
			if err := synth.Write(dir, synth.Spec{Tenants: tenants, Notebooks: 7, Endpoints: 3, TrainingJobs: 2, Experiments: 1}); err != nil {
				b.Fatal(err)
			}
			var peak uint64
			stop := sampleHeap(&peak)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res, err := compiler.Compile(context.Background(), dir, compiler.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if res.Diagnostics.HasErrors() {
					b.Fatal(res.Diagnostics.Error())
				}
				if _, err := emit.Build(res); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			stop()
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// sampleHeap records the largest HeapInuse seen until the returned stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() { close(done); <-finished }
}
