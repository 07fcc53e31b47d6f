package validate_test

import (
	"fmt"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mlc-gitops/mlc/compiler/validate"
)

// fluxGroups are the API groups of the Flux objects mlc emits, whose CRDs no
// Kubeflow release installs: a release validator takes mlc's own.
var fluxGroups = []string{"source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io"}

// BenchmarkReleaseValidator measures a cluster's validation from the start:
// making its validator and judging an object set with it, over Kubeflow
// v1.11.0's CRDs (with Flux's) or the embedded ones. cold: the first validator
// on these CRDs in the process, which builds every schema the objects need;
// shared: another cluster's validator on the same CRDs built them already. The
// object sets are the quickstart and a fleet of 100 synthetic tenants, without
// the TrainJob fields Trainer v2.1.0 lacks, so that both validators judge the
// same valid objects.
func BenchmarkReleaseValidator(b *testing.B) {
	crds := append(validate.V111CRDs(b), validate.EmbeddedCRDs(fluxGroups...)...)
	validators := []struct {
		name     string
		cold     func() (*validate.Validator, error)
		shared   func() (*validate.Validator, error)
		embedded bool
	}{
		{"embedded", func() (*validate.Validator, error) { return validate.NewUnshared(), nil }, func() (*validate.Validator, error) { return validate.New(), nil }, true},
		{"v1.11.0", func() (*validate.Validator, error) { return validate.NewFromCRDsUnshared(crds) }, func() (*validate.Validator, error) { return validate.NewFromCRDs(crds) }, false},
	}
	sets := []struct {
		name string
		objs []map[string]any
	}{
		{"quickstart", compiledObjects(b, "../../examples/quickstart")},
		{"fleet=100", synthObjects(b, 100)},
	}
	for _, set := range sets {
		for _, o := range set.objs {
			withoutNewerTrainer(o)
		}
		for _, vs := range validators {
			// Every object is valid, so the benchmark times the path valid objects take.
			v, err := vs.shared()
			if err != nil {
				b.Fatal(err)
			}
			for _, o := range set.objs {
				if errs := v.Validate(o); errs != nil {
					b.Fatalf("%s: %s %v: %v", vs.name, o["kind"], o["metadata"], errs)
				}
			}
			for mode, make := range map[string]func() (*validate.Validator, error){"cold": vs.cold, "shared": vs.shared} {
				b.Run(fmt.Sprintf("%s/%s/%s", set.name, vs.name, mode), func(b *testing.B) {
					cpu0 := cpuTime()
					for b.Loop() {
						v, err := make()
						if err != nil {
							b.Fatal(err)
						}
						for _, o := range set.objs {
							v.Validate(o)
						}
					}
					b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(len(set.objs)), "objects")
				})
			}
		}
	}
}

// BenchmarkNewFromCRDs measures making a validator over Kubeflow v1.11.0's
// CRDs: cold reads each CRD's kind, scope and versions, from JSON or from YAML;
// shared finds them all made already, by their sha256.
func BenchmarkNewFromCRDs(b *testing.B) {
	crds := append(validate.V111CRDs(b), validate.EmbeddedCRDs(fluxGroups...)...)
	size := 0
	var yamlCRDs [][]byte
	for _, c := range crds {
		size += len(c)
		y, err := yaml.JSONToYAML(c)
		if err != nil {
			b.Fatal(err)
		}
		yamlCRDs = append(yamlCRDs, y)
	}
	for name, in := range map[string][][]byte{"cold": crds, "cold-yaml": yamlCRDs} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := validate.NewFromCRDsUnshared(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("shared", func(b *testing.B) {
		keep, err := validate.NewFromCRDs(crds)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := validate.NewFromCRDs(crds); err != nil {
				b.Fatal(err)
			}
		}
		_ = keep.Fingerprint()
	})
}

// withoutNewerTrainer removes from o the TrainJob fields of the newest Trainer
// that v2.1.0 lacks, in a TrainJob or in an Experiment's trial template.
func withoutNewerTrainer(o map[string]any) {
	spec, _ := o["spec"].(map[string]any)
	if o["kind"] == "Experiment" {
		tt, _ := spec["trialTemplate"].(map[string]any)
		job, _ := tt["trialSpec"].(map[string]any)
		if job["kind"] != "TrainJob" {
			return
		}
		spec, _ = job["spec"].(map[string]any)
	} else if o["kind"] != "TrainJob" {
		return
	}
	delete(spec, "runtimePatches")
	delete(spec, "activeDeadlineSeconds")
}
