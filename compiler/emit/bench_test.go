package emit

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler"
	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/manifest"
	"github.com/mlc-gitops/mlc/internal/filestat"
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

// benchResult is a compiled fleet of that many tenants whose objects' YAML (about 2 KB
// each) is deferred, as a warm render's cached tenants are; with edit, one object of the
// middle tenant has other bytes. Only the sums are there (benchTrees gives the file that
// differs its bytes, the one file a write reads), unless loaded, where the YAML is.
func benchResult(tenants int, edit, loaded bool) *compiler.Result {
	objects := func(tenant string, kinds [][2]string, edited bool) []manifest.Object {
		objs := make([]manifest.Object, len(kinds))
		for i, k := range kinds {
			name := k[1]
			if strings.Contains(name, "%s") {
				name = fmt.Sprintf(name, tenant)
			}
			yaml := benchYAML(k[0], name, tenant, edited && i == benchEdited)
			objs[i] = manifest.Object{
				Content:  map[string]any{"apiVersion": "v1", "kind": k[0], "metadata": map[string]any{"name": name, "namespace": tenant}},
				Deferred: &manifest.DeferredYAML{Sum: sha256.Sum256([]byte(yaml))},
			}
			if loaded {
				objs[i].Encoded = []byte(yaml)
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

// benchTrees returns the fleet's tree and the tree with one tenant's file edited. The
// edited file has its bytes in both; the others only their sums.
func benchTrees(b *testing.B) (base, edited *Tree) {
	b.Helper()
	var err error
	if base, err = BuildDeferred(benchResult(benchTenants, false, false)); err != nil {
		b.Fatal(err)
	}
	if edited, err = BuildDeferred(benchResult(benchTenants, true, false)); err != nil {
		b.Fatal(err)
	}
	tenant := fmt.Sprintf("team-%05d", benchTenants/2)
	k := benchWorkloadKinds[benchEdited]
	p := "cluster-0/" + TenantsDir + "/" + tenant + "/" + strings.ToLower(k[0]) + "_" + k[1] + ".yaml"
	found := 0
	for _, t := range []*Tree{base, edited} {
		for i := range t.Files {
			if t.Files[i].Path == p {
				t.Files[i].Data = []byte(benchYAML(k[0], k[1], tenant, t == edited))
				found++
			}
		}
	}
	if found != 2 {
		b.Fatalf("%s: not in the trees", p)
	}
	return base, edited
}

// benchSettled writes the fleet's tree into a new directory with an index until the
// index vouches for every file (its clock runs ahead, so that the files are settled at
// once), and returns the directory and the index's path.
func benchSettled(b *testing.B, tree *Tree) (out, index string) {
	b.Helper()
	if !filestat.Supported {
		b.Skip("no stat index here")
	}
	b.Cleanup(func() { now = time.Now })
	now = func() time.Time { return time.Now().Add(10 * time.Second) }
	loaded, err := BuildDeferred(benchResult(benchTenants, false, true))
	if err != nil {
		b.Fatal(err)
	}
	out, index = b.TempDir(), filepath.Join(b.TempDir(), "index")
	for range 2 {
		if err := loaded.WriteDir(out, WithIndex(index)); err != nil {
			b.Fatal(err)
		}
	}
	before := fileReads.Load()
	if err := tree.WriteDir(out, WithIndex(index)); err != nil {
		b.Fatal(err)
	}
	if n := fileReads.Load() - before; n != 0 {
		b.Fatalf("the settled index left %d files to read", n)
	}
	return out, index
}

// BenchmarkBuildDeferred lays out the fleet's tree, the objects' YAML deferred.
func BenchmarkBuildDeferred(b *testing.B) {
	res := benchResult(benchTenants, false, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildDeferred(res); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteDirUnchanged writes the fleet's tree over itself with a settled index:
// no file is read or written, every one is known unchanged by its stat.
func BenchmarkWriteDirUnchanged(b *testing.B) {
	tree, _ := benchTrees(b)
	out, index := benchSettled(b, tree)
	b.ReportAllocs()
	before := fileReads.Load()
	for b.Loop() {
		if err := tree.WriteDir(out, WithIndex(index)); err != nil {
			b.Fatal(err)
		}
	}
	if n := fileReads.Load() - before; n != 0 {
		b.Fatalf("%d files read", n)
	}
}

// BenchmarkWriteDirOneFileChanged writes, in turn, the fleet's tree and the tree with one
// tenant's file edited over the other, with a settled index: the file is read, replaced,
// and the index written again.
func BenchmarkWriteDirOneFileChanged(b *testing.B) {
	base, edited := benchTrees(b)
	out, index := benchSettled(b, base)
	trees := [2]*Tree{edited, base}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := trees[i%2].WriteDir(out, WithIndex(index)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkReadIndex reads the settled index of the fleet's tree.
func BenchmarkReadIndex(b *testing.B) {
	tree, _ := benchTrees(b)
	out, index := benchSettled(b, tree)
	abs, err := filepath.Abs(out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if readIndex(index, abs) == nil {
			b.Fatal("no index")
		}
	}
}

// BenchmarkWriteDirUnchangedPrestat is BenchmarkWriteDirUnchanged with the files looked
// at ahead (StartPrestat), as while the tree is compiled: only WriteDir is timed.
func BenchmarkWriteDirUnchangedPrestat(b *testing.B) {
	tree, _ := benchTrees(b)
	out, index := benchSettled(b, tree)
	b.ReportAllocs()
	before := fileReads.Load()
	for b.Loop() {
		b.StopTimer()
		p := StartPrestat(out, WithIndex(index))
		<-p.ready
		p.check.pending.Wait()
		b.StartTimer()
		if err := tree.WriteDir(out, WithIndex(index), WithPrestat(p)); err != nil {
			b.Fatal(err)
		}
	}
	if n := fileReads.Load() - before; n != 0 {
		b.Fatalf("%d files read", n)
	}
}

// BenchmarkPrestat is the look ahead of BenchmarkWriteDirUnchangedPrestat, by itself.
func BenchmarkPrestat(b *testing.B) {
	tree, _ := benchTrees(b)
	out, index := benchSettled(b, tree)
	b.ReportAllocs()
	for b.Loop() {
		p := StartPrestat(out, WithIndex(index))
		<-p.done
		if p.x == nil {
			b.Fatal("no index")
		}
	}
}
