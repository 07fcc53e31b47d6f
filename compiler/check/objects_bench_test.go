package check

import (
	"fmt"
	"testing"

	"github.com/mlc-gitops/mlc/compiler/diag"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// BenchmarkObjectCollisions looks for shared objects among the 10,000 notebooks of one
// tenant, each with a workspace and a new data volume.
func BenchmarkObjectCollisions(b *testing.B) {
	nbs := map[string]model.Notebook{}
	for i := range 10000 {
		nbs[fmt.Sprintf("nb-%05d", i)] = model.Notebook{DataVolumes: map[string]model.DataVolume{"data": {Size: "1Gi"}}}
	}
	d := &model.Declarations{Tenant: &model.Tenant{Name: "vision"}, Notebooks: nbs}
	for b.Loop() {
		r := &reporter{locate: func(string) diag.Position { return diag.Position{} }}
		r.objectCollisions(&model.Platform{}, d, nil)
		if len(r.diags) > 0 {
			b.Fatal(r.diags.Error())
		}
	}
}
