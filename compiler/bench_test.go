package compiler_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/emit"
	"github.com/mlc-gitops/mlc/compiler/synth"
)

// benchSizes are the fleet sizes benchmarked: tenants of 10 workloads each, of every
// kind (synth.ForWorkloads).
var benchSizes = []int{100, 1000, 3000}

const benchWorkloads = 10

// BenchmarkVet measures what mlc vet does, without the cache: evaluate, check, lower and
// validate every tenant, keeping only the objects' identities.
func BenchmarkVet(b *testing.B) {
	for _, tenants := range benchSizes {
		b.Run(fmt.Sprintf("tenants=%d/workloads=%d", tenants, benchWorkloads), func(b *testing.B) {
			dir := benchPlatform(b, tenants)
			measure(b, tenants, func() { compile(b, dir, compiler.Options{NoCache: true, IdentitiesOnly: true}) })
		})
	}
}

// BenchmarkRender measures mlc render --no-cache: vet's work, then laying out and
// encoding the manifest tree (written to io.Discard, not to disk).
func BenchmarkRender(b *testing.B) {
	for _, tenants := range benchSizes {
		b.Run(fmt.Sprintf("tenants=%d/workloads=%d", tenants, benchWorkloads), func(b *testing.B) {
			dir := benchPlatform(b, tenants)
			measure(b, tenants, func() { render(b, dir, compiler.Options{NoCache: true}) })
		})
	}
}

// BenchmarkRenderDir measures mlc render --no-cache -o DIR into an empty directory: the
// cold render a warm one is compared with.
func BenchmarkRenderDir(b *testing.B) {
	for _, tenants := range benchSizes[:2] {
		b.Run(fmt.Sprintf("tenants=%d/workloads=%d", tenants, benchWorkloads), func(b *testing.B) {
			dir := benchPlatform(b, tenants)
			n := 0
			measure(b, tenants, func() {
				n++
				renderDir(b, dir, compiler.Options{NoCache: true}, filepath.Join(b.TempDir(), fmt.Sprint(n)))
			})
		})
	}
}

// BenchmarkRenderWarm measures mlc render -o DIR with a warm cache after one tenant's
// file changed, into the directory the previous render wrote over a second before: one
// tenant is evaluated, the others are read from the cache. Its share-% is its time against one cold render
// (--no-cache, into an empty directory) of the same platform, timed in the same run.
func BenchmarkRenderWarm(b *testing.B) { benchWarm(b, renderDir) }

// BenchmarkVetWarm is BenchmarkRenderWarm without the manifest tree: what the cache
// saves of the compilation itself.
func BenchmarkVetWarm(b *testing.B) {
	benchWarm(b, func(b *testing.B, dir string, opts compiler.Options, _ string) *compiler.Result {
		opts.IdentitiesOnly = true // as mlc vet compiles
		return compile(b, dir, opts)
	})
}

func benchWarm(b *testing.B, op func(b *testing.B, dir string, opts compiler.Options, out string) *compiler.Result) {
	for _, tenants := range benchSizes[:2] {
		b.Run(fmt.Sprintf("tenants=%d/workloads=%d", tenants, benchWorkloads), func(b *testing.B) {
			dir := benchPlatform(b, tenants)
			runtime.GC()
			start := time.Now()
			op(b, dir, compiler.Options{NoCache: true}, b.TempDir())
			cold := time.Since(start)
			out := b.TempDir()
			opts := compiler.Options{CacheDir: b.TempDir()}
			op(b, dir, opts, out)
			// As between edits: the files' stats settle (see package filestat), so that
			// the indexes of the cache vouch for the repository's and the tree's files.
			time.Sleep(1100 * time.Millisecond)
			op(b, dir, opts, out)
			time.Sleep(1100 * time.Millisecond)
			changed := filepath.Join(dir, "tenants", synth.TenantName(tenants/2), "tenant.cue")
			n := 0
			measure(b, tenants, func() {
				b.StopTimer()
				n++
				f, err := os.OpenFile(changed, os.O_APPEND|os.O_WRONLY, 0)
				if err == nil {
					_, err = fmt.Fprintf(f, "// change %d\n", n)
					f.Close()
				}
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if res := op(b, dir, opts, out); res.Stats.Evaluated != 1 {
					b.Fatalf("%d tenants evaluated, want 1", res.Stats.Evaluated)
				}
			})
			b.ReportMetric(float64(cold.Milliseconds()), "cold-ms")
			b.ReportMetric(100*float64(b.Elapsed())/float64(b.N)/float64(cold), "share-%")
		})
	}
}

// warmUp pays, once and untimed, what a process pays once whatever the fleet's size
// (compiling the upstream schemas the validator uses), so that ns/workload compares
// sizes.
var warmUp sync.Once

func benchPlatform(b *testing.B, tenants int) string {
	warmUp.Do(func() {
		dir := b.TempDir()
		if err := synth.Write(dir, synth.ForWorkloads(1, benchWorkloads)); err != nil {
			b.Fatal(err)
		}
		compile(b, dir, compiler.Options{NoCache: true})
	})
	dir := b.TempDir()
	if err := synth.Write(dir, synth.ForWorkloads(tenants, benchWorkloads)); err != nil {
		b.Fatal(err)
	}
	return dir
}

func compile(b *testing.B, dir string, opts compiler.Options) *compiler.Result {
	res, err := compiler.Compile(context.Background(), dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		b.Fatal(res.Diagnostics.Error())
	}
	return res
}

func render(b *testing.B, dir string, opts compiler.Options) *compiler.Result {
	opts.Encode = true // as mlc render compiles
	res := compile(b, dir, opts)
	tree, err := emit.Build(res)
	if err != nil {
		b.Fatal(err)
	}
	if err := tree.WriteStream(io.Discard); err != nil {
		b.Fatal(err)
	}
	return res
}

// renderDir is mlc render -o out: the tree written to a directory, with the cache's
// tree index unless opts has no cache.
func renderDir(b *testing.B, dir string, opts compiler.Options, out string) *compiler.Result {
	opts.Encode = true
	opts.DeferYAML = true
	var writeOpts []emit.WriteOption
	if !opts.NoCache {
		writeOpts = append(writeOpts, emit.WithIndex(filepath.Join(opts.CacheDir, "trees", "bench")))
	}
	res := compile(b, dir, opts)
	tree, err := emit.Build(res)
	if err != nil {
		b.Fatal(err)
	}
	if err := tree.WriteDir(out, writeOpts...); err != nil {
		b.Fatal(err)
	}
	return res
}

// measure runs op b.N times and reports, besides ns/op, B/op and allocs/op, the time per
// workload (ns/workload), to compare sizes, and the peak heap in use (peak-heap-MB).
func measure(b *testing.B, tenants int, op func()) {
	runtime.GC()
	var peak uint64
	stop := sampleHeap(&peak)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tenants*benchWorkloads), "ns/workload")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
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
