package emit

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
)

// benchTenants is the size of the synthetic fleet benchmarked: one cluster of that many
// tenants, each with a platform folder of 6 files and a workload folder of 19, as the
// synthetic fleet of compiler's benchmarks gives (25,002 files in 2,003 folders).
const benchTenants = 1000

// benchKinds are the files of a tenant's folders, as kind and name.
var (
	benchPlatformKinds = [][2]string{
		{"Profile", "%s"},
		{"RoleBinding", "user-dev0-example-com-clusterrole-edit"},
		{"RoleBinding", "user-viewer0-example-com-clusterrole-view"},
		{"AuthorizationPolicy", "user-dev0-example-com-clusterrole-edit"},
		{"AuthorizationPolicy", "user-viewer0-example-com-clusterrole-view"},
	}
	benchWorkloadKinds = [][2]string{
		{"PodDefault", "s3-credentials"},
		{"PersistentVolumeClaim", "nb-0-workspace"},
		{"PersistentVolumeClaim", "nb-1-datavol-scratch"},
		{"PersistentVolumeClaim", "nb-1-workspace"},
		{"Notebook", "nb-0"}, {"Notebook", "nb-1"},
		{"TrainJob", "train-0"}, {"TrainJob", "train-1"},
		{"Experiment", "tune-0"}, {"Experiment", "tune-1"},
		{"InferenceService", "model-0"}, {"InferenceService", "model-1"},
		{"Pipeline", "flow-0"}, {"Pipeline", "flow-1"},
		{"PipelineVersion", "flow-0-70c6dfd77f"}, {"PipelineVersion", "flow-1-7fdb664ee9"},
		{"CronJob", "flow-0"}, {"CronJob", "flow-1"},
	}
)

// benchResult is a compiled fleet of that many tenants whose objects carry their YAML
// (about 2 KB each), as a render's do; with edit, one object of the middle tenant has
// other bytes.
func benchResult(tenants int, edit bool) *compiler.Result {
	objects := func(tenant string, kinds [][2]string, edited bool) []manifest.Object {
		objs := make([]manifest.Object, len(kinds))
		for i, k := range kinds {
			name := k[1]
			if strings.Contains(name, "%s") {
				name = fmt.Sprintf(name, tenant)
			}
			objs[i] = manifest.Object{
				Content: map[string]any{"apiVersion": "v1", "kind": k[0], "metadata": map[string]any{"name": name, "namespace": tenant}},
				Encoded: []byte(benchYAML(k[0], name, tenant, edited && i == benchEdited)),
			}
		}
		return objs
	}
	c := compiler.Cluster{Name: "cluster-0"}
	for i := range tenants {
		name := fmt.Sprintf("team-%05d", i)
		c.Tenants = append(c.Tenants, compiler.Tenant{Name: name, Output: lower.Output{
			Platform:  objects(name, benchPlatformKinds, false),
			Workloads: objects(name, benchWorkloadKinds, edit && i == tenants/2),
		}})
	}
	return &compiler.Result{Clusters: []compiler.Cluster{c}}
}

// benchEdited is the workload of the middle tenant that the edited fleet changes.
const benchEdited = 3

// benchYAML is an object's YAML, of about 2 KB.
func benchYAML(kind, name, namespace string, edited bool) string {
	s := fmt.Sprintf("apiVersion: v1\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n%s", kind, name, namespace, strings.Repeat("  field: some value of a typical length\n", 48))
	if edited {
		s += "  edited: true\n"
	}
	return s
}

// benchTree builds the fleet's tree, with one tenant's file edited or not.
func benchTree(b *testing.B, edit bool) *Tree {
	b.Helper()
	t, err := Build(benchResult(benchTenants, edit))
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// benchAhead is a clock far enough ahead for the index to trust every file written.
func benchAhead() time.Time { return time.Now().Add(10 * time.Second) }

// benchSettled writes the tree into a new directory with an index until the index
// trusts the stat of every file, and returns the directory and the index's path.
func benchSettled(b *testing.B, tree *Tree) (out, index string) {
	b.Helper()
	out, index = b.TempDir(), filepath.Join(b.TempDir(), "index")
	var reads int
	for range 3 {
		if err := tree.WriteDir(out, WithIndex(index), withClock(benchAhead), withReads(&reads)); err != nil {
			b.Fatal(err)
		}
	}
	if reads != 0 {
		b.Skipf("the index left %d files to read: no stat is trusted here", reads)
	}
	return out, index
}

// BenchmarkBuild lays out the fleet's tree.
func BenchmarkBuild(b *testing.B) {
	res := benchResult(benchTenants, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDirNew writes the fleet's tree into an empty directory, as a cold
// render does.
func BenchmarkWriteDirNew(b *testing.B) {
	tree := benchTree(b, false)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		out := filepath.Join(b.TempDir(), "out")
		b.StartTimer()
		if err := tree.WriteDir(out, WithIndex(filepath.Join(b.TempDir(), "index"))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDirUnchanged writes the fleet's tree over itself with a settled index:
// no file is read or written, every one is known unchanged by its stat.
func BenchmarkWriteDirUnchanged(b *testing.B) {
	tree := benchTree(b, false)
	out, index := benchSettled(b, tree)
	b.ReportAllocs()
	for b.Loop() {
		var reads int
		if err := tree.WriteDir(out, WithIndex(index), withClock(benchAhead), withReads(&reads)); err != nil {
			b.Fatal(err)
		}
		if reads != 0 {
			b.Fatalf("%d files read", reads)
		}
	}
}

// BenchmarkWriteDirOneFileChanged writes, in turn, the fleet's tree and the tree with one
// tenant's file edited over the other, with a settled index: the tenant's folder is
// staged anew, and the index written again.
func BenchmarkWriteDirOneFileChanged(b *testing.B) {
	base, edited := benchTree(b, false), benchTree(b, true)
	out, index := benchSettled(b, base)
	trees := [2]*Tree{edited, base}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := trees[i%2].WriteDir(out, WithIndex(index), withClock(benchAhead)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkReadIndex reads the settled index of the fleet's tree.
func BenchmarkReadIndex(b *testing.B) {
	out, index := benchSettled(b, benchTree(b, false))
	abs, err := filepath.Abs(out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if x, _ := readIndex(index, abs); x == nil {
			b.Fatal("no index")
		}
	}
}
