package validate_test

import (
	"context"
	"syscall"
	"testing"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/synth"
	"github.com/mlc-gitops/mlc/compiler/validate"
)

// BenchmarkValidateTenant measures judging every object mlc compiles for one
// synthetic tenant of 10 workloads of every kind (synth.ForWorkloads), with the
// schemas already compiled: the validator's share of a render, per tenant.
func BenchmarkValidateTenant(b *testing.B) {
	objs := tenantObjects(b)
	v := validate.New()
	for _, o := range objs {
		if errs := v.Validate(o); errs != nil {
			b.Fatal(errs)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for _, o := range objs {
			v.Validate(o)
		}
	}
	// CPU time (garbage collection included) varies less than wall time on a
	// shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(objs)), "objects") // after the loop, which resets the metrics
}

// tenantObjects returns every object mlc compiles for one synthetic tenant of
// 10 workloads of every kind, with its cluster's bootstrap objects.
func tenantObjects(b *testing.B) []map[string]any { return fleetObjects(b) }

// fleetObjects is tenantObjects for tests.
func fleetObjects(b testing.TB) []map[string]any { return synthObjects(b, 1) }

// synthObjects returns every object mlc compiles for a synthetic platform of
// the given number of tenants of 10 workloads of every kind, with its clusters'
// bootstrap objects.
func synthObjects(b testing.TB, tenants int) []map[string]any {
	dir := b.TempDir()
	if err := synth.Write(dir, synth.ForWorkloads(tenants, 10)); err != nil {
		b.Fatal(err)
	}
	return compiledObjects(b, dir)
}

// compiledObjects returns every object mlc compiles from the platform
// repository dir, with its clusters' bootstrap objects.
func compiledObjects(b testing.TB, dir string) []map[string]any {
	res, err := compiler.Compile(context.Background(), dir, compiler.Options{NoCache: true})
	if err != nil {
		b.Fatal(err)
	}
	if res.Diagnostics.HasErrors() {
		b.Fatal(res.Diagnostics.Error())
	}
	var objs []map[string]any
	for _, c := range res.Clusters {
		for _, o := range c.Bootstrap {
			objs = append(objs, treeOf(b, o))
		}
		for _, t := range c.Tenants {
			for _, o := range t.Platform {
				objs = append(objs, treeOf(b, o))
			}
			for _, o := range t.Workloads {
				objs = append(objs, treeOf(b, o))
			}
		}
	}
	return objs
}

// cpuTime is the process's user and system CPU time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkBuildFleetSchemas measures what every mlc run pays once: a new
// Validator judging one object of each kind a synthetic tenant compiles to,
// which builds the schema of each CRD version the fleet uses, one after
// another.
func BenchmarkBuildFleetSchemas(b *testing.B) {
	objs := tenantObjects(b)
	seen := map[string]bool{}
	var firsts []map[string]any
	for _, o := range objs {
		k := o["apiVersion"].(string) + " " + o["kind"].(string)
		if !seen[k] {
			seen[k] = true
			firsts = append(firsts, o)
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		v := validate.NewUnshared()
		for _, o := range firsts {
			if errs := v.Validate(o); errs != nil {
				b.Fatal(errs)
			}
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(firsts)), "kinds")
}

// treeOf returns a compiled object's content, as the compiler's YAML gives it back.
func treeOf(tb testing.TB, o manifest.Object) map[string]any {
	tb.Helper()
	tree, err := o.Tree()
	if err != nil {
		tb.Fatal(err)
	}
	return tree
}
