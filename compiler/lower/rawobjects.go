package lower

import (
	"maps"
	"slices"

	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// Objects lowers the tenant's raw objects (objects): each as declared, in the tenant's
// namespace, sorted. Tenant leaves them out: the platform's policy, not mlc, says which
// kinds there are, and the tenant's reconciler applies them with flux.tenantRole.
func Objects(tenant string, d *model.Declarations) []manifest.Object {
	var out []manifest.Object
	for _, kind := range slices.Sorted(maps.Keys(d.Objects)) {
		for _, name := range slices.Sorted(maps.Keys(d.Objects[kind])) {
			content := maps.Clone(d.Objects[kind][name])
			meta, _ := content["metadata"].(map[string]any)
			meta = maps.Clone(meta)
			if meta == nil {
				meta = map[string]any{}
			}
			meta["namespace"] = tenant
			content["metadata"] = meta
			out = append(out, manifest.Object{Source: ObjectSource(kind, name), Content: content})
		}
	}
	manifest.Sort(out)
	return out
}

// ObjectSource is the CUE path of a raw object's declaration.
func ObjectSource(kind, name string) string { return model.Path("objects", kind, name) }
