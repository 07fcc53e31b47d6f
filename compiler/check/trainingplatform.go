package check

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// trainingDefaults checks that each framework's default Kubeflow Trainer runtime is one
// the platform declares, for that framework.
func (r *reporter) trainingDefaults(p *model.Platform) {
	t := p.Defaults.Training
	for _, fw := range slices.Sorted(maps.Keys(t.DefaultRuntimes)) {
		name := t.DefaultRuntimes[fw]
		path := model.Path("defaults", "training", "defaultRuntimes", fw)
		rt, ok := t.Runtimes[name]
		switch {
		case !ok:
			r.errorf(path, "no runtime %q in defaults.training.runtimes (have %s): declare it there, or name another", name, keyList(t.Runtimes))
		case rt.Framework != fw:
			r.errorf(path, "runtime %s runs %s jobs, not %s", name, rt.Framework, fw)
		}
	}
}
